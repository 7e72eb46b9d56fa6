package ai.adaptserve.cache;

/** Where the adapter of an {@link AdapterResult} came from. */
public enum AdapterSource {
    /** This process's in-memory tier (or its queue of adapters waiting to become durable). */
    MEMORY("memory"),
    /** The shared Redis tier. */
    REDIS("redis"),
    /** The durable S3 tier. */
    S3("s3"),
    /** The durable local-directory tier (the embedded default when S3 is not configured). */
    LOCAL("local"),
    /** Trained for this request (by this instance; joiners of the same training see this too). */
    TRAINED("trained");

    private final String wireName;

    AdapterSource(String wireName) {
        this.wireName = wireName;
    }

    /** The lower-case name used in responses and metric tags: {@code memory|redis|s3|local|trained}. */
    public String wireName() {
        return wireName;
    }
}
