package ai.adaptserve.cache;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Adapters that could not be written to the durable tier yet, oldest first, bounded by bytes. Held strongly (not
 * evictable like the memory tier) until they are durable or dropped for space.
 */
final class WriteBehindQueue {

    private final long maxBytes;
    private final LinkedHashMap<String, StoredAdapter> entries = new LinkedHashMap<>();
    private long bytes;

    WriteBehindQueue(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /**
     * Adds {@code adapter} (replacing an entry of the same key) and returns the oldest entries dropped to make room;
     * the adapter itself is among them if it alone is larger than the bound.
     */
    synchronized List<StoredAdapter> add(StoredAdapter adapter) {
        StoredAdapter previous = entries.remove(adapter.key().qualifiedId());
        if (previous != null) {
            bytes -= previous.storedLength();
        }
        entries.put(adapter.key().qualifiedId(), adapter);
        bytes += adapter.storedLength();
        List<StoredAdapter> dropped = new ArrayList<>();
        Iterator<StoredAdapter> oldest = entries.values().iterator();
        while (bytes > maxBytes && oldest.hasNext()) {
            StoredAdapter victim = oldest.next();
            oldest.remove();
            bytes -= victim.storedLength();
            dropped.add(victim);
        }
        return dropped;
    }

    synchronized Optional<StoredAdapter> get(AdapterKey key) {
        StoredAdapter adapter = entries.get(key.qualifiedId());
        return adapter != null && adapter.key().equals(key) ? Optional.of(adapter) : Optional.empty();
    }

    synchronized boolean contains(AdapterKey key) {
        return !entries.isEmpty() && get(key).isPresent();
    }

    /** Removes {@code adapter} if it is still the queued entry of its key. */
    synchronized void remove(StoredAdapter adapter) {
        String id = adapter.key().qualifiedId();
        if (entries.get(id) == adapter) {
            entries.remove(id);
            bytes -= adapter.storedLength();
        }
    }

    synchronized List<StoredAdapter> snapshot() {
        return new ArrayList<>(entries.values());
    }

    synchronized int size() {
        return entries.size();
    }

    synchronized long bytes() {
        return bytes;
    }

    synchronized boolean isEmpty() {
        return entries.isEmpty();
    }

    synchronized Map<String, StoredAdapter> drain() {
        Map<String, StoredAdapter> all = new LinkedHashMap<>(entries);
        entries.clear();
        bytes = 0;
        return all;
    }
}
