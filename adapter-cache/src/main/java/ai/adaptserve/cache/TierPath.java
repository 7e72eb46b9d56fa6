package ai.adaptserve.cache;

import java.lang.System.Logger.Level;
import java.util.Optional;

/**
 * The order of the tiers, for reads and for writes.
 *
 * <h2>Reads</h2>
 *
 * memory → the write-behind queue → Redis {@code as:adapter:<id>} → durable tier → Redis {@code as:pending:<id>}. A
 * hit in Redis is copied to memory; a hit in the durable tier is copied to Redis (in the background, if it fits) and
 * memory; a pending hit is also queued for the durable tier, so that any instance holding it helps make it durable.
 *
 * <p>What memory keeps, and what callers get, is the adapter as {@link MemoryTier#put} returns it: decoded when the
 * store has a decoder. The other tiers always get the stored bytes.
 *
 * <h2>Writes</h2>
 *
 * Durable tier first, then Redis ({@code SET}, pipelined with the ready notification), then memory: no other instance
 * hears of an adapter before it is durable. If the durable tier is down, the adapter goes to the {@link WriteBehind}
 * queue and is shared through {@code as:pending:<id>} (so the fleet still trains it once), and is announced only once
 * the queue has written it.
 */
final class TierPath {

    private static final System.Logger LOG = System.getLogger(TierPath.class.getName());

    private final MemoryTier memory;
    private final RemoteTiers remote;
    private final WriteBehind writeBehind;
    private final CacheMetrics metrics;

    TierPath(MemoryTier memory, RemoteTiers remote, WriteBehind writeBehind, CacheMetrics metrics) {
        this.memory = memory;
        this.remote = remote;
        this.writeBehind = writeBehind;
        this.metrics = metrics;
    }

    /** Memory, then the write-behind queue; records the memory hit or miss. */
    Optional<AdapterResult> lookupLocal(AdapterKey key) {
        if (!memory.enabled() && writeBehind.isEmpty()) {
            return Optional.empty();
        }
        long start = System.nanoTime();
        Optional<AdapterResult> found = peekLocal(key);
        if (found.isPresent()) {
            metrics.hit(AdapterSource.MEMORY, found.get().adapter().storedLength(), System.nanoTime() - start);
        } else if (memory.enabled()) {
            metrics.miss(AdapterSource.MEMORY, System.nanoTime() - start);
        }
        return found;
    }

    /** As {@link #lookupLocal}, unmetered (a flight looking again). */
    Optional<AdapterResult> peekLocal(AdapterKey key) {
        Optional<StoredAdapter> cached = memory.get(key);
        if (cached.isPresent()) {
            return Optional.of(new AdapterResult(cached.get(), AdapterSource.MEMORY, 0, !writeBehind.contains(key)));
        }
        Optional<StoredAdapter> pending = writeBehind.get(key);
        if (pending.isPresent()) {
            return Optional.of(new AdapterResult(memory.put(pending.get()), AdapterSource.MEMORY, 0, false));
        }
        return Optional.empty();
    }

    /** Redis, the durable tier, then Redis's not-yet-durable entries. */
    Optional<AdapterResult> lookupRemote(AdapterKey key) {
        if (remote.redisUp()) {
            Optional<StoredAdapter> hot = remote.readRedis(key, false);
            if (hot.isPresent()) {
                return Optional.of(new AdapterResult(memory.put(hot.get()), AdapterSource.REDIS, 0, true));
            }
        }
        if (remote.durableUp()) {
            Optional<StoredAdapter> stored = remote.readDurable(key);
            if (stored.isPresent()) {
                remote.promoteToRedis(stored.get());
                return Optional.of(new AdapterResult(memory.put(stored.get()), remote.durableSource(), 0, true));
            }
        }
        if (remote.redisUp()) {
            Optional<StoredAdapter> pending = remote.readRedis(key, true);
            if (pending.isPresent()) {
                // Trained elsewhere while the durable tier was down: serve it, and help make it durable.
                writeBehind.add(pending.get());
                return Optional.of(new AdapterResult(memory.put(pending.get()), AdapterSource.REDIS, 0, false));
            }
        }
        return Optional.empty();
    }

    /** Durable tier, then Redis, then memory; or, with the durable tier down, write-behind and Redis pending. */
    AdapterResult persist(StoredAdapter adapter, long trainMillis) {
        if (remote.writeDurable(adapter)) {
            remote.announce(adapter);
            StoredAdapter kept = memory.put(adapter);
            writeBehind.remove(adapter);
            return new AdapterResult(kept, AdapterSource.TRAINED, trainMillis, true);
        }
        LOG.log(
                Level.WARNING,
                "adapter cache: {0} is not durable yet ({1} unavailable); kept in memory and retried in the background",
                adapter.key().qualifiedId(),
                remote.durableSource().wireName());
        writeBehind.add(adapter);
        remote.sharePending(adapter);
        return new AdapterResult(memory.put(adapter), AdapterSource.TRAINED, trainMillis, false);
    }
}
