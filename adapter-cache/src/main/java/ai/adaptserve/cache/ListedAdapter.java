package ai.adaptserve.cache;

import java.time.Instant;
import java.util.Objects;

/**
 * An adapter found by {@link AdapterStore#list}: its id and when its durable entry was written.
 *
 * @param id {@code sha256:<hex>}
 * @param created when the durable tier stored it (S3's last-modified time, the local file's modification time)
 */
public record ListedAdapter(String id, Instant created) {
    public ListedAdapter {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(created, "created");
    }
}
