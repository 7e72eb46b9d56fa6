package ai.adaptserve.model.adapter;

import ai.adaptserve.model.LibtorchOwned;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What {@link RowAdapterBatch} needs of one adapter, as tensors, built once and kept across requests: per target
 * matrix a LoRA's {@code A} as {@code [in, r]} and {@code (α/r)·B} as {@code [r, out]}, a z-vector's {@code σ ⊙ z}
 * and {@code σ ⊙ z − σ} as {@code [1, 1, rank]}. A hot adapter then costs no preparation per request: a batch whose
 * rows share it uses these tensors as they are, a mixed batch stacks them (a copy, no Java loop). Where the merged
 * weights of a whole adapter take at most a quarter of the bound, a batch whose rows all share it asks for them
 * instead ({@link Lease#merged}), built on that first use and kept with the rest: such a batch (a batch-1 decode, one
 * request's prefill and samples) then costs what the base model costs.
 *
 * <p>Bounded by bytes, least recently used first out. Each adapter's tensors live in a manager of their own, closed
 * when the adapter is evicted, but never while a batch still holds a {@link Lease} on it (a running row uses it):
 * an evicted entry in use leaves the cache at once and is closed when its last lease is released. Adapters are told
 * apart by identity (the adapter store keeps each decoded adapter once; an expert's z-vector is one object).
 * Thread-safe.
 */
public final class PreparedAdapters implements AutoCloseable {

    /**
     * A snapshot for metrics.
     *
     * @param hits adapters found prepared
     * @param misses adapters prepared
     * @param evictions adapters evicted to stay within the bound
     * @param bytes bytes of the tensors of the adapters cached now (an evicted one still in use not counted)
     * @param entries adapters cached now
     * @param maxBytes the bound
     */
    public record Stats(long hits, long misses, long evictions, long bytes, int entries, long maxBytes) {}

    /** One LoRA matrix: {@code a} is {@code [in, rank]}, {@code b} is {@code [rank, out]} scaled by α/r. */
    record LoraPiece(NDArray a, NDArray b, int rank) {}

    /** One z-vector matrix: {@code scaled} is {@code σ ⊙ z} (sum kept if asked), {@code delta} is that minus σ. */
    record SvfPiece(NDArray scaled, NDArray delta) {}

    /** One adapter's prepared tensors. */
    static final class Entry {
        final NDManager manager;
        final Map<MatrixRef, LoraPiece> lora = new HashMap<>();
        final Map<MatrixRef, SvfPiece> svf = new HashMap<>();
        /** Merged weights by matrix, or by the list of matrices whose weights are kept side by side. */
        final Map<Object, NDArray> merged = new HashMap<>();

        long bytes;
        /** Bytes of the merged weights of every matrix the adapter targets. */
        long mergedBytes;

        int pins;
        boolean evicted;
        boolean closed;

        Entry(NDManager manager) {
            this.manager = manager;
        }

        private NDArray create(float[] values, Shape shape) {
            bytes += 4L * values.length;
            return LibtorchOwned.copyOf(manager, values, shape);
        }
    }

    /** Held by a batch while its rows use an adapter's tensors; release it when the batch is done. */
    public final class Lease implements AutoCloseable {
        private final Entry entry;
        private boolean released;

        private Lease(Entry entry) {
            this.entry = entry;
        }

        LoraPiece lora(MatrixRef m) {
            return Objects.requireNonNull(entry.lora.get(m), m::key);
        }

        SvfPiece svf(MatrixRef m) {
            return Objects.requireNonNull(entry.svf.get(m), m::key);
        }

        /**
         * Whether the whole adapter's merged weights are small enough to keep: at most a quarter of the bound, so that
         * a few hot adapters fit beside each other.
         */
        boolean mergeable() {
            return entry.mergedBytes <= maxBytes / 4;
        }

        /**
         * The adapter's merged weight {@code W'ᵀ} of a matrix ({@code key} a {@link MatrixRef}) or of matrices side
         * by side ({@code key} the list of them), {@code [in, out]}: kept from an earlier batch, or built now by
         * {@code build} (under any manager: it is moved to the adapter's own) and kept for later ones.
         */
        NDArray merged(Object key, Supplier<NDArray> build) {
            synchronized (PreparedAdapters.this) {
                NDArray w = entry.merged.get(key);
                if (w != null) {
                    return w;
                }
            }
            NDArray built = build.get();
            synchronized (PreparedAdapters.this) {
                NDArray w = entry.merged.get(key);
                if (w != null) {
                    built.close();
                    return w;
                }
                built.attach(entry.manager);
                entry.merged.put(key, built);
                long size = built.getShape().size() * built.getDataType().getNumOfBytes();
                entry.bytes += size;
                if (!entry.evicted) {
                    bytes += size;
                    evictOverBound();
                }
                return built;
            }
        }

        /** Whether this adapter's tensors are closed (only once evicted and every lease released). */
        boolean closed() {
            synchronized (PreparedAdapters.this) {
                return entry.closed;
            }
        }

        @Override
        public void close() {
            synchronized (PreparedAdapters.this) {
                if (released) {
                    return;
                }
                released = true;
                if (--entry.pins == 0 && entry.evicted) {
                    closeEntry(entry);
                }
            }
        }
    }

    /** Adapters are told apart by identity: hashing a LoRA's contents on every lookup would cost what we save. */
    private record Key(Adapter adapter) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.adapter == adapter;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(adapter);
        }
    }

    private final NDManager parent;
    private final long maxBytes;
    private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;
    private long hits;
    private long misses;
    private long evictions;
    private boolean closed;

    /**
     * @param parent the manager under which each adapter's manager is made (the model's)
     * @param maxBytes bytes of prepared tensors kept; 0 keeps nothing (every adapter is prepared for its batch only)
     */
    public PreparedAdapters(NDManager parent, long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("the prepared-adapter bound must not be negative, was " + maxBytes);
        }
        this.parent = Objects.requireNonNull(parent, "parent");
        this.maxBytes = maxBytes;
    }

    /**
     * The adapter's tensors, prepared now if they are not cached, pinned until the lease is closed.
     *
     * @param svd the base model's factors; needed for a z-vector
     * @throws IllegalArgumentException if the adapter does not fit the model's factors
     */
    public synchronized Lease acquire(Adapter adapter, SvdFactors svd) {
        if (closed) {
            throw new IllegalStateException("the prepared adapters are closed");
        }
        Key key = new Key(adapter);
        Entry e = entries.get(key);
        if (e != null) {
            hits++;
        } else {
            misses++;
            e = prepare(adapter, svd);
            entries.put(key, e);
            bytes += e.bytes;
        }
        e.pins++;
        evictOverBound();
        return new Lease(e);
    }

    public synchronized Stats stats() {
        return new Stats(hits, misses, evictions, bytes, entries.size(), maxBytes);
    }

    private void evictOverBound() {
        for (Iterator<Entry> it = entries.values().iterator(); bytes > maxBytes && it.hasNext(); ) {
            Entry e = it.next();
            it.remove();
            bytes -= e.bytes;
            evictions++;
            e.evicted = true;
            if (e.pins == 0) {
                closeEntry(e);
            }
        }
    }

    private static void closeEntry(Entry e) {
        if (!e.closed) {
            e.closed = true;
            e.manager.close();
        }
    }

    private Entry prepare(Adapter adapter, SvdFactors svd) {
        Entry e = new Entry(parent.newSubManager());
        try {
            switch (adapter) {
                case LoraAdapter l -> {
                    float s = l.scale();
                    for (Map.Entry<MatrixRef, LoraAdapter.Factors> w :
                            l.weights().entrySet()) {
                        LoraAdapter.Factors f = w.getValue();
                        int rank = f.rank();
                        e.mergedBytes += 4L * f.in() * f.out();
                        float[] b = new float[f.b().length];
                        for (int i = 0; i < b.length; i++) {
                            b[i] = s * f.b()[i];
                        }
                        e.lora.put(
                                w.getKey(),
                                new LoraPiece(
                                        e.create(f.a(), new Shape(f.in(), rank)),
                                        e.create(b, new Shape(rank, f.out())),
                                        rank));
                    }
                }
                case ZVector z -> {
                    if (svd == null) {
                        throw new IllegalArgumentException("z-vector rows need the base model's SVD factors");
                    }
                    for (MatrixRef m : z.targets()) {
                        SvdFactors.Factors f = svd.get(m);
                        e.mergedBytes +=
                                4L * f.v().getShape().get(0) * f.ut().getShape().get(1);
                        float[] sigma = f.sigma().toFloatArray();
                        float[] scaled = RowAdapterBatch.scaledSigma(sigma, z, m);
                        float[] delta = new float[scaled.length];
                        for (int i = 0; i < delta.length; i++) {
                            delta[i] = scaled[i] - sigma[i];
                        }
                        Shape shape = new Shape(1, 1, scaled.length);
                        e.svf.put(m, new SvfPiece(e.create(scaled, shape), e.create(delta, shape)));
                    }
                }
            }
        } catch (RuntimeException ex) {
            e.manager.close();
            throw ex;
        }
        return e;
    }

    /** Closes every adapter's tensors; for when no batch uses them any more (the engine or session is closed). */
    @Override
    public synchronized void close() {
        closed = true;
        for (Entry e : entries.values()) {
            closeEntry(e);
        }
        entries.clear();
        bytes = 0;
    }
}
