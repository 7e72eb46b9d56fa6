package ai.adaptserve.model.llama;

import ai.adaptserve.model.adapter.AdapterBatch;
import ai.adaptserve.model.adapter.MatrixRef;
import ai.adaptserve.model.adapter.TargetMatrix;
import ai.adaptserve.model.config.ModelConfig;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
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

    public LlamaDecoder(LlamaWeights weights) {
        this.weights = weights;
        this.cfg = weights.config();
        this.rope = new RotaryEmbedding(cfg);
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
        if (lastOnly) {
            x = x.get(":, -1:, :");
        }
        return f32(adapters.project(step, MatrixRef.head(), rmsNorm(x, weights.finalNorm()), weights.lmHeadT()));
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
        int[] positions = new int[b * s];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < s; j++) {
                positions[i * s + j] = starts[i] + j;
            }
        }
        NDArray x = layers(step, tokens, positions, new SlotKeys(slots, rowSlots, starts), adapters);
        return f32(adapters.project(
                step, MatrixRef.head(), rmsNorm(x.get(":, -1:, :"), weights.finalNorm()), weights.lmHeadT()));
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

        float[][] cs = rope.tables(positions);
        DataType dt = weights.dtype();
        NDArray cos = step.create(cs[0], new Shape(b, 1, s, cfg.headDim())).toType(dt, false);
        NDArray sin = step.create(cs[1], new Shape(b, 1, s, cfg.headDim())).toType(dt, false);
        NDArray mask = keys.mask(step, s, blockedScore()).toType(dt, false);
        int t = keys.keyLength(s);

        for (int l = 0; l < cfg.numLayers(); l++) {
            LlamaWeights.Layer w = weights.layers().get(l);
            NDArray h = rmsNorm(x, w.attnNorm());
            NDArray q = project(step, adapters, l, TargetMatrix.Q, h, w.qT(), w.qBias())
                    .reshape(b, s, cfg.numHeads(), cfg.headDim())
                    .transpose(0, 2, 1, 3);
            NDArray k = project(step, adapters, l, TargetMatrix.K, h, w.kT(), w.kBias())
                    .reshape(b, s, cfg.numKvHeads(), cfg.headDim())
                    .transpose(0, 2, 1, 3);
            NDArray v = project(step, adapters, l, TargetMatrix.V, h, w.vT(), w.vBias())
                    .reshape(b, s, cfg.numKvHeads(), cfg.headDim())
                    .transpose(0, 2, 1, 3);
            q = applyRope(q, cos, sin);
            k = applyRope(k, cos, sin);
            NDList kv = keys.extend(step, l, k, v);
            k = kv.get(0);
            v = kv.get(1);

            NDArray attn = attention(q, k, v, mask, b, s, t);
            x = x.add(adapters.project(step, new MatrixRef(l, TargetMatrix.O), attn, w.oT()));

            NDArray h2 = rmsNorm(x, w.mlpNorm());
            NDArray gate = adapters.project(step, new MatrixRef(l, TargetMatrix.GATE), h2, w.gateT());
            NDArray up = adapters.project(step, new MatrixRef(l, TargetMatrix.UP), h2, w.upT());
            NDArray act = gate.mul(Activation.sigmoid(gate)).mul(up);
            x = x.add(adapters.project(step, new MatrixRef(l, TargetMatrix.DOWN), act, w.downT()));
        }
        return x;
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

    private NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask, int b, int s, int t) {
        int kvh = cfg.numKvHeads();
        int rep = cfg.kvGroups();
        int hd = cfg.headDim();
        // Grouped-query attention without repeating K/V: the query heads that share a KV head are stacked.
        NDArray qg = q.reshape(b, kvh, (long) rep * s, hd);
        NDArray scores = qg.matMul(k.transpose(0, 1, 3, 2))
                .mul(scalar(q, 1.0 / Math.sqrt(hd)))
                .reshape(b, kvh, rep, s, t)
                .add(mask);
        NDArray probs = scores.softmax(-1).reshape(b, kvh, (long) rep * s, t);
        return probs.matMul(v)
                .reshape(b, cfg.numHeads(), s, hd)
                .transpose(0, 2, 1, 3)
                .reshape(b, s, cfg.qDim());
    }

    /** The additive score of a blocked key: large and negative, within what the compute type holds. */
    private float blockedScore() {
        return weights.dtype() == DataType.FLOAT16 ? -6.0e4f : -1.0e9f;
    }

    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray variance = x.square().mean(new int[] {-1}, true);
        return x.mul(variance.add(cfg.rmsNormEps()).pow(scalar(x, -0.5))).mul(weight);
    }

    private static NDArray project(
            NDManager step,
            AdapterBatch adapters,
            int layer,
            TargetMatrix target,
            NDArray x,
            NDArray wT,
            Optional<NDArray> bias) {
        NDArray y = adapters.project(step, new MatrixRef(layer, target), x, wT);
        return bias.isPresent() ? y.add(bias.get()) : y;
    }

    /**
     * A scalar owned by {@code like}'s manager (the step's), so it lives until the step closes. DJL's
     * {@code mul(Number)} and {@code pow(Number)} close their scalar right after the op, while autograd may keep it for
     * the backward pass of training, which then reads freed memory.
     */
    private static NDArray scalar(NDArray like, double value) {
        return like.getManager().create(value);
    }

    private static NDArray applyRope(NDArray x, NDArray cos, NDArray sin) {
        NDList halves = x.split(2, 3);
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), 3);
        return x.mul(cos).add(rotated.mul(sin));
    }
}
