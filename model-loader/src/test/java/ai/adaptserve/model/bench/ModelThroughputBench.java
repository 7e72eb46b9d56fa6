package ai.adaptserve.model.bench;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.checkpoint.CheckpointWriter;
import ai.adaptserve.model.checkpoint.RandomWeights;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.config.ModelConfig;
import ai.adaptserve.model.llama.DecodeSession;
import ai.adaptserve.model.tokenizer.ByteTokenizer;
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Prefill and decode throughput of a SmolLM2-135M-shaped random checkpoint (F32 and BF16 on disk), ours (DJL /
 * PyTorch) side by side with Jlama on the same files in the same JVM, plus the memory-read bandwidth of the
 * machine and the decode ceiling it implies: steps/s &le; bandwidth &divide; bytes of weights read per step.
 *
 * <p>Not a test: run it with {@code bin/bench-model}. Progress goes to stderr, the markdown table to stdout.
 *
 * <pre>
 * ModelThroughputBench [modelDir] [--prompt 128] [--steps 32] [--warmup 1] [--reps 5] [--jlama-b8-reps 2]
 * </pre>
 */
public final class ModelThroughputBench {
    private ModelThroughputBench() {}

    static final long SEED = 135;
    static final double STD = 0.02;
    static final int[] BATCHES = {1, 8};

    /** SmolLM2-135M's shape (with our byte-level tokenizer ids for BOS/EOS; extra vocab ids are unused). */
    static ModelConfig smolLm2Shape() {
        return new ModelConfig(
                "LlamaForCausalLM",
                49152,
                576,
                1536,
                30,
                9,
                3,
                64,
                1e-5,
                100000.0,
                Optional.empty(),
                true,
                false,
                2048,
                Optional.of(ByteTokenizer.BOS),
                List.of(ByteTokenizer.EOS),
                "float32");
    }

    record Options(Path dir, int prompt, int steps, int warmup, int reps, int jlamaB8Reps) {
        static Options parse(String[] args) {
            Path dir = Path.of("target/bench-models");
            int prompt = 128;
            int steps = 32;
            int warmup = 1;
            int reps = 5;
            int jlamaB8 = 2;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--prompt" -> prompt = Integer.parseInt(args[++i]);
                    case "--steps" -> steps = Integer.parseInt(args[++i]);
                    case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                    case "--reps" -> reps = Integer.parseInt(args[++i]);
                    case "--jlama-b8-reps" -> jlamaB8 = Integer.parseInt(args[++i]);
                    default -> {
                        if (a.startsWith("--")) {
                            throw new IllegalArgumentException("unknown option " + a);
                        }
                        dir = Path.of(a);
                    }
                }
            }
            return new Options(dir.toAbsolutePath().normalize(), prompt, steps, warmup, reps, jlamaB8);
        }
    }

    /** One measured configuration: per-repetition tokens/s for prefill and decode. */
    record Result(
            String engine,
            String checkpoint,
            String heldAs,
            int bytesPerWeight,
            int batch,
            String note,
            double[] prefillTps,
            double[] decodeTps,
            String failure) {}

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        PrintStream log = System.err;
        ModelConfig cfg = smolLm2Shape();
        log.printf(
                "bench: %s parameters, checkpoints under %s, prompt %d, steps %d, warmup %d, reps %d%n",
                parameterCount(cfg), o.dir(), o.prompt(), o.steps(), o.warmup(), o.reps());

        Path f32 = o.dir().resolve("smollm2-135m-shape-f32");
        Path bf16 = o.dir().resolve("smollm2-135m-shape-bf16");
        ensureCheckpoints(cfg, f32, bf16, log);

        log.println("bench: measuring memory read bandwidth");
        double bw1 = readBandwidth(1, 1L << 30, 8);
        double bw2 = readBandwidth(2, 1L << 30, 8);
        log.printf("bench: read bandwidth %.1f GB/s (1 thread), %.1f GB/s (2 threads)%n", bw1 / 1e9, bw2 / 1e9);

        int[][] prompts = prompts(cfg.vocabSize(), 8, o.prompt());
        List<Result> results = new ArrayList<>();
        List<int[]> greedy = new ArrayList<>();
        for (Path dir : List.of(f32, bf16)) {
            String ckpt = dir == f32 ? "F32" : "BF16";
            results.addAll(benchOurs(dir, ckpt, prompts, o, greedy, log));
        }
        for (Path dir : List.of(f32, bf16)) {
            String ckpt = dir == f32 ? "F32" : "BF16";
            results.addAll(benchJlama(dir, ckpt, prompts, o, greedy, log));
        }

        PrintStream out = System.out;
        printTable(out, cfg, o, results, bw1, bw2);
        if (greedy.size() >= 2) {
            out.println();
            out.printf(
                    "Sanity: greedy continuation of row 0 (F32 checkpoint, %d tokens), ours vs Jlama: %d/%d tokens agree.%n",
                    o.steps() + 1, agree(greedy.get(0), greedy.get(1)), o.steps() + 1);
        }
    }

    // ---------------------------------------------------------------- checkpoints

    static void ensureCheckpoints(ModelConfig cfg, Path f32, Path bf16, PrintStream log) throws IOException {
        boolean haveF32 = complete(f32);
        boolean haveBf16 = complete(bf16);
        if (haveF32 && haveBf16) {
            log.println("bench: reusing checkpoints in " + f32.getParent());
            return;
        }
        log.println("bench: generating random weights (seed " + SEED + ", std " + STD + ")");
        List<CheckpointWriter.Tensor> tensors = RandomWeights.of(cfg, SEED, STD);
        if (!haveF32) {
            write(cfg, tensors, f32, TensorDType.F32, log);
        }
        if (!haveBf16) {
            write(cfg, tensors, bf16, TensorDType.BF16, log);
        }
    }

    static boolean complete(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json"))
                && Files.isRegularFile(dir.resolve("tokenizer.json"))
                && Files.isRegularFile(dir.resolve("model.safetensors"));
    }

    /** Writes into a sibling temp directory and renames it, so an interrupted run never leaves a half checkpoint. */
    static void write(ModelConfig cfg, List<CheckpointWriter.Tensor> tensors, Path dir, TensorDType dtype, PrintStream log)
            throws IOException {
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
        deleteRecursively(tmp);
        deleteRecursively(dir);
        long t0 = System.nanoTime();
        CheckpointWriter.write(tmp, cfg, tensors, dtype, 0);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        log.printf("bench: wrote %s checkpoint %s in %.1f s%n", dtype, dir, (System.nanoTime() - t0) / 1e9);
    }

    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }

    static int[][] prompts(int vocab, int rows, int len) {
        SplittableRandom r = new SplittableRandom(7);
        int[][] p = new int[rows][len];
        for (int[] row : p) {
            row[0] = ByteTokenizer.BOS;
            for (int j = 1; j < len; j++) {
                row[j] = r.nextInt(vocab);
            }
        }
        return p;
    }

    // ---------------------------------------------------------------- ours

    static List<Result> benchOurs(
            Path dir, String ckpt, int[][] allPrompts, Options o, List<int[]> greedy, PrintStream log) {
        List<Result> out = new ArrayList<>();
        log.println("bench: loading ours from " + dir);
        try (LoadedModel m = LoadedModel.load(dir)) {
            for (int batch : BATCHES) {
                int[][] prompts = Arrays.copyOf(allPrompts, batch);
                double[] pre = new double[o.reps()];
                double[] dec = new double[o.reps()];
                for (int rep = -o.warmup(); rep < o.reps(); rep++) {
                    int[] continuation = new int[o.steps() + 1];
                    long t0;
                    long t1;
                    long t2;
                    try (DecodeSession s = new DecodeSession(m.decoder(), batch)) {
                        t0 = System.nanoTime();
                        float[][] logits = s.prefill(prompts);
                        t1 = System.nanoTime();
                        int[] next = new int[batch];
                        for (int step = 0; ; step++) {
                            for (int r = 0; r < batch; r++) {
                                next[r] = argmax(logits[r]);
                            }
                            continuation[step] = next[0];
                            if (step == o.steps()) {
                                break;
                            }
                            logits = s.step(next);
                        }
                        t2 = System.nanoTime();
                    }
                    if (rep >= 0) {
                        pre[rep] = (double) batch * o.prompt() / ((t1 - t0) / 1e9);
                        dec[rep] = (double) batch * o.steps() / ((t2 - t1) / 1e9);
                    }
                    if (batch == 1 && ckpt.equals("F32") && rep == o.reps() - 1) {
                        greedy.add(continuation);
                    }
                    log.printf(
                            "bench: ours %s b%d %s: prefill %.2f s, decode %.2f s%n",
                            ckpt, batch, rep < 0 ? "warm-up" : "rep " + rep, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
                }
                out.add(new Result("ours (DJL 0.35 / PyTorch 2.7.1)", ckpt, "F32", 4, batch, "", pre, dec, null));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- Jlama

    static List<Result> benchJlama(
            Path dir, String ckpt, int[][] allPrompts, Options o, List<int[]> greedy, PrintStream log) {
        List<Result> out = new ArrayList<>();
        log.println("bench: loading Jlama from " + dir + " (working dtype F32)");
        AbstractModel m;
        try {
            m = ModelSupport.loadModel(dir.toFile(), DType.F32, DType.F32);
        } catch (RuntimeException | Error e) {
            log.println("bench: Jlama failed to load " + dir + ": " + e);
            for (int batch : BATCHES) {
                out.add(new Result("Jlama 0.8.4", ckpt, "-", 0, batch, "", null, null, "load failed: " + e));
            }
            return out;
        }
        try {
            DType held = m.getWeights().getModelDType();
            int bytes = held == DType.F32 ? 4 : held == DType.BF16 || held == DType.F16 ? 2 : 4;
            for (int batch : BATCHES) {
                int reps = batch == 1 ? o.reps() : Math.min(o.reps(), o.jlamaB8Reps());
                int warmup = batch == 1 ? o.warmup() : 0;
                double[] pre = new double[reps];
                double[] dec = new double[reps];
                String failure = null;
                try {
                    for (int rep = -warmup; rep < reps; rep++) {
                        long prefillNs = 0;
                        long decodeNs = 0;
                        // Jlama's public API decodes one sequence per forward: the batch runs as independent
                        // sequences one after another, each with its own KV buffer.
                        try (KvBufferCache cache = new KvBufferCache(m)) {
                            for (int r = 0; r < batch; r++) {
                                int[] continuation = new int[o.steps() + 1];
                                KvBufferCache.KvBuffer kv = cache.getKvBuffer(UUID.randomUUID());
                                long t0 = System.nanoTime();
                                AbstractTensor h = m.batchForward(allPrompts[r], 0, kv);
                                float[] probs = m.getLogits(h.slice(h.shape().first() - 1));
                                h.close();
                                long t1 = System.nanoTime();
                                int next = argmax(probs);
                                continuation[0] = next;
                                for (int step = 0; step < o.steps(); step++) {
                                    AbstractTensor x = m.forward(next, o.prompt() + step, kv, Optional.empty());
                                    next = argmax(m.getLogits(x));
                                    x.close();
                                    continuation[step + 1] = next;
                                }
                                long t2 = System.nanoTime();
                                prefillNs += t1 - t0;
                                decodeNs += t2 - t1;
                                if (batch == 1 && r == 0 && ckpt.equals("F32") && rep == reps - 1) {
                                    greedy.add(continuation);
                                }
                            }
                        }
                        if (rep >= 0) {
                            pre[rep] = (double) batch * o.prompt() / (prefillNs / 1e9);
                            dec[rep] = (double) batch * o.steps() / (decodeNs / 1e9);
                        }
                        log.printf(
                                "bench: Jlama %s b%d %s: prefill %.2f s, decode %.2f s%n",
                                ckpt, batch, rep < 0 ? "warm-up" : "rep " + rep, prefillNs / 1e9, decodeNs / 1e9);
                    }
                } catch (RuntimeException | Error e) {
                    log.println("bench: Jlama failed on " + dir + " batch " + batch + ": " + e);
                    e.printStackTrace(log);
                    failure = "failed: " + e;
                }
                String note = batch == 1 ? "" : "8 sequences run one after another (no batched decode in the public API)";
                out.add(new Result(
                        "Jlama 0.8.4",
                        ckpt,
                        held.name(),
                        bytes,
                        batch,
                        note,
                        failure == null ? pre : null,
                        failure == null ? dec : null,
                        failure));
            }
        } finally {
            m.close();
        }
        return out;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    static int agree(int[] a, int[] b) {
        int n = 0;
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            if (a[i] == b[i]) {
                n++;
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- bandwidth and ceiling

    /**
     * Best-of-{@code runs} read bandwidth in bytes/s: {@code threads} threads each sum their own long[] (together
     * {@code totalBytes}), timed from start to the last thread's finish.
     */
    static double readBandwidth(int threads, long totalBytes, int runs) throws Exception {
        int n = (int) (totalBytes / threads / Long.BYTES);
        long[][] arrays = new long[threads][n];
        for (long[] a : arrays) {
            for (int i = 0; i < n; i++) {
                a[i] = i;
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            double best = 0;
            long sink = 0;
            for (int run = 0; run < runs + 3; run++) {
                List<Callable<Long>> tasks = new ArrayList<>();
                for (long[] a : arrays) {
                    tasks.add(() -> sum(a));
                }
                long t0 = System.nanoTime();
                for (Future<Long> f : pool.invokeAll(tasks)) {
                    sink += f.get();
                }
                long t = System.nanoTime() - t0;
                if (run >= 3) {
                    best = Math.max(best, (double) n * threads * Long.BYTES / (t / 1e9));
                }
            }
            if (sink == 42) {
                System.err.print("");
            }
            return best;
        } finally {
            pool.shutdown();
        }
    }

    static long sum(long[] a) {
        long s0 = 0;
        long s1 = 0;
        long s2 = 0;
        long s3 = 0;
        int i = 0;
        for (; i + 3 < a.length; i += 4) {
            s0 += a[i];
            s1 += a[i + 1];
            s2 += a[i + 2];
            s3 += a[i + 3];
        }
        for (; i < a.length; i++) {
            s0 += a[i];
        }
        return s0 + s1 + s2 + s3;
    }

    /** Every weight in the checkpoint (the tied head is the embedding matrix, counted once). */
    static long parameterCount(ModelConfig c) {
        long embed = (long) c.vocabSize() * c.hiddenSize();
        long head = c.tieWordEmbeddings() ? 0 : embed;
        return embed + head + (long) c.numLayers() * layerParams(c) + c.hiddenSize();
    }

    static long layerParams(ModelConfig c) {
        long h = c.hiddenSize();
        long attn = h * c.qDim() + 2 * h * c.kvDim() + (long) c.qDim() * h;
        long mlp = 3 * h * c.intermediateSize();
        return attn + mlp + 2 * h;
    }

    /**
     * Weights read by one decode step of {@code batch} rows: every layer matrix and norm, the final norm, the
     * head matrix once (shared by the rows; with tied embeddings it is the embedding matrix) and one embedding
     * row per sequence.
     */
    static long weightsReadPerStep(ModelConfig c, int batch) {
        return (long) c.numLayers() * layerParams(c)
                + c.hiddenSize()
                + (long) c.vocabSize() * c.hiddenSize()
                + (long) batch * c.hiddenSize();
    }

    // ---------------------------------------------------------------- report

    static void printTable(PrintStream out, ModelConfig cfg, Options o, List<Result> results, double bw1, double bw2) {
        out.printf(
                "Model: SmolLM2-135M shape, random weights: %d layers, hidden %d, %d heads / %d KV heads (head_dim %d),"
                        + " intermediate %d, vocab %d, tied embeddings; %,d parameters.%n",
                cfg.numLayers(),
                cfg.hiddenSize(),
                cfg.numHeads(),
                cfg.numKvHeads(),
                cfg.headDim(),
                cfg.intermediateSize(),
                cfg.vocabSize(),
                parameterCount(cfg));
        out.printf(
                "Workload: prompts of %d tokens (prefill tok/s = batch x %d / prefill time), then %d greedy decode"
                        + " steps (decode tok/s = batch x %d / decode time); %d warm-up + %d timed repetitions"
                        + " (Jlama batch 8: %d timed, no warm-up), median (min-max).%n",
                o.prompt(), o.prompt(), o.steps(), o.steps(), o.warmup(), o.reps(), Math.min(o.reps(), o.jlamaB8Reps()));
        out.printf(
                "Memory read bandwidth (sum of a 1 GiB long[] set, best of 8): %.1f GB/s with 2 threads, %.1f GB/s"
                        + " with 1 thread.%n",
                bw2 / 1e9, bw1 / 1e9);
        out.println();
        out.println("| Engine | Checkpoint | Weights held as | Batch | Prefill tok/s | Decode tok/s | Decode ms/forward"
                + " | Weight MB read/forward | Decode ceiling tok/s | Decode % of ceiling | Note |");
        out.println("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
        for (Result r : results) {
            if (r.failure() != null) {
                out.printf(
                        "| %s | %s | %s | %d | n/a | n/a | n/a | | | | %s |%n",
                        r.engine(), r.checkpoint(), r.heldAs(), r.batch(), r.failure().replace('|', '/'));
                continue;
            }
            // Rows decoded together share one read of the weights; Jlama's rows run one forward each.
            int rowsPerForward = r.engine().startsWith("Jlama") ? 1 : r.batch();
            double bytes = (double) weightsReadPerStep(cfg, rowsPerForward) * r.bytesPerWeight();
            double ceilingTps = rowsPerForward * bw2 / bytes;
            double dec = median(r.decodeTps());
            double msPerStep = 1000.0 * rowsPerForward / dec;
            out.printf(
                    Locale.ROOT,
                    "| %s | %s | %s | %d | %s | %s | %.1f | %.0f | %.0f | %.0f%% | %s |%n",
                    r.engine(),
                    r.checkpoint(),
                    r.heldAs(),
                    r.batch(),
                    spread(r.prefillTps()),
                    spread(r.decodeTps()),
                    msPerStep,
                    bytes / 1e6,
                    ceilingTps,
                    100 * dec / ceilingTps,
                    r.note());
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    static String spread(double[] v) {
        double min = Arrays.stream(v).min().orElse(Double.NaN);
        double max = Arrays.stream(v).max().orElse(Double.NaN);
        return String.format(Locale.ROOT, "%.1f (%.1f-%.1f)", median(v), min, max);
    }
}
