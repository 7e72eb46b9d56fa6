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
    private int batch;
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

    /**
     * What {@link #prefillKeepingHidden} returns.
     *
     * @param logits each row's next-token logits, {@code [row][vocab]}
     * @param hidden each row's final-normed hidden states at its real positions, {@code [row][length * hidden]}
     */
    public record Prefilled(float[][] logits, float[][] hidden) {}

    /**
     * Like {@link #prefill}, also returning the final-normed hidden states (what the output head reads) of every
     * real prompt position, so that one pass serves both a reader of the prompt's states (the router) and decoding.
     */
    public Prefilled prefillKeepingHidden(int[][] prompts) {
        LeftPaddedBatch padded = start(prompts);
        try (NDManager step = manager.newSubManager()) {
            LlamaDecoder.Prefilled out =
                    decoder.forwardKeepingHidden(step, padded.tokens(), padded.positions(), keyValid, cache, adapters);
            float[][] logits = rows(out.logits().toFloatArray());
            float[][] all = rows(out.hidden().toFloatArray());
            int maxLen = padded.tokens()[0].length;
            int width = all[0].length / maxLen;
            float[][] hidden = new float[batch][];
            for (int r = 0; r < batch; r++) {
                hidden[r] = Arrays.copyOfRange(all[r], pads[r] * width, maxLen * width);
            }
            return new Prefilled(logits, hidden);
        }
    }

    /**
     * Makes a prefilled one-row session on the base model into {@code rows} rows that continue the same prompt
     * (several samples of one prompt, prefilled once): the cache is copied per row, and each row then decodes on its
     * own. Only a session without adapters widens, since a row's adapter is fixed when the session opens.
     */
    public void widen(int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("rows must be at least 1, was " + rows);
        }
        if (batch != 1 || adapters != AdapterBatch.NONE) {
            throw new IllegalStateException("only a one-row session on the base model widens");
        }
        if (cache.length() == 0) {
            throw new IllegalStateException("prefill first");
        }
        if (rows == 1) {
            return;
        }
        cache.repeatRows(rows);
        keyValid = repeat(keyValid[0], rows);
        pads = new int[rows];
        int next = nextPosition[0];
        nextPosition = new int[rows];
        Arrays.fill(nextPosition, next);
        batch = rows;
    }

    /**
     * Copies the cache of a prefilled one-row session into {@code slot} of {@code slots} (positions from 0), for an
     * engine that decodes on from it in its running batch.
     */
    public void copyInto(KvSlots slots, int slot) {
        if (batch != 1 || pads == null || pads[0] != 0 || cache.length() == 0) {
            throw new IllegalStateException("only a prefilled one-row session is copied into a slot");
        }
        slots.load(slot, cache);
    }

    private static boolean[][] repeat(boolean[] row, int n) {
        boolean[][] out = new boolean[n][];
        for (int r = 0; r < n; r++) {
            out[r] = row.clone();
        }
        return out;
    }

    private float[][] run(int[][] prompts, boolean lastOnly) {
        LeftPaddedBatch padded = start(prompts);
        return forward(padded.tokens(), padded.positions(), lastOnly);
    }

    /** Checks the prompts and sets up the rows' padding, positions and visible keys for a prefill. */
    private LeftPaddedBatch start(int[][] prompts) {
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
        return padded;
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
            return rows(logits.toFloatArray());
        }
    }

    /** A flat array of {@code batch} equal rows, split into them. */
    private float[][] rows(float[] all) {
        int per = all.length / batch;
        float[][] rows = new float[batch][];
        for (int r = 0; r < batch; r++) {
            rows[r] = Arrays.copyOfRange(all, r * per, (r + 1) * per);
        }
        return rows;
    }

    @Override
    public void close() {
        manager.close();
    }
}
