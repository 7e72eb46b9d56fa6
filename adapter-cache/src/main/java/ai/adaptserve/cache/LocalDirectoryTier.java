package ai.adaptserve.cache;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.UUID;

/**
 * The durable tier of a single machine: {@code <dir>/[<tenant>/]adapters/<base-fingerprint>/<id>}, the same layout as
 * the S3 keys. Writes go to a temporary file that is fsynced and atomically renamed, so a reader never sees half a
 * file.
 */
final class LocalDirectoryTier implements DurableTier {

    private final Path dir;

    LocalDirectoryTier(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    @Override
    public AdapterSource source() {
        return AdapterSource.LOCAL;
    }

    Path path(AdapterKey key) {
        Path base = key.tenant().map(dir::resolve).orElse(dir);
        return base.resolve("adapters").resolve(key.baseFingerprint()).resolve(key.id());
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

    @Override
    public void put(AdapterKey key, byte[] envelope) throws TierUnavailableException {
        Path path = path(key);
        Path tmp = path.resolveSibling("." + path.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            Files.createDirectories(path.getParent());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(envelope);
                while (buffer.hasRemaining()) {
                    ch.write(buffer);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
            throw new TierUnavailableException("writing " + path + " failed: " + e, e);
        }
    }

    @Override
    public boolean exists(AdapterKey key) {
        return Files.isRegularFile(path(key));
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
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".probe-", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new TierUnavailableException("cannot write to " + dir + ": " + e, e);
        }
    }

    @Override
    public void close() {}
}
