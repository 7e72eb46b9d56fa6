package ai.adaptserve.lab.pretrain;

import ai.adaptserve.lab.tasks.PromptFormat;
import ai.adaptserve.model.adapter.AdapterBatch;
import ai.adaptserve.model.checkpoint.CheckpointWriter;
import ai.adaptserve.model.checkpoint.RandomWeights;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.config.ModelConfig;
import ai.adaptserve.model.generate.BatchGenerator;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.generate.GenerationParams;
import ai.adaptserve.model.llama.LlamaDecoder;
import ai.adaptserve.model.llama.LlamaWeights;
import ai.adaptserve.model.tokenizer.ByteTokenizer;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Trains a Llama-family model from scratch, every parameter, with DJL autograd: next-token cross-entropy on the answer
 * bytes (and EOS) of rendered few-shot tasks, on the demonstrations' outputs inside the prompt (each is the answer to
 * the same task given the demonstrations before it), and with a smaller weight on the other prompt bytes; AdamW with
 * linear warm-up, cosine decay and global-norm gradient clipping.
 *
 * <p>The master weights are Java {@code float[]}s, initialised by {@link RandomWeights} under their Hugging Face names
 * (so the checkpoint is written straight from them). Each step copies them into a fresh step manager as tensors that
 * require gradients, assembles a {@link LlamaWeights} over those copies, and runs the serving decoder's
 * {@link LlamaDecoder#logitsAllPositions} — training and serving share one forward pass. The gradients are read back
 * and the optimizer updates the Java arrays; nothing native outlives a step, and the loss's scalars are tensors owned
 * by the step (see {@code train.Losses} on why Java numbers must stay off the gradient path).
 *
 * <p>DJL's PyTorch gradient collector is process-wide: do not run this next to another trainer in the same JVM.
 * Single-threaded PyTorch ({@code ai.djl.pytorch.num_threads=1}) makes runs bit-for-bit repeatable.
 */
public final class BaseModelTrainer implements AutoCloseable {
    /** Rows per forward pass when evaluating. */
    static final int EVAL_BATCH = 32;
    /** Most tokens a greedy answer may take (outputs are at most 12 bytes, plus the terminator). */
    static final int MAX_ANSWER_TOKENS = 24;

    /**
     * One optimizer step.
     *
     * @param loss the optimized loss: weighted mean over answer and prompt targets
     * @param answerLoss mean cross-entropy over the answer targets only (nats per token)
     * @param gradNorm global gradient norm before clipping
     * @param tokens tokens in the batch, padding excluded
     * @param millis wall time of the step
     * @param valLoss answer cross-entropy on the validation sequences, when this step evaluated
     * @param valExactMatch greedy exact-match share on the validation prompts, when this step evaluated
     */
    public record StepLog(
            int step,
            double learningRate,
            double loss,
            double answerLoss,
            double gradNorm,
            int tokens,
            long millis,
            long elapsedMs,
            OptionalDouble valLoss,
            OptionalDouble valExactMatch) {
        public double tokensPerSecond() {
            return millis == 0 ? 0 : tokens * 1000.0 / millis;
        }
    }

    /**
     * A finished run.
     *
     * @param stopReason {@code steps} when every planned step ran, {@code wall-time} when the time limit ended it
     */
    public record Result(int steps, String stopReason, List<StepLog> log, long elapsedMs) {
        /** Tokens per second over every step (evaluation time excluded). */
        public double tokensPerSecond() {
            long tokens = 0;
            long ms = 0;
            for (StepLog s : log) {
                tokens += s.tokens();
                ms += s.millis();
            }
            return ms == 0 ? 0 : tokens * 1000.0 / ms;
        }

        /** Mean answer loss of the last {@code n} steps. */
        public double meanAnswerLoss(int n) {
            return log.subList(Math.max(0, log.size() - n), log.size()).stream()
                    .mapToDouble(StepLog::answerLoss)
                    .average()
                    .orElse(Double.NaN);
        }
    }

    /** Greedy exact match of one family: correct answers out of {@code total}. */
    public record Score(int correct, int total) {
        public double share() {
            return total == 0 ? Double.NaN : correct / (double) total;
        }
    }

    private final PretrainConfig cfg;
    private final ModelConfig model;
    private final List<CheckpointWriter.Tensor> params;
    private final ArrayAdamW optimizer;
    private final NDManager root;
    private final ByteTokenizer tokenizer;

    public BaseModelTrainer(PretrainConfig cfg) {
        this.cfg = cfg;
        this.model = cfg.model();
        this.params = RandomWeights.of(model, cfg.seed(), cfg.initStd());
        this.optimizer = new ArrayAdamW(cfg, params);
        this.root = Engine.getEngine("PyTorch").newBaseManager();
        this.tokenizer = new ByteTokenizer(model.bosTokenId());
    }

    public PretrainConfig config() {
        return cfg;
    }

    /** Optimizer steps taken so far. */
    public int steps() {
        return optimizer.steps();
    }

    /** Number of trainable values. */
    public long parameterCount() {
        long n = 0;
        for (CheckpointWriter.Tensor p : params) {
            n += p.values().length;
        }
        return n;
    }

    /** The learning rate of 1-based step {@code step}: linear warm-up, then cosine down to the final ratio. */
    public double learningRate(int step) {
        return optimizer.learningRate(step);
    }

    /**
     * Trains until {@code cfg.steps()} steps or the wall-time limit, reporting every step (with validation figures on
     * evaluation steps) to {@code listener}.
     *
     * @param valLoss sequences for the validation loss
     * @param valPrompts sequences whose prompts are answered greedily for the validation exact match
     */
    public Result train(
            PretrainData.Batches batches,
            List<PretrainData.Example> valLoss,
            List<PretrainData.Example> valPrompts,
            Consumer<StepLog> listener) {
        long t0 = System.nanoTime();
        List<StepLog> log = new ArrayList<>();
        String stop = "steps";
        while (steps() < cfg.steps()) {
            if (Duration.ofNanos(System.nanoTime() - t0).compareTo(cfg.maxWallTime()) >= 0) {
                stop = "wall-time";
                break;
            }
            StepLog s = step(batches.next());
            OptionalDouble vl = OptionalDouble.empty();
            OptionalDouble em = OptionalDouble.empty();
            if (cfg.evalEvery() > 0 && (steps() % cfg.evalEvery() == 0 || steps() == cfg.steps())) {
                vl = valLoss.isEmpty() ? vl : OptionalDouble.of(answerLoss(valLoss));
                em = valPrompts.isEmpty()
                        ? em
                        : OptionalDouble.of(total(exactMatch(valPrompts)).share());
            }
            s = new StepLog(
                    s.step(),
                    s.learningRate(),
                    s.loss(),
                    s.answerLoss(),
                    s.gradNorm(),
                    s.tokens(),
                    s.millis(),
                    (System.nanoTime() - t0) / 1_000_000,
                    vl,
                    em);
            log.add(s);
            listener.accept(s);
        }
        return new Result(steps(), stop, Collections.unmodifiableList(log), (System.nanoTime() - t0) / 1_000_000);
    }

    /** One optimizer step on {@code batch}. */
    public StepLog step(List<PretrainData.Example> batch) {
        long start = System.nanoTime();
        Targets tg = new Targets(batch, (float) cfg.promptWeight(), (float) cfg.demoOutputWeight());
        float[][] grads = new float[params.size()][];
        double loss;
        double answerLoss;
        try (NDManager step = root.newSubManager()) {
            Map<String, NDArray> live = new HashMap<>();
            for (CheckpointWriter.Tensor p : params) {
                NDArray a = step.create(p.values(), new Shape(p.shape()));
                a.setRequiresGradient(true);
                live.put(p.name(), a);
            }
            try (GradientCollector gc = step.getEngine().newGradientCollector()) {
                LlamaWeights w = LlamaWeights.of(model, step, live::get);
                NDArray logits = new LlamaDecoder(w).logitsAllPositions(step, tg.rows, AdapterBatch.NONE);
                NDArray lp = tokenLogProbs(step, logits, tg);
                NDArray l = lp.mul(tg.weights(step)).sum().neg().div(step.create((float) tg.weightSum));
                NDArray al = lp.mul(tg.answerMask(step)).sum().neg().div(step.create((float) tg.answerTokens));
                loss = l.getFloat();
                answerLoss = al.getFloat();
                if (!Double.isFinite(loss)) {
                    throw new IllegalStateException("the loss is not finite at step " + (steps() + 1));
                }
                gc.backward(l);
            }
            for (int i = 0; i < params.size(); i++) {
                grads[i] = live.get(params.get(i).name()).getGradient().toFloatArray();
            }
        }
        double gradNorm = optimizer.step(grads);
        long ms = (System.nanoTime() - start) / 1_000_000;
        int t = steps();
        return new StepLog(
                t,
                learningRate(t),
                loss,
                answerLoss,
                gradNorm,
                tg.realTokens,
                ms,
                0,
                OptionalDouble.empty(),
                OptionalDouble.empty());
    }

    /** Mean answer cross-entropy (nats per answer token, EOS included) over {@code examples}, without gradients. */
    public double answerLoss(List<PretrainData.Example> examples) {
        return withDecoder(decoder -> {
            double sum = 0;
            long n = 0;
            for (int i = 0; i < examples.size(); i += EVAL_BATCH) {
                Targets tg = new Targets(examples.subList(i, Math.min(examples.size(), i + EVAL_BATCH)), 0f, 0f);
                try (NDManager step = root.newSubManager()) {
                    NDArray logits = decoder.logitsAllPositions(step, tg.rows, AdapterBatch.NONE);
                    sum -= tokenLogProbs(step, logits, tg)
                            .mul(tg.answerMask(step))
                            .sum()
                            .getFloat();
                    n += tg.answerTokens;
                }
            }
            return sum / n;
        });
    }

    /** Greedy answers (up to the terminator) to {@code prompts}, in order. */
    public List<String> greedy(List<String> prompts) {
        GenerationParams p = new GenerationParams(MAX_ANSWER_TOKENS, 0f, 1f, List.of(PromptFormat.TERMINATOR), 0L);
        return withDecoder(decoder -> {
            BatchGenerator gen = new BatchGenerator(
                    decoder,
                    tokenizer,
                    Set.copyOf(model.eosTokenIds()),
                    model.maxPositionEmbeddings(),
                    model.bosTokenId().isPresent());
            List<String> out = new ArrayList<>(prompts.size());
            for (int i = 0; i < prompts.size(); i += EVAL_BATCH) {
                List<String> chunk = prompts.subList(i, Math.min(prompts.size(), i + EVAL_BATCH));
                for (Generation g : gen.generate(chunk, Collections.nCopies(chunk.size(), p))) {
                    out.add(g.text());
                }
            }
            return out;
        });
    }

    /** Greedy exact match per family over the examples' prompts, by family label. */
    public Map<String, Score> exactMatch(List<PretrainData.Example> examples) {
        List<String> prompts =
                examples.stream().map(PretrainData.Example::prompt).toList();
        List<String> answers = greedy(prompts);
        Map<String, int[]> counts = new TreeMap<>();
        for (int i = 0; i < examples.size(); i++) {
            int[] c = counts.computeIfAbsent(examples.get(i).family(), k -> new int[2]);
            c[1]++;
            if (answers.get(i).equals(examples.get(i).output())) {
                c[0]++;
            }
        }
        Map<String, Score> out = new TreeMap<>();
        counts.forEach((f, c) -> out.put(f, new Score(c[0], c[1])));
        return out;
    }

    /** The sum over families. */
    public static Score total(Map<String, Score> byFamily) {
        int c = 0;
        int n = 0;
        for (Score s : byFamily.values()) {
            c += s.correct();
            n += s.total();
        }
        return new Score(c, n);
    }

    /**
     * Logits of the current weights at every position of {@code rows} (left-padded to the longest), flattened
     * {@code [B, maxLen, vocab]}: what a loaded checkpoint of these weights must reproduce.
     */
    public float[] logits(int[][] rows) {
        return withDecoder(decoder -> {
            try (NDManager step = root.newSubManager()) {
                return decoder.logitsAllPositions(step, rows, AdapterBatch.NONE).toFloatArray();
            }
        });
    }

    /** The current weights by Hugging Face name, as the checkpoint holds them (copies). */
    public List<CheckpointWriter.Tensor> tensors() {
        List<CheckpointWriter.Tensor> out = new ArrayList<>(params.size());
        for (CheckpointWriter.Tensor p : params) {
            out.add(new CheckpointWriter.Tensor(
                    p.name(), p.values().clone(), p.shape().clone()));
        }
        return out;
    }

    /** Bytes of the weights at {@code dtype}. */
    public long weightBytes(TensorDType dtype) {
        return parameterCount() * dtype.byteSize();
    }

    /** Writes the checkpoint (config.json, model.safetensors, tokenizer.json) into {@code dir}. */
    public void save(Path dir, TensorDType dtype) throws IOException {
        CheckpointWriter.write(dir, model, params, dtype, 0);
    }

    private <T> T withDecoder(Function<LlamaDecoder, T> f) {
        try (NDManager w = root.newSubManager()) {
            Map<String, NDArray> arrays = new HashMap<>();
            for (CheckpointWriter.Tensor p : params) {
                arrays.put(p.name(), w.create(p.values(), new Shape(p.shape())));
            }
            return f.apply(new LlamaDecoder(LlamaWeights.of(model, w, arrays::get)));
        }
    }

    /** {@code log p(target)} at every padded position: {@code [B, maxLen]}. */
    private static NDArray tokenLogProbs(NDManager step, NDArray logits, Targets tg) {
        return logits.logSoftmax(-1).gather(tg.targets(step).expandDims(-1), -1).squeeze(-1);
    }

    @Override
    public void close() {
        root.close();
    }

    /**
     * Next-token targets of a batch laid out like {@code logitsAllPositions}' left padding: the logits at padded
     * position {@code p} predict the row's next token. Answer targets weigh 1, the demonstrations' outputs in the
     * prompt {@code demoWeight}, the other prompt targets {@code promptWeight}.
     */
    static final class Targets {
        final int[][] rows;
        final int maxLen;
        final long[] targets;
        final float[] weights;
        final float[] answer;
        final double weightSum;
        final int answerTokens;
        final int realTokens;

        Targets(List<PretrainData.Example> batch, float promptWeight, float demoWeight) {
            int b = batch.size();
            int len = 0;
            int real = 0;
            for (PretrainData.Example e : batch) {
                len = Math.max(len, e.tokens().length);
                real += e.tokens().length;
            }
            this.maxLen = len;
            this.realTokens = real;
            this.rows = new int[b][];
            this.targets = new long[b * len];
            this.weights = new float[b * len];
            this.answer = new float[b * len];
            double ws = 0;
            int na = 0;
            for (int r = 0; r < b; r++) {
                PretrainData.Example e = batch.get(r);
                int[] tok = e.tokens();
                rows[r] = tok;
                int pad = len - tok.length;
                for (int p = 0; p < tok.length - 1; p++) {
                    int at = r * len + pad + p;
                    targets[at] = tok[p + 1];
                    boolean isAnswer = p + 1 >= e.answerFrom();
                    weights[at] = isAnswer ? 1f : e.demoOutput()[p + 1] ? demoWeight : promptWeight;
                    answer[at] = isAnswer ? 1f : 0f;
                    ws += weights[at];
                    na += isAnswer ? 1 : 0;
                }
            }
            this.weightSum = ws;
            this.answerTokens = na;
        }

        NDArray targets(NDManager m) {
            return m.create(targets, new Shape(rows.length, maxLen));
        }

        NDArray weights(NDManager m) {
            return m.create(weights, new Shape(rows.length, maxLen));
        }

        NDArray answerMask(NDManager m) {
            return m.create(answer, new Shape(rows.length, maxLen));
        }
    }
}
