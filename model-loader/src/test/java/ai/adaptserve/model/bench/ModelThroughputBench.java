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
 * ModelThroughputBench [modelDir] [--prompt 128] [--steps 32] [--warmup 2] [--reps 5] [--jlama-b8-reps 1]
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
            int warmup = 2;
            int reps = 5;
            int jlamaB8 = 1;
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

    /** One measured configuration: tokens/s samples for prefill and decode. */
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

    /** Timed samples of one run: tokens/s of prefill and decode, and row 0's greedy continuation. */
    record Sample(double[] prefillTps, double[] decodeTps, int[] greedy) {}

    /** A loaded model of one engine on one checkpoint. */
    interface Contender extends AutoCloseable {
        String engine();

        String checkpoint();

        String heldAs();

        int bytesPerWeight();

        /** Jlama runs the rows of a batch one after another. */
        boolean sequentialRows();

        Sample run(int[][] prompts, int steps);

        @Override
        void close();
    }

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
        Bandwidth bw = new Bandwidth(1L << 30);
        bw.sample(1, 6);
        bw.sample(2, 8);
        log.printf(
                "bench: read bandwidth so far %.1f GB/s (1 thread), %.1f GB/s (2 threads)%n",
                bw.bestOne() / 1e9, bw.bestTwo() / 1e9);

        int[][] prompts = prompts(cfg.vocabSize(), 8, o.prompt());
        List<Contender> contenders = new ArrayList<>();
        List<Result> failures = new ArrayList<>();
        try {
            for (Path dir : List.of(f32, bf16)) {
                String ckpt = dir == f32 ? "F32" : "BF16";
                log.println("bench: loading ours from " + dir);
                contenders.add(new Ours(LoadedModel.load(dir), ckpt));
            }
            for (Path dir : List.of(f32, bf16)) {
                String ckpt = dir == f32 ? "F32" : "BF16";
                log.println("bench: loading Jlama from " + dir + " (working dtype F32)");
                try {
                    contenders.add(new Jlama(ModelSupport.loadModel(dir.toFile(), DType.F32, DType.F32), ckpt));
                } catch (RuntimeException | Error e) {
                    log.println("bench: Jlama failed to load " + dir + ": " + e);
                    for (int batch : BATCHES) {
                        failures.add(new Result(JLAMA, ckpt, "-", 0, batch, "", null, null, "load failed: " + e));
                    }
                }
            }
            List<Result> results = measure(contenders, prompts, o, log, () -> bw.sample(2, 3));
            bw.sample(1, 6);
            bw.sample(2, 8);
            bw.close();
            log.printf(
                    "bench: read bandwidth %.1f GB/s (1 thread), %.1f GB/s (2 threads)%n",
                    bw.bestOne() / 1e9, bw.bestTwo() / 1e9);
            results.addAll(failures);

            PrintStream out = System.out;
            printTable(out, cfg, o, results, bw);
            out.println();
            out.printf(
                    "Sanity: greedy continuation of row 0 (F32 checkpoint, batch 1, %d tokens), ours vs Jlama: %s.%n",
                    o.steps() + 1, greedyAgreement);
        } finally {
            for (Contender c : contenders) {
                c.close();
            }
        }
    }

    static final String OURS = "ours (DJL 0.35 / PyTorch 2.7.1)";
    static final String JLAMA = "Jlama 0.8.4";
    static String greedyAgreement = "not compared";

    /**
     * Warm-up, then the timed repetitions round-robin over every contender and batch size, so that load from other
     * processes (when there is any) spreads over all configurations instead of hitting whichever ran last.
     */
    static List<Result> measure(
            List<Contender> contenders, int[][] allPrompts, Options o, PrintStream log, Runnable betweenRounds) {
        record Key(Contender c, int batch) {}
        java.util.Map<Key, List<Sample>> samples = new java.util.LinkedHashMap<>();
        java.util.Map<Key, String> failed = new java.util.HashMap<>();
        for (Contender c : contenders) {
            for (int batch : BATCHES) {
                samples.put(new Key(c, batch), new ArrayList<>());
            }
        }
        for (int rep = -o.warmup(); rep < o.reps(); rep++) {
            for (Key k : samples.keySet()) {
                if (failed.containsKey(k)) {
                    continue;
                }
                boolean jlamaBatch = k.c().sequentialRows() && k.batch() > 1;
                if (jlamaBatch && !jlamaBatchRound(rep, o)) {
                    continue; // 8 sequences one after another are slow: fewer repetitions, no warm-up of its own
                }
                try {
                    long t0 = System.nanoTime();
                    Sample s = k.c().run(Arrays.copyOf(allPrompts, k.batch()), o.steps());
                    log.printf(
                            "bench: %s %s b%d %s: %.1f s, prefill %.1f tok/s, decode %.1f tok/s%n",
                            k.c().engine(),
                            k.c().checkpoint(),
                            k.batch(),
                            rep < 0 ? "warm-up" : "rep " + rep,
                            (System.nanoTime() - t0) / 1e9,
                            median(s.prefillTps()),
                            median(s.decodeTps()));
                    if (rep >= 0) {
                        samples.get(k).add(s);
                    }
                } catch (RuntimeException | Error e) {
                    log.println(
                            "bench: " + k.c().engine() + " " + k.c().checkpoint() + " b" + k.batch() + " failed: " + e);
                    e.printStackTrace(log);
                    failed.put(k, "failed: " + e);
                }
            }
            betweenRounds.run();
        }
        int[] oursGreedy = null;
        int[] jlamaGreedy = null;
        List<Result> out = new ArrayList<>();
        for (var e : samples.entrySet()) {
            Contender c = e.getKey().c();
            int batch = e.getKey().batch();
            List<Sample> list = e.getValue();
            String note = c.sequentialRows() && batch > 1
                    ? "8 sequences one after another (the public API has no batched decode); median (min-max) over "
                            + list.size() * batch + " sequences"
                    : "";
            if (failed.containsKey(e.getKey()) || list.isEmpty()) {
                out.add(new Result(
                        c.engine(),
                        c.checkpoint(),
                        c.heldAs(),
                        c.bytesPerWeight(),
                        batch,
                        note,
                        null,
                        null,
                        failed.getOrDefault(e.getKey(), "no samples")));
                continue;
            }
            double[] pre = list.stream()
                    .flatMapToDouble(s -> Arrays.stream(s.prefillTps()))
                    .toArray();
            double[] dec = list.stream()
                    .flatMapToDouble(s -> Arrays.stream(s.decodeTps()))
                    .toArray();
            out.add(new Result(
                    c.engine(), c.checkpoint(), c.heldAs(), c.bytesPerWeight(), batch, note, pre, dec, null));
            if (batch == 1 && c.checkpoint().equals("F32")) {
                if (c.engine().equals(OURS)) {
                    oursGreedy = list.get(0).greedy();
                } else {
                    jlamaGreedy = list.get(0).greedy();
                }
            }
        }
        if (oursGreedy != null && jlamaGreedy != null) {
            greedyAgreement = agree(oursGreedy, jlamaGreedy) + "/" + oursGreedy.length + " tokens agree";
        }
        return out;
    }

    /** The rounds in which Jlama's sequential batch 8 runs: spread evenly over the timed repetitions. */
    static boolean jlamaBatchRound(int rep, Options o) {
        int n = Math.min(o.reps(), o.jlamaB8Reps());
        if (rep < 0 || n <= 0) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (rep == (2 * i + 1) * o.reps() / (2 * n)) {
                return true;
            }
        }
        return false;
    }

    /** Ours: the whole batch in one left-padded prefill, then one step per token for all rows. */
    record Ours(LoadedModel model, String checkpoint) implements Contender {
        @Override
        public String engine() {
            return OURS;
        }

        @Override
        public String heldAs() {
            return "F32";
        }

        @Override
        public int bytesPerWeight() {
            return 4;
        }

        @Override
        public boolean sequentialRows() {
            return false;
        }

        @Override
        public Sample run(int[][] prompts, int steps) {
            int batch = prompts.length;
            int[] continuation = new int[steps + 1];
            long t0;
            long t1;
            long t2;
            try (DecodeSession s = new DecodeSession(model.decoder(), batch)) {
                t0 = System.nanoTime();
                float[][] logits = s.prefill(prompts);
                t1 = System.nanoTime();
                int[] next = new int[batch];
                for (int step = 0; ; step++) {
                    for (int r = 0; r < batch; r++) {
                        next[r] = argmax(logits[r]);
                    }
                    continuation[step] = next[0];
                    if (step == steps) {
                        break;
                    }
                    logits = s.step(next);
                }
                t2 = System.nanoTime();
            }
            int promptTokens = Arrays.stream(prompts).mapToInt(p -> p.length).sum();
            return new Sample(
                    new double[] {promptTokens / ((t1 - t0) / 1e9)},
                    new double[] {(double) batch * steps / ((t2 - t1) / 1e9)},
                    continuation);
        }

        @Override
        public void close() {
            model.close();
        }
    }

    /**
     * Jlama: {@code batchForward} for a prompt, then {@code forward} + {@code getLogits} per token. Its public API
     * runs one sequence per forward, so a batch runs as independent sequences one after another, each with its own
     * KV buffer, and each sequence is one sample.
     */
    record Jlama(AbstractModel model, String checkpoint) implements Contender {
        @Override
        public String engine() {
            return JLAMA;
        }

        @Override
        public String heldAs() {
            return model.getWeights().getModelDType().name();
        }

        @Override
        public int bytesPerWeight() {
            DType held = model.getWeights().getModelDType();
            return held == DType.BF16 || held == DType.F16 ? 2 : 4;
        }

        @Override
        public boolean sequentialRows() {
            return true;
        }

        @Override
        @SuppressWarnings("rawtypes") // AbstractTensor's type parameters name jdk.incubator.vector classes
        public Sample run(int[][] prompts, int steps) {
            int batch = prompts.length;
            double[] pre = new double[batch];
            double[] dec = new double[batch];
            int[] first = null;
            try (KvBufferCache cache = new KvBufferCache(model)) {
                for (int r = 0; r < batch; r++) {
                    int[] continuation = new int[steps + 1];
                    KvBufferCache.KvBuffer kv = cache.getKvBuffer(UUID.randomUUID());
                    long t0 = System.nanoTime();
                    AbstractTensor h = model.batchForward(prompts[r], 0, kv);
                    float[] probs = model.getLogits(h.slice(h.shape().first() - 1));
                    h.close();
                    long t1 = System.nanoTime();
                    int next = argmax(probs);
                    continuation[0] = next;
                    for (int step = 0; step < steps; step++) {
                        AbstractTensor x = model.forward(next, prompts[r].length + step, kv, Optional.empty());
                        next = argmax(model.getLogits(x));
                        x.close();
                        continuation[step + 1] = next;
                    }
                    long t2 = System.nanoTime();
                    pre[r] = prompts[r].length / ((t1 - t0) / 1e9);
                    dec[r] = steps / ((t2 - t1) / 1e9);
                    if (r == 0) {
                        first = continuation;
                    }
                }
            }
            return new Sample(pre, dec, first);
        }

        @Override
        public void close() {
            model.close();
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
    static void write(
            ModelConfig cfg, List<CheckpointWriter.Tensor> tensors, Path dir, TensorDType dtype, PrintStream log)
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
     * Memory read bandwidth: 1 GiB of long[] read by one thread or by two threads (one half each), timed from start
     * to the last thread's finish. Each half is a pair of equal arrays compared with {@link Arrays#equals(long[],
     * long[])}, whose intrinsic reads with full-width vector loads (a plain summing loop is not vectorized by C2
     * and tops out near 25 GB/s per thread even in cache, so it would measure the core, not the memory). Load from
     * other processes only ever lowers a pass, so the best pass is the estimate; passes are taken before, between
     * and after the model runs.
     */
    static final class Bandwidth implements AutoCloseable {
        private final long[][][] halves = new long[2][2][];
        private final ExecutorService pool = Executors.newFixedThreadPool(2);
        private final List<Double> twoThreadPasses = new ArrayList<>();
        private double bestOne;
        private double bestTwo;
        private long sink;

        Bandwidth(long totalBytes) throws Exception {
            int n = (int) (totalBytes / 4 / Long.BYTES);
            for (long[][] pair : halves) {
                for (int a = 0; a < 2; a++) {
                    pair[a] = new long[n];
                    for (int i = 0; i < n; i++) {
                        pair[a][i] = i;
                    }
                }
            }
            pass(1);
            pass(2);
            pass(2);
        }

        long bytes() {
            return 4L * halves[0][0].length * Long.BYTES;
        }

        /** One timed pass over the whole set, in bytes/s. */
        double pass(int threads) throws Exception {
            long t0 = System.nanoTime();
            if (threads == 1) {
                sink += read(halves[0]) + read(halves[1]);
            } else {
                List<Callable<Long>> tasks = List.of(() -> read(halves[0]), () -> read(halves[1]));
                for (Future<Long> f : pool.invokeAll(tasks)) {
                    sink += f.get();
                }
            }
            return bytes() / ((System.nanoTime() - t0) / 1e9);
        }

        void sample(int threads, int passes) {
            try {
                for (int i = 0; i < passes; i++) {
                    double v = pass(threads);
                    if (threads == 1) {
                        bestOne = Math.max(bestOne, v);
                    } else {
                        bestTwo = Math.max(bestTwo, v);
                        twoThreadPasses.add(v);
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        double bestOne() {
            return bestOne;
        }

        double bestTwo() {
            return bestTwo;
        }

        double medianTwo() {
            return median(
                    twoThreadPasses.stream().mapToDouble(Double::doubleValue).toArray());
        }

        int twoThreadPassCount() {
            return twoThreadPasses.size();
        }

        @Override
        public void close() {
            pool.shutdown();
            if (sink == 42) {
                System.err.print("");
            }
        }
    }

    /** Reads both arrays of a pair in full (they are equal, so the comparison never stops early). */
    static long read(long[][] pair) {
        return Arrays.equals(pair[0], pair[1]) ? 1 : 0;
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

    static void printTable(PrintStream out, ModelConfig cfg, Options o, List<Result> results, Bandwidth bw) {
        double bw2 = bw.bestTwo();
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
                        + " steps (decode tok/s = batch x %d / decode time); all four models loaded at once, %d warm-up"
                        + " + %d timed repetitions taken round-robin over engines, checkpoints and batch sizes"
                        + " (Jlama batch 8: %d repetition(s) of 8 sequences); median (min-max) of the samples.%n",
                o.prompt(),
                o.prompt(),
                o.steps(),
                o.steps(),
                o.warmup(),
                o.reps(),
                Math.min(o.reps(), o.jlamaB8Reps()));
        out.printf(
                "Memory read bandwidth (reading 1 GiB of long[] with Arrays.equals; best pass, taken before, between and after the model"
                        + " runs): %.1f GB/s with 2 threads (median of its %d passes %.1f GB/s), %.1f GB/s with 1 thread."
                        + " Decode ceiling = rows per forward x %.1f GB/s / weight bytes read per forward.%n",
                bw2 / 1e9, bw.twoThreadPassCount(), bw.medianTwo() / 1e9, bw.bestOne() / 1e9, bw2 / 1e9);
        out.println();
        out.println("| Engine | Checkpoint | Weights held as | Batch | Prefill tok/s | Decode tok/s | Decode ms/forward"
                + " | Weight MB read/forward | Decode ceiling tok/s | Decode % of ceiling | Note |");
        out.println("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
        for (Result r : results) {
            if (r.failure() != null) {
                out.printf(
                        "| %s | %s | %s | %d | n/a | n/a | n/a | | | | %s |%n",
                        r.engine(),
                        r.checkpoint(),
                        r.heldAs(),
                        r.batch(),
                        r.failure().replace('|', '/'));
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
