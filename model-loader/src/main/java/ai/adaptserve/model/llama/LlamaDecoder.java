package ai.adaptserve.model.llama;

import ai.adaptserve.model.adapter.AdapterBatch;
import ai.adaptserve.model.adapter.MatrixRef;
import ai.adaptserve.model.adapter.TargetMatrix;
import ai.adaptserve.model.config.ModelConfig;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * The decoder forward pass in DJL ops: embeddings, RMSNorm, rotary embeddings, grouped-query causal attention
 * over a KV cache, SwiGLU MLP and the output head. Stateless and thread-safe: the state of a request lives in
 * its {@link KvCache}; every intermediate tensor belongs to the caller's step manager.
 */
public final class LlamaDecoder {
    private final LlamaWeights weights;
    private final ModelConfig cfg;
    private final RotaryEmbedding rope;
    private final LongAdder positionsRun = new LongAdder();
    /** {@code refs[layer][target.ordinal()]}: made once, not per step. */
    private final MatrixRef[][] refs;

    private final List<MatrixRef>[] qkvRefs;
    private final List<MatrixRef>[] gateUpRefs;
    /**
     * Constants made once with the weights, which outlive every step: DJL's {@code add(Number)} and
     * {@code mul(Number)} would copy a scalar in from Java per call (and free it right after the op, while autograd
     * may keep it for the backward pass of training).
     */
    private final NDArray normEps;

    private final NDArray minusHalf;
    private final NDArray attentionScale;
    /**
     * {@code [headDim, headDim]}: {@code x · rotateHalf} is Hugging Face's {@code rotate_half(x)} ({@code [-x2, x1]}),
     * one product instead of a split, a negation and a concatenation; exact, as each output is one input times ±1.
     */
    private final NDArray rotateHalf;

    /**
     * Positions whose rotary tables are made once, at start ({@code 2 * 4096 * headDim} values): a decode step then
     * copies in only its positions.
     */
    static final int TABLED_POSITIONS = 4096;

    private final NDArray rotaryCos;
    private final NDArray rotarySin;

    private static final int Q = TargetMatrix.Q.ordinal();
    private static final int K = TargetMatrix.K.ordinal();
    private static final int V = TargetMatrix.V.ordinal();
    private static final int O = TargetMatrix.O.ordinal();
    private static final int GATE = TargetMatrix.GATE.ordinal();
    private static final int UP = TargetMatrix.UP.ordinal();
    private static final int DOWN = TargetMatrix.DOWN.ordinal();

    public LlamaDecoder(LlamaWeights weights) {
        this(weights, TABLED_POSITIONS);
    }

    /** As the public constructor, with rotary tables made for the first {@code tabledPositions} positions only. */
    @SuppressWarnings("unchecked")
    LlamaDecoder(LlamaWeights weights, int tabledPositions) {
        this.weights = weights;
        this.cfg = weights.config();
        this.rope = new RotaryEmbedding(cfg);
        int layers = cfg.numLayers();
        this.refs = new MatrixRef[layers][TargetMatrix.values().length];
        this.qkvRefs = new List[layers];
        this.gateUpRefs = new List[layers];
        for (int l = 0; l < layers; l++) {
            for (TargetMatrix target : TargetMatrix.values()) {
                refs[l][target.ordinal()] = target == TargetMatrix.HEAD ? MatrixRef.head() : new MatrixRef(l, target);
            }
            qkvRefs[l] = List.of(refs[l][Q], refs[l][K], refs[l][V]);
            gateUpRefs[l] = List.of(refs[l][GATE], refs[l][UP]);
        }
        NDManager constants = weights.manager();
        this.normEps = constants.create(cfg.rmsNormEps());
        this.minusHalf = constants.create(-0.5);
        this.attentionScale = constants.create(1.0 / Math.sqrt(cfg.headDim()));
        int hd = cfg.headDim();
        int half = hd / 2;
        float[] r = new float[hd * hd];
        for (int j = 0; j < half; j++) {
            r[(j + half) * hd + j] = -1f; // out[j] = -x[j + half]
            r[j * hd + j + half] = 1f; // out[j + half] = x[j]
        }
        this.rotateHalf = constants.create(r, new Shape(hd, hd)).toType(weights.dtype(), false);
        int tabled = Math.max(1, Math.min(cfg.maxPositionEmbeddings(), tabledPositions));
        int[] all = new int[tabled];
        for (int p = 0; p < tabled; p++) {
            all[p] = p;
        }
        float[][] cs = rope.tables(all);
        this.rotaryCos = constants.create(cs[0], new Shape(tabled, hd)).toType(weights.dtype(), false);
        this.rotarySin = constants.create(cs[1], new Shape(tabled, hd)).toType(weights.dtype(), false);
    }

    public LlamaWeights weights() {
        return weights;
    }

    /**
     * Positions run through the layers since the decoder was made: every row's tokens of every pass (a prefill adds
     * its padded prompt length per row, a decode step one per row). A cost counter: tests use it to see that a prompt
     * is not run twice.
     */
    public long positionsRun() {
        return positionsRun.sum();
    }

    /**
     * Runs {@code S} new tokens per row through the model.
     *
     * @param step manager that owns every tensor made here except the cache
     * @param tokens {@code [B, S]} token ids
     * @param positions {@code [B * S]} rotary position of each new token
     * @param keyValid {@code [B, T]} whether each cached-plus-new position may be attended to (false for padding),
     *     where {@code T = cache.length() + S}
     * @param lastOnly compute logits for the last position of each row only
     * @param adapters what each row's adapter does to each projection
     * @return logits {@code [B, S or 1, vocab]} in F32
     */
    public NDArray forward(
            NDManager step,
            int[][] tokens,
            int[] positions,
            boolean[][] keyValid,
            KvCache cache,
            boolean lastOnly,
            AdapterBatch adapters) {
        NDArray x = layers(step, tokens, positions, new GrowingKeys(cache, keyValid), adapters);
        return logits(step, adapters, lastOnly ? x.get(":, -1:, :") : x);
    }

    /**
     * Runs {@code S} new tokens per row of a running batch whose keys and values live in {@code slots}: row {@code i}
     * is in slot {@code rowSlots[i]} with {@code starts[i]} positions already there (its prompt so far, or its prompt
     * and completion); the new ones are written in place after them.
     *
     * @param step manager that owns every tensor made here except the slots
     * @param tokens {@code [B, S]} token ids (every row the same {@code S}: a chunk of one prompt, or one token each)
     * @return next-token logits at each row's last new position, {@code [B, 1, vocab]} in F32
     */
    public NDArray forwardSlots(
            NDManager step, int[][] tokens, KvSlots slots, int[] rowSlots, int[] starts, AdapterBatch adapters) {
        int b = tokens.length;
        int s = tokens[0].length;
        if (rowSlots.length != b || starts.length != b) {
            throw new IllegalArgumentException("need one slot and one start per row");
        }
        NDArray x =
                layers(step, tokens, SlotKeys.positions(starts, s), new SlotKeys(slots, rowSlots, starts), adapters);
        return logits(step, adapters, x.get(":, -1:, :"));
    }

    /**
     * As {@link #forwardSlots(NDManager, int[][], KvSlots, int[], int[], AdapterBatch)} for whole prompts padded at
     * their ends to one length, each row's logits taken at its own last token, {@code lengths[i] - 1}: a prompt's
     * tokens never attend to the padding after them, and the padding's keys and values, written past the row's
     * length in its slot, are masked out of every later step until the row's own tokens overwrite them.
     *
     * @param lengths each row's own token count, at most the padded length
     * @return {@code [B, 1, vocab]} in F32
     */
    public NDArray forwardSlotsPadded(
            NDManager step, int[][] tokens, int[] lengths, KvSlots slots, int[] rowSlots, AdapterBatch adapters) {
        int b = tokens.length;
        int s = tokens[0].length;
        if (rowSlots.length != b || lengths.length != b) {
            throw new IllegalArgumentException("need one slot and one length per row");
        }
        long[] last = new long[b];
        for (int i = 0; i < b; i++) {
            if (lengths[i] < 1 || lengths[i] > s) {
                throw new IllegalArgumentException("row " + i + " has " + lengths[i] + " tokens of " + s);
            }
            last[i] = (long) i * s + lengths[i] - 1;
        }
        int[] starts = new int[b];
        NDArray x =
                layers(step, tokens, SlotKeys.positions(starts, s), new SlotKeys(slots, rowSlots, starts), adapters);
        NDArray atLast = x.reshape(b * s, cfg.hiddenSize())
                .get(new NDIndex("{}", step.create(last)))
                .reshape(b, 1, cfg.hiddenSize());
        return logits(step, adapters, atLast);
    }

    /** The output head over {@code x} (the residual stream at the positions wanted), final norm first; F32. */
    private NDArray logits(NDManager step, AdapterBatch adapters, NDArray x) {
        return f32(adapters.project(step, MatrixRef.head(), rmsNorm(x, weights.finalNorm()), weights.lmHeadT()));
    }

    /**
     * A prefill that keeps what routing reads as well as what decoding needs.
     *
     * @param hidden the final-normed hidden states (what the output head reads) at every position, {@code [B, S,
     *     hidden]} in F32
     * @param logits the next-token logits at each row's last position, {@code [B, 1, vocab]} in F32
     */
    public record Prefilled(NDArray hidden, NDArray logits) {}

    /**
     * As {@link #forward} over a whole prompt, returning the final-normed hidden states of every position beside the
     * logits of the last one; both belong to {@code step}, the keys and values to {@code cache}.
     */
    public Prefilled forwardKeepingHidden(
            NDManager step,
            int[][] tokens,
            int[] positions,
            boolean[][] keyValid,
            KvCache cache,
            AdapterBatch adapters) {
        NDArray h = rmsNorm(
                layers(step, tokens, positions, new GrowingKeys(cache, keyValid), adapters), weights.finalNorm());
        NDArray logits = adapters.project(step, MatrixRef.head(), h.get(":, -1:, :"), weights.lmHeadT());
        return new Prefilled(f32(h), f32(logits));
    }

    private static NDArray f32(NDArray a) {
        return a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
    }

    /** The residual stream after the last layer, {@code [B, S, hidden]}, before the final norm; fills the cache. */
    private NDArray layers(NDManager step, int[][] tokens, int[] positions, PassKeys keys, AdapterBatch adapters) {
        int b = tokens.length;
        int s = tokens[0].length;
        positionsRun.add((long) b * s);
        long[] flat = new long[b * s];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < s; j++) {
                flat[i * s + j] = tokens[i][j];
            }
        }
        NDArray ids = step.create(flat);
        NDArray x = weights.embed().get(step, new NDIndex("{}", ids)).reshape(b, s, cfg.hiddenSize());

        // Rotary tables broadcast over the heads of [B, S, heads, headDim]: queries and keys are rotated together,
        // before they are split, and keys are written to the cache in that layout.
        NDArray[] cosSin = rotaryTables(step, positions, b, s);
        NDArray cos = cosSin[0];
        NDArray sin = cosSin[1];
        DataType dt = weights.dtype();
        NDArray mask = keys.mask(step, s, blockedScore());
        if (mask != null) {
            mask = mask.toType(dt, false);
        }
        int t = keys.keyLength(s);
        int heads = cfg.numHeads();
        int kvHeads = cfg.numKvHeads();

        for (int l = 0; l < cfg.numLayers(); l++) {
            LlamaWeights.Layer w = weights.layers().get(l);
            NDArray h = rmsNorm(x, w.attnNorm());
            NDList qkAndV = queriesKeysValues(step, adapters, l, w, h)
                    .reshape(b, s, heads + 2L * kvHeads, cfg.headDim())
                    .split(new long[] {heads + kvHeads}, 2);
            NDArray qk = qkAndV.get(0);
            NDList qAndK = qk.mul(cos).add(qk.matMul(rotateHalf).mul(sin)).split(new long[] {heads}, 2);
            NDList kv = keys.extend(step, l, qAndK.get(1), qkAndV.get(1));

            NDArray attn = attention(qAndK.get(0), kv.get(0), kv.get(1), mask, b, s, t);
            x = x.add(adapters.project(step, refs[l][O], attn, w.oT()));

            NDArray h2 = rmsNorm(x, w.mlpNorm());
            NDList gateAndUp = gateAndUp(step, adapters, l, w, h2);
            NDArray gate = gateAndUp.get(0);
            NDArray act = gate.mul(Activation.sigmoid(gate)).mul(gateAndUp.get(1));
            x = x.add(adapters.project(step, refs[l][DOWN], act, w.downT()));
        }
        return x;
    }

    /**
     * cos and sin of each position, {@code [B, S, 1, headDim]} in the compute type: gathered from the tables made at
     * start for the first {@link #TABLED_POSITIONS} positions (one small index array copied in per step, not two
     * tables), computed per step past them.
     */
    private NDArray[] rotaryTables(NDManager step, int[] positions, int b, int s) {
        Shape shape = new Shape(b, s, 1, cfg.headDim());
        int max = 0;
        for (int p : positions) {
            max = Math.max(max, p);
        }
        if (max < rotaryCos.getShape().get(0)) {
            NDIndex at = new NDIndex("{}", step.create(positions));
            return new NDArray[] {
                rotaryCos.get(step, at).reshape(shape), rotarySin.get(step, at).reshape(shape)
            };
        }
        float[][] cs = rope.tables(positions);
        DataType dt = weights.dtype();
        return new NDArray[] {
            step.create(cs[0], shape).toType(dt, false),
            step.create(cs[1], shape).toType(dt, false)
        };
    }

    /** {@code [B, S, q + k + v]}: queries, keys and values side by side, adapters and biases applied. */
    private NDArray queriesKeysValues(NDManager step, AdapterBatch adapters, int l, LlamaWeights.Layer w, NDArray h) {
        if (w.fused().isPresent()) {
            LlamaWeights.SideBySide f = w.fused().get();
            NDArray y = adapters.projectSideBySide(step, qkvRefs[l], h, f.qkvT(), List.of(w.qT(), w.kT(), w.vT()));
            if (y != null) {
                return f.qkvBias().isPresent() ? y.add(f.qkvBias().get()) : y;
            }
        }
        return NDArrays.concat(
                new NDList(
                        project(step, adapters, refs[l][Q], h, w.qT(), w.qBias()),
                        project(step, adapters, refs[l][K], h, w.kT(), w.kBias()),
                        project(step, adapters, refs[l][V], h, w.vT(), w.vBias())),
                2);
    }

    /** The gate and up products, adapters applied. */
    private NDList gateAndUp(NDManager step, AdapterBatch adapters, int l, LlamaWeights.Layer w, NDArray h) {
        if (w.fused().isPresent()) {
            NDArray y = adapters.projectSideBySide(
                    step, gateUpRefs[l], h, w.fused().get().gateUpT(), List.of(w.gateT(), w.upT()));
            if (y != null) {
                return y.split(new long[] {cfg.intermediateSize()}, 2);
            }
        }
        return new NDList(
                adapters.project(step, refs[l][GATE], h, w.gateT()), adapters.project(step, refs[l][UP], h, w.upT()));
    }

    /**
     * Logits at every position of rows of different lengths, left-padded to the longest, without keeping a
     * cache: for training and scoring. Row {@code r}'s position {@code p} is at index
     * {@code maxLen - rows[r].length + p} of the result {@code [B, maxLen, vocab]}, which belongs to {@code step}.
     */
    public NDArray logitsAllPositions(NDManager step, int[][] rows, AdapterBatch adapters) {
        LeftPaddedBatch padded = LeftPaddedBatch.of(rows);
        return forward(
                step,
                padded.tokens(),
                padded.positions(),
                padded.keyValid(),
                new KvCache(step, cfg.numLayers()),
                false,
                adapters);
    }

    /**
     * The final-normed hidden states (what the output head reads) at every position of rows of different lengths,
     * left-padded as in {@link #logitsAllPositions}, without keeping a cache: {@code [B, maxLen, hidden]} in F32,
     * owned by {@code step}. Row {@code r}'s position {@code p} is at index {@code maxLen - rows[r].length + p}; the
     * padding slots hold values that mean nothing.
     */
    public NDArray hiddenAllPositions(NDManager step, int[][] rows, AdapterBatch adapters) {
        LeftPaddedBatch padded = LeftPaddedBatch.of(rows);
        NDArray x = layers(
                step,
                padded.tokens(),
                padded.positions(),
                new GrowingKeys(new KvCache(step, cfg.numLayers()), padded.keyValid()),
                adapters);
        return f32(rmsNorm(x, weights.finalNorm()));
    }

    /**
     * @param q {@code [B, S, heads, headDim]}, rotated
     * @param k {@code [B, kvHeads, T, headDim]}
     * @param v {@code [B, kvHeads, T, headDim]}
     * @return {@code [B, S, heads * headDim]}
     */
    private NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask, int b, int s, int t) {
        int kvh = cfg.numKvHeads();
        int rep = cfg.kvGroups();
        int hd = cfg.headDim();
        // Grouped-query attention without repeating K/V: the query heads that share a KV head are stacked. With one
        // new position per row, [B, 1, heads, hd] is already in that order and a reshape does it.
        NDArray qg = (s == 1 ? q : q.transpose(0, 2, 1, 3)).reshape(b, kvh, (long) rep * s, hd);
        NDArray scores = qg.matMul(k.transpose(0, 1, 3, 2)).mul(attentionScale);
        if (mask != null) {
            scores = scores.reshape(b, kvh, rep, s, t).add(mask).reshape(b, kvh, (long) rep * s, t);
        }
        NDArray out = scores.softmax(-1).matMul(v);
        if (s == 1) {
            return out.reshape(b, 1, cfg.qDim());
        }
        return out.reshape(b, cfg.numHeads(), s, hd).transpose(0, 2, 1, 3).reshape(b, s, cfg.qDim());
    }

    /** The additive score of a blocked key: large and negative, within what the compute type holds. */
    private float blockedScore() {
        return weights.dtype() == DataType.FLOAT16 ? -6.0e4f : -1.0e9f;
    }

    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray variance = x.square().mean(new int[] {-1}, true);
        return x.mul(variance.add(normEps).pow(minusHalf)).mul(weight);
    }

    private static NDArray project(
            NDManager step, AdapterBatch adapters, MatrixRef m, NDArray x, NDArray wT, Optional<NDArray> bias) {
        NDArray y = adapters.project(step, m, x, wT);
        return bias.isPresent() ? y.add(bias.get()) : y;
    }
}
