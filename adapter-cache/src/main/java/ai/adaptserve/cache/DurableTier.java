package ai.adaptserve.cache;

import java.util.Optional;

/** The tier that must hold an adapter before any other instance hears of it: S3 or a local directory. */
sealed interface DurableTier extends AutoCloseable permits S3Tier, LocalDirectoryTier {

    AdapterSource source();

    /** Where {@code key} lives, for log lines. */
    String location(AdapterKey key);

    /**
     * The stored bytes of {@code key}, or empty. Never returns more than {@code maxBytes + 1} bytes: a longer object is
     * returned truncated to that, so the envelope check rejects it without the whole object being read.
     */
    Optional<byte[]> get(AdapterKey key, long maxBytes) throws TierUnavailableException;

    /**
     * Stores {@code envelope} under {@code key} unless an entry is there already; never replaces one.
     *
     * @return true if this call created the entry, false if one existed (nothing written)
     */
    boolean create(AdapterKey key, byte[] envelope) throws TierUnavailableException;

    /** Notes that {@code key} was just read (for a tier that evicts the least recently used entries). */
    default void touch(AdapterKey key) {}

    void delete(AdapterKey key) throws TierUnavailableException;

    /** A cheap call that succeeds when the tier works (used while it is down). */
    void probe() throws TierUnavailableException;

    /**
     * The ids stored under {@code [<tenant>/]adapters/<baseFingerprint>/}, in id order, at most {@code max} (and
     * whether there were more). Names that are not adapter ids (temporary files, leases) are skipped.
     */
    AdapterListing.Listed list(Optional<String> tenant, String baseFingerprint, int max)
            throws TierUnavailableException;

    @Override
    void close();
}
