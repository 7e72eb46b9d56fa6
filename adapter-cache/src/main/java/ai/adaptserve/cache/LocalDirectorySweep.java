package ai.adaptserve.cache;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Keeps the local directory under {@code local.max-bytes}: when the bytes written since the last sweep may have taken
 * it over the bound, the entries are listed and the least recently used (oldest modification time; reads touch it)
 * are deleted until it fits. Temporary files of interrupted writes older than an hour go too.
 */
final class LocalDirectorySweep {

    private static final System.Logger LOG = System.getLogger(LocalDirectorySweep.class.getName());
    private static final long STALE_TEMP_MILLIS = 3_600_000;

    private record Entry(Path path, long bytes, long modified) {}

    private final Path dir;
    private final long maxBytes;
    /** Bytes in the directory as of the last sweep plus those written since; -1 before the first sweep. */
    private final AtomicLong estimate = new AtomicLong(-1);

    LocalDirectorySweep(Path dir, long maxBytes) {
        this.dir = dir;
        this.maxBytes = maxBytes;
    }

    /** Notes {@code bytes} written; sweeps if the directory may now be over the bound. */
    void added(long bytes) {
        long now = estimate.get() < 0 ? -1 : estimate.addAndGet(bytes);
        if (now < 0 || now > maxBytes) {
            sweep();
        }
    }

    /** Deletes the least recently used entries until the directory fits; returns the bytes left. */
    synchronized long sweep() {
        List<Entry> entries = new ArrayList<>();
        long total = 0;
        long now = System.currentTimeMillis();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(p, BasicFileAttributes.class);
                } catch (IOException e) {
                    continue; // deleted meanwhile
                }
                if (!a.isRegularFile()) {
                    continue;
                }
                long modified = a.lastModifiedTime().toMillis();
                if (p.getFileName().toString().startsWith(".")) {
                    if (now - modified > STALE_TEMP_MILLIS) {
                        Files.deleteIfExists(p);
                    }
                    continue;
                }
                entries.add(new Entry(p, a.size(), modified));
                total += a.size();
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.log(Level.WARNING, "adapter cache: could not sweep {0}: {1}", dir, e);
            return Math.max(0, estimate.get());
        }
        if (total > maxBytes) {
            entries.sort(Comparator.comparingLong(Entry::modified));
            int deleted = 0;
            for (Entry e : entries) {
                if (total <= maxBytes) {
                    break;
                }
                try {
                    Files.deleteIfExists(e.path());
                    total -= e.bytes();
                    deleted++;
                } catch (IOException ex) {
                    LOG.log(Level.DEBUG, "adapter cache: could not delete {0}: {1}", e.path(), ex);
                }
            }
            LOG.log(
                    Level.INFO,
                    "adapter cache: local directory over local.max-bytes ({0}); deleted the {1} least recently used"
                            + " adapters",
                    maxBytes,
                    deleted);
        }
        estimate.set(total);
        return total;
    }
}
