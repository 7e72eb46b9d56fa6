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

    /**
     * Redis, the durable tier, then Redis's not-yet-durable entries; empty when none holds a usable entry, including
     * when a tier could not answer (a flight then trains; the create-only write keeps whatever was there first).
     */
    Optional<AdapterResult> lookupRemote(AdapterKey key) {
        return search(key).found();
    }

    /**
     * As {@link #lookupRemote}, but an absence is only reported when it is one: if nothing usable was found and a tier
     * that may hold the adapter could not answer, or holds an entry this instance refuses, this throws.
     *
     * <p>The durable tier is the record of what exists. Its miss is an absence even while Redis is down (only an
     * adapter trained during a durable-tier outage lives in Redis alone, as pending).
     *
     * @throws AdapterCacheException.Unavailable if the durable tier is down or timed out, or an entry is there that
     *     this instance cannot read (larger than its {@code max-adapter-bytes}, a newer format)
     * @throws AdapterCacheException.Unauthenticated if the only entry found fails the HMAC check
     */
    Optional<AdapterResult> findRemote(AdapterKey key) {
        Search s = search(key);
        if (s.found().isPresent()) {
            return s.found();
        }
        if (s.refused() instanceof TierRead.Refused r && r.kind() == BadEntryException.Kind.UNAUTHENTICATED) {
            throw new AdapterCacheException.Unauthenticated(
                    key,
                    "the stored adapter " + key.id() + " is not authenticated by this service's key (" + r.why() + ")");
        }
        if (s.refused() instanceof TierRead.Refused r) {
            throw new AdapterCacheException.Unavailable(
                    key, "the stored adapter " + key.id() + " cannot be read by this instance (" + r.why() + ")");
        }
        if (s.durable() instanceof TierRead.Down d) {
            throw new AdapterCacheException.Unavailable(
                    key, "the adapter store (" + remote.durableSource().wireName() + ") is unavailable: " + d.why());
        }
        return Optional.empty();
    }

    /** What a search of the remote tiers gave: the result, the durable tier's answer, the first refused entry. */
    private record Search(Optional<AdapterResult> found, TierRead durable, TierRead refused) {}

    private Search search(AdapterKey key) {
        TierRead refused = null;
        TierRead hot = remote.readRedis(key, false);
        if (hot instanceof TierRead.Hit h) {
            return new Search(
                    Optional.of(new AdapterResult(memory.put(h.adapter()), AdapterSource.REDIS, 0, true)), hot, null);
        }
        if (hot instanceof TierRead.Refused) {
            refused = hot;
        }
        TierRead durable = remote.readDurable(key);
        if (durable instanceof TierRead.Hit h) {
            remote.promoteToRedis(h.adapter());
            return new Search(
                    Optional.of(new AdapterResult(memory.put(h.adapter()), remote.durableSource(), 0, true)),
                    durable,
                    null);
        }
        if (durable instanceof TierRead.Refused && refused == null) {
            refused = durable;
        }
        TierRead pending = remote.readRedis(key, true);
        if (pending instanceof TierRead.Hit h) {
            // Trained elsewhere while the durable tier was down: serve it, and help make it durable.
            writeBehind.add(h.adapter());
            return new Search(
                    Optional.of(new AdapterResult(memory.put(h.adapter()), AdapterSource.REDIS, 0, false)),
                    durable,
                    null);
        }
        return new Search(Optional.empty(), durable, refused);
    }

    /**
     * Durable tier (create-only), then Redis, then memory; or, with the durable tier down, write-behind and Redis
     * pending. If the durable tier already holds an entry (another instance trained the same adapter without the fleet
     * lock, or after losing it), that entry is the adapter: it is read back and announced instead of {@code adapter},
     * so that every tier and every client get the same bytes.
     */
    AdapterResult persist(StoredAdapter adapter, long trainMillis) {
        RemoteTiers.Created created = remote.createDurable(adapter, false);
        if (created == RemoteTiers.Created.CREATED) {
            return durable(adapter, trainMillis, AdapterSource.TRAINED);
        }
        if (created == RemoteTiers.Created.EXISTS) {
            TierRead existing = remote.readDurable(adapter.key());
            if (existing instanceof TierRead.Hit h) {
                LOG.log(
                        Level.INFO,
                        "adapter cache: {0} was stored by another writer first; using its entry",
                        adapter.key().qualifiedId());
                return durable(h.adapter(), trainMillis, AdapterSource.TRAINED);
            }
            LOG.log(
                    Level.WARNING,
                    "adapter cache: {0} exists in {1} but could not be read back ({2}); serving this instance''s own"
                            + " copy from memory only",
                    adapter.key().qualifiedId(),
                    remote.durableSource().wireName(),
                    existing);
            return new AdapterResult(memory.put(adapter), AdapterSource.TRAINED, trainMillis, false);
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

    private AdapterResult durable(StoredAdapter adapter, long trainMillis, AdapterSource source) {
        remote.announce(adapter);
        StoredAdapter kept = memory.put(adapter);
        writeBehind.remove(adapter);
        return new AdapterResult(kept, source, trainMillis, true);
    }
}
