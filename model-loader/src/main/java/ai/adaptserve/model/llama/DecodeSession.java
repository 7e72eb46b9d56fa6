package ai.adaptserve.model.llama;

import ai.adaptserve.model.adapter.AdapterBatch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.function.Function;

/**
 * One batch's trip through the decoder: a left-padded prefill of prompts of different lengths, then one
 * token per row per step through the KV cache. Owns a manager under the model's; closing the session frees
 * the cache and everything else it made. Not thread-safe: one session per request batch.
 */
public final class DecodeSession implements AutoCloseable {
    private final LlamaDecoder decoder;
    private final NDManager manager;
    private final KvCache cache;
    private final int batch;
    private int[] pads;
    private int[] nextPosition;
    private boolean[][] keyValid;

    private final AdapterBatch adapters;

    /** A session on the base model. */
    public DecodeSession(LlamaDecoder decoder, int batch) {
        this(decoder, batch, owner -> AdapterBatch.NONE);
    }

    /**
     * A session whose rows run with adapters; {@code adapters} receives the session's manager, which keeps
     * whatever the adapters prepare until the session closes.
     */
    public DecodeSession(LlamaDecoder decoder, int batch, Function<NDManager, AdapterBatch> adapters) {
        this.decoder = decoder;
        this.manager = decoder.weights().manager().newSubManager();
        this.cache = new KvCache(manager, decoder.weights().config().numLayers());
        this.batch = batch;
        this.adapters = adapters.apply(manager);
    }

    /** Number of positions in the cache (the longest prompt plus the steps taken). */
    public int length() {
        return (int) cache.length();
    }

    /**
     * Runs the prompts (one per row, any lengths ≥ 1) and returns the next-token logits of each row,
     * {@code [row][vocab]}.
     */
    public float[][] prefill(int[][] prompts) {
        return run(prompts, true);
    }

    /** Like {@link #prefill} but returns the logits of every real prompt position: {@code [row][pos][vocab]}. */
    public float[][][] prefillAllPositions(int[][] prompts) {
        float[][] flat = run(prompts, false);
        int vocab = decoder.weights().config().vocabSize();
        int maxLen = flat[0].length / vocab;
        float[][][] out = new float[prompts.length][][];
        for (int r = 0; r < prompts.length; r++) {
            out[r] = new float[prompts[r].length][];
            for (int p = 0; p < prompts[r].length; p++) {
                int padded = pads[r] + p;
                out[r][p] = Arrays.copyOfRange(flat[r], padded * vocab, (padded + 1) * vocab);
            }
        }
        if (maxLen <= 0) {
            throw new IllegalStateException("empty logits");
        }
        return out;
    }

    private float[][] run(int[][] prompts, boolean lastOnly) {
        if (prompts.length != batch) {
            throw new IllegalArgumentException("expected " + batch + " prompts, got " + prompts.length);
        }
        if (cache.length() != 0) {
            throw new IllegalStateException("prefill runs once per session");
        }
        for (int[] p : prompts) {
            if (p.length == 0) {
                throw new IllegalArgumentException("a prompt must have at least one token");
            }
        }
        LeftPaddedBatch padded = LeftPaddedBatch.of(prompts);
        pads = padded.pads();
        keyValid = padded.keyValid();
        nextPosition = new int[batch];
        for (int r = 0; r < batch; r++) {
            nextPosition[r] = prompts[r].length;
        }
        return forward(padded.tokens(), padded.positions(), lastOnly);
    }

    /** Appends one token per row and returns the next-token logits of each row. */
    public float[][] step(int[] tokens) {
        if (cache.length() == 0) {
            throw new IllegalStateException("prefill first");
        }
        if (tokens.length != batch) {
            throw new IllegalArgumentException("expected " + batch + " tokens, got " + tokens.length);
        }
        int t = keyValid[0].length + 1;
        int[][] in = new int[batch][1];
        int[] positions = new int[batch];
        for (int r = 0; r < batch; r++) {
            keyValid[r] = Arrays.copyOf(keyValid[r], t);
            keyValid[r][t - 1] = true;
            in[r][0] = tokens[r];
            positions[r] = nextPosition[r]++;
        }
        return forward(in, positions, true);
    }

    private float[][] forward(int[][] tokens, int[] positions, boolean lastOnly) {
        try (NDManager step = manager.newSubManager()) {
            NDArray logits = decoder.forward(step, tokens, positions, keyValid, cache, lastOnly, adapters);
            float[] all = logits.toFloatArray();
            int per = all.length / batch;
            float[][] rows = new float[batch][];
            for (int r = 0; r < batch; r++) {
                rows[r] = Arrays.copyOfRange(all, r * per, (r + 1) * per);
            }
            return rows;
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
