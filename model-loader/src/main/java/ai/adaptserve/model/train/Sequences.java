package ai.adaptserve.model.train;

import ai.adaptserve.model.LoadedModel;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Token rows for {@code LlamaDecoder.logitsAllPositions} (left-padded to the longest) with, per padded position, the
 * next token as target and a mask that is 1 where that target counts in the loss. The logits at position {@code p}
 * of a row predict its token {@code p + 1}.
 */
final class Sequences {

    /** One sequence: the tokens from {@code lossFrom} on are the ones the loss is about. */
    record Row(int[] tokens, int lossFrom) {
        Row {
            if (lossFrom < 1 || lossFrom >= tokens.length) {
                throw new IllegalArgumentException(
                        "a row of " + tokens.length + " tokens has no predicted token from " + lossFrom);
            }
        }

        int lossTokens() {
            return tokens.length - lossFrom;
        }
    }

    private final int[][] rows;
    private final int maxLen;
    private final long[] targets;
    private final float[] mask;
    private final int lossTokens;

    private Sequences(List<Row> batch) {
        if (batch.isEmpty()) {
            throw new IllegalArgumentException("empty batch");
        }
        int b = batch.size();
        int len = 0;
        for (Row r : batch) {
            len = Math.max(len, r.tokens().length);
        }
        this.maxLen = len;
        this.rows = new int[b][];
        this.targets = new long[b * len];
        this.mask = new float[b * len];
        int n = 0;
        for (int r = 0; r < b; r++) {
            Row row = batch.get(r);
            int[] t = row.tokens();
            rows[r] = t;
            int pad = len - t.length;
            for (int p = row.lossFrom() - 1; p < t.length - 1; p++) {
                targets[r * len + pad + p] = t[p + 1];
                mask[r * len + pad + p] = 1f;
                n++;
            }
        }
        this.lossTokens = n;
    }

    static Sequences of(List<Row> batch) {
        return new Sequences(batch);
    }

    int[][] rows() {
        return rows;
    }

    int batchSize() {
        return rows.length;
    }

    /** Number of targets the mask keeps. */
    int lossTokens() {
        return lossTokens;
    }

    /** {@code [B, maxLen]} INT64 next-token ids (0 where masked out). */
    NDArray targets(NDManager m) {
        return m.create(targets, new Shape(rows.length, maxLen));
    }

    /** {@code [B, maxLen]} F32, 1 where the target counts. */
    NDArray mask(NDManager m) {
        return m.create(mask, new Shape(rows.length, maxLen));
    }

    /**
     * The tokens of a training example: the prompt as the model encodes it (BOS where it uses one), the completion
     * without BOS, then the model's first end-of-sequence id if it has one. The loss covers completion and EOS.
     */
    static Row example(LoadedModel model, TrainingExample ex) {
        int[] prompt = model.encode(ex.prompt());
        int[] completion = model.tokenizer().encode(ex.completion(), false);
        List<Integer> eos = model.config().eosTokenIds();
        int extra = eos.isEmpty() ? 0 : 1;
        int[] all = new int[prompt.length + completion.length + extra];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(completion, 0, all, prompt.length, completion.length);
        if (extra == 1) {
            all[all.length - 1] = eos.get(0);
        }
        if (prompt.length == 0) {
            throw new IllegalArgumentException("a training example's prompt must have at least one token");
        }
        if (all.length == prompt.length) {
            throw new IllegalArgumentException(
                    "a training example needs a completion (the model has no end-of-sequence token)");
        }
        checkLength(model, all.length);
        return new Row(all, prompt.length);
    }

    static List<Row> examples(LoadedModel model, List<TrainingExample> data) {
        if (data.isEmpty()) {
            throw new IllegalArgumentException("no training examples");
        }
        List<Row> rows = new ArrayList<>(data.size());
        for (TrainingExample e : data) {
            rows.add(example(model, e));
        }
        return rows;
    }

    static void checkLength(LoadedModel model, int tokens) {
        int ctx = model.config().maxPositionEmbeddings();
        if (tokens > ctx) {
            throw new IllegalArgumentException(
                    "a training sequence has " + tokens + " tokens; the model's context holds " + ctx);
        }
    }

    /** One epoch's mini-batches: the rows shuffled with {@code rnd}, then cut into groups of {@code batchSize}. */
    static List<List<Row>> epoch(List<Row> rows, int batchSize, Random rnd) {
        List<Row> order = new ArrayList<>(rows);
        Collections.shuffle(order, rnd);
        List<List<Row>> out = new ArrayList<>();
        for (int i = 0; i < order.size(); i += batchSize) {
            out.add(List.copyOf(order.subList(i, Math.min(order.size(), i + batchSize))));
        }
        return out;
    }
}
