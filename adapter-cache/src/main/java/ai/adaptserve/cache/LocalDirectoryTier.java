package ai.adaptserve.cache;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The durable tier of a single machine: {@code <dir>/[<tenant>/]adapters/<base-fingerprint>/<id>}, the same layout as
 * the S3 keys. Writes go to a temporary file that is fsynced and then hard-linked to its name, which fails if the name
 * exists: a reader never sees half a file and an entry is never replaced. Directories this tier creates are private to
 * the user (0700). The {@link LocalDirectorySweep} keeps the directory under {@code local.max-bytes}.
 */
final class LocalDirectoryTier implements DurableTier {

    private static final System.Logger LOG = System.getLogger(LocalDirectoryTier.class.getName());

    private final Path dir;
    private final LocalDirectorySweep sweep;

    LocalDirectoryTier(AdapterCacheConfig.Local config) {
        this.dir = config.dir().toAbsolutePath().normalize();
        this.sweep = new LocalDirectorySweep(dir, config.maxBytes());
    }

    @Override
    public AdapterSource source() {
        return AdapterSource.LOCAL;
    }

    Path path(AdapterKey key) {
        return folder(key.tenant(), key.baseFingerprint()).resolve(key.id());
    }

    /** The directory of every adapter of one tenant (or none) and base model. */
    private Path folder(Optional<String> tenant, String baseFingerprint) {
        return tenant.map(dir::resolve).orElse(dir).resolve("adapters").resolve(baseFingerprint);
    }

    @Override
    public AdapterListing.Listed list(Optional<String> tenant, String baseFingerprint, int max)
            throws TierUnavailableException {
        Path folder = folder(tenant, baseFingerprint);
        List<String> ids = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (AdapterKey.isId(name)) {
                    ids.add(name);
                }
            }
        } catch (NoSuchFileException e) {
            return new AdapterListing.Listed(List.of(), false);
        } catch (IOException e) {
            throw new TierUnavailableException("listing " + folder + " failed: " + e, e);
        }
        Collections.sort(ids);
        List<ListedAdapter> found = new ArrayList<>();
        for (String id : ids.subList(0, Math.min(max, ids.size()))) {
            try {
                found.add(new ListedAdapter(
                        id, Files.getLastModifiedTime(folder.resolve(id)).toInstant()));
            } catch (NoSuchFileException e) {
                // Swept between the listing and now: it is gone.
            } catch (IOException e) {
                throw new TierUnavailableException("reading " + folder.resolve(id) + " failed: " + e, e);
            }
        }
        return new AdapterListing.Listed(found, ids.size() > max);
    }

    @Override
    public String location(AdapterKey key) {
        return path(key).toString();
    }

    @Override
    public Optional<byte[]> get(AdapterKey key, long maxBytes) throws TierUnavailableException {
        Path path = path(key);
        try (InputStream in = Files.newInputStream(path)) {
            return Optional.of(in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new TierUnavailableException("reading " + path + " failed: " + e, e);
        }
    }

    /** The modification time is the LRU order of the sweep: a read moves the entry to the back. */
    @Override
    public void touch(AdapterKey key) {
        try {
            Files.setLastModifiedTime(path(key), FileTime.fromMillis(System.currentTimeMillis()));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "adapter cache: could not touch {0}: {1}", path(key), e);
        }
    }

    @Override
    public boolean create(AdapterKey key, byte[] envelope) throws TierUnavailableException {
        Path path = path(key);
        if (Files.exists(path)) {
            return false;
        }
        Path tmp = path.resolveSibling("." + path.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            createPrivateDirectories(path.getParent());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(envelope);
                while (buffer.hasRemaining()) {
                    ch.write(buffer);
                }
                ch.force(true);
            }
            try {
                // link(2) fails if the name exists, atomically; rename(2) would replace it.
                Files.createLink(path, tmp);
            } catch (FileAlreadyExistsException e) {
                return false;
            } catch (UnsupportedOperationException e) {
                // No hard links on this file system: a move without REPLACE_EXISTING (checked, not atomic).
                Files.move(tmp, path);
            }
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            throw new TierUnavailableException("writing " + path + " failed: " + e, e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
        }
        sweep.added(envelope.length);
        return true;
    }

    /** Creates {@code target} and its missing parents with mode 0700 (where the file system has POSIX modes). */
    private void createPrivateDirectories(Path target) throws IOException {
        if (Files.isDirectory(target)) {
            return;
        }
        try {
            Files.createDirectories(
                    target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            Files.createDirectories(target);
        }
    }

    @Override
    public void delete(AdapterKey key) throws TierUnavailableException {
        try {
            Files.deleteIfExists(path(key));
        } catch (IOException e) {
            throw new TierUnavailableException("deleting " + path(key) + " failed: " + e, e);
        }
    }

    @Override
    public void probe() throws TierUnavailableException {
        try {
            createPrivateDirectories(dir);
            Path probe = Files.createTempFile(dir, ".probe-", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new TierUnavailableException("cannot write to " + dir + ": " + e, e);
        }
    }

    /** Runs the LRU sweep now (for tests and tools); returns the bytes left. */
    long sweepNow() {
        return sweep.sweep();
    }

    @Override
    public void close() {}
}
