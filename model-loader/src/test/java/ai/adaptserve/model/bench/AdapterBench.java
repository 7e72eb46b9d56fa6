package ai.adaptserve.model.bench;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.adapter.AdapterFile;
import ai.adaptserve.model.adapter.LoraAdapter;
import ai.adaptserve.model.adapter.PreparedAdapters;
import ai.adaptserve.model.adapter.RandomAdapters;
import ai.adaptserve.model.adapter.RowAdapterBatch.Execution;
import ai.adaptserve.model.adapter.ZVector;
import ai.adaptserve.model.config.ModelConfig;
import ai.adaptserve.model.llama.DecodeSession;
import ai.adaptserve.model.train.LoraTrainer;
import ai.adaptserve.model.train.TrainingBudget;
import ai.adaptserve.model.train.TrainingExample;
import ai.adaptserve.model.train.TrainingListener;
import ai.adaptserve.model.train.TrainingResult;
import ai.adaptserve.model.train.ZVectorTrainer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * Adapter benchmark (issue 3) on the SmolLM2-135M-shaped checkpoint of {@link ModelThroughputBench}: the cost of SVF
 * and LoRA in the forward pass against the base model (batch 1 and 8, one shared adapter and 8 distinct ones, each
 * execution), adapter sizes, and the wall time of one training step. Timings are printed, never asserted.
 *
 * <pre>
 * AdapterBench [modelDir] [--prompt 64] [--steps 16] [--reps 3]
 * </pre>
 */
public final class AdapterBench {
    private AdapterBench() {}

    /**
     * @param hot true to take each adapter's tensors from a cache kept across sessions, as the serving engine does
     *     (the first, warm-up round prepares them); false to prepare them per session, inside the prefill's time
     */
    record Scenario(String name, int batch, List<Optional<Adapter>> rows, Execution execution, boolean hot) {
        Scenario(String name, int batch, List<Optional<Adapter>> rows, Execution execution) {
            this(name, batch, rows, execution, false);
        }
    }

    record Timing(double prefillMs, double stepMs) {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 && !args[0].startsWith("--") ? args[0] : "model-loader/target/bench-models");
        int prompt = intOpt(args, "--prompt", 64);
        int steps = intOpt(args, "--steps", 16);
        int reps = intOpt(args, "--reps", 3);
        // --only REGEX keeps the scenarios whose name matches (and "base"): more rounds of fewer rows
        Pattern only = Pattern.compile(strOpt(args, "--only", ".*"));
        PrintStream log = System.err;
        PrintStream out = System.out;
        ModelConfig cfg = ModelThroughputBench.smolLm2Shape();
        Path f32 = dir.resolve("smollm2-135m-shape-f32");
        ModelThroughputBench.ensureCheckpoints(cfg, f32, dir.resolve("smollm2-135m-shape-bf16"), log);

        try (LoadedModel model = LoadedModel.load(f32)) {
            long t0 = System.nanoTime();
            var ranks = model.svdFactors().ranks();
            double svdSeconds = (System.nanoTime() - t0) / 1e9;
            log.printf(
                    "bench: SVD factors ready in %.1f s (computed now: %s)%n",
                    svdSeconds, model.svdFactors().computedNow());

            List<ZVector> zs = new ArrayList<>();
            List<LoraAdapter> loras = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                zs.add(RandomAdapters.z(ranks, 0.1, 100 + i, false));
                loras.add(RandomAdapters.lora(cfg, LoraTrainer.Config.DEFAULT_TARGETS, false, 8, 200 + i));
            }
            List<Scenario> scenarios = new ArrayList<>();
            for (int b : new int[] {1, 8}) {
                scenarios.add(new Scenario("base", b, rows(b, i -> Optional.empty()), Execution.AUTO));
                scenarios.add(new Scenario(
                        "svf, 1 adapter, factored", b, rows(b, i -> Optional.of(zs.get(0))), Execution.FACTORED));
                scenarios.add(new Scenario(
                        "svf, 1 adapter, merged", b, rows(b, i -> Optional.of(zs.get(0))), Execution.MERGED));
                scenarios.add(new Scenario(
                        "svf, 1 adapter, delta", b, rows(b, i -> Optional.of(zs.get(0))), Execution.DELTA));
                scenarios.add(new Scenario(
                        "lora r8, 1 adapter, delta", b, rows(b, i -> Optional.of(loras.get(0))), Execution.AUTO));
                scenarios.add(new Scenario(
                        "lora r8, 1 adapter, merged", b, rows(b, i -> Optional.of(loras.get(0))), Execution.MERGED));
                if (b == 8) {
                    scenarios.add(new Scenario(
                            "svf, 8 adapters, factored", b, rows(b, i -> Optional.of(zs.get(i))), Execution.AUTO));
                    scenarios.add(new Scenario(
                            "lora r8, 8 adapters, delta", b, rows(b, i -> Optional.of(loras.get(i))), Execution.AUTO));
                    scenarios.add(new Scenario(
                            "mixed: 4 base, 2 svf, 2 lora",
                            b,
                            rows(
                                    b,
                                    i -> i < 4
                                            ? Optional.empty()
                                            : i < 6 ? Optional.of(zs.get(i)) : Optional.of(loras.get(i))),
                            Execution.AUTO));
                }
                // What the engine does for a hot adapter: its tensors prepared once and kept across requests.
                scenarios.add(new Scenario(
                        "lora r8, 1 adapter, delta, hot",
                        b,
                        rows(b, i -> Optional.of(loras.get(0))),
                        Execution.AUTO,
                        true));
                scenarios.add(new Scenario(
                        "svf, 1 adapter, factored, hot",
                        b,
                        rows(b, i -> Optional.of(zs.get(0))),
                        Execution.AUTO,
                        true));
                if (b == 8) {
                    scenarios.add(new Scenario(
                            "lora r8, 8 adapters, delta, hot",
                            b,
                            rows(b, i -> Optional.of(loras.get(i))),
                            Execution.AUTO,
                            true));
                }
            }
            scenarios.removeIf(
                    s -> !s.name().equals("base") && !only.matcher(s.name()).find());
            // Round-robin over the scenarios in an order shuffled per round, so that load from other processes and
            // whatever a scenario leaves behind for the next (allocator, caches) fall on every one of them alike.
            Random order = new Random(7);
            double[][] prefill = new double[scenarios.size()][reps];
            double[][] step = new double[scenarios.size()][reps];
            // Room for eight rank-8 LoRAs of this model (78 MB), as an engine configured for it would have; a quarter
            // of it (64 MiB) is less than one adapter's merged weights here (318-420 MB), so hot rows run factored or
            // as deltas, never merged, exactly as in the engine.
            PreparedAdapters hot =
                    new PreparedAdapters(model.decoder().weights().manager(), 256L << 20);
            for (int r = -1; r < reps; r++) { // r = -1 is the warm-up round
                List<Integer> idx = new ArrayList<>();
                for (int i = 0; i < scenarios.size(); i++) {
                    idx.add(i);
                }
                Collections.shuffle(idx, order);
                for (int i : idx) {
                    Timing t = measureOnce(model, scenarios.get(i), prompt, steps, hot);
                    if (r >= 0) {
                        prefill[i][r] = t.prefillMs();
                        step[i][r] = t.stepMs();
                    }
                }
                log.printf("bench: round %d of %d done%n", r + 1, reps);
            }
            List<String> lines = new ArrayList<>();
            double[] baseStep = new double[9];
            double[] basePrefill = new double[9];
            for (int i = 0; i < scenarios.size(); i++) {
                Scenario s = scenarios.get(i);
                double stepMs = ModelThroughputBench.median(step[i]);
                if (s.name().equals("base")) {
                    baseStep[s.batch()] = stepMs;
                    basePrefill[s.batch()] = ModelThroughputBench.median(prefill[i]);
                }
                String line = String.format(
                        Locale.ROOT,
                        "| %d | %s | %.0f | %.2f× | %s | %.2f× |",
                        s.batch(),
                        s.name(),
                        ModelThroughputBench.median(prefill[i]),
                        ModelThroughputBench.median(prefill[i]) / basePrefill[s.batch()],
                        ModelThroughputBench.spread(step[i]),
                        stepMs / baseStep[s.batch()]);
                log.println("bench: " + line);
                lines.add(line);
            }

            out.println("### Forward cost with adapters");
            out.println();
            out.printf(
                    Locale.ROOT,
                    "Prompt %d tokens per row, then %d decode steps; median of %d rounds taken round-robin over all rows, in an order shuffled per round. Prefill includes"
                            + " preparing the adapters (merging, stacking), except in the rows marked hot, whose adapters were"
                            + " prepared once before, as the serving engine keeps them across requests. SVF targets gate/up/down of all 30 layers; LoRA rank 8"
                            + " on q,k,v,o,gate,up,down. SVD factors: %.1f s (computed now: %s; later starts read the file).%n%n",
                    prompt,
                    steps,
                    reps,
                    svdSeconds,
                    model.svdFactors().computedNow());
            out.println(
                    "| batch | adapters | prefill ms | prefill vs base | decode ms/step (min-max) | decode vs base |");
            out.println("| --- | --- | --- | --- | --- | --- |");
            lines.forEach(out::println);
            out.println();

            out.println("### Adapter sizes");
            out.println();
            out.println("| adapter | parameters (F32 bytes) | adapter file bytes |");
            out.println("| --- | --- | --- |");
            AdapterFile.Metadata meta = new AdapterFile.Metadata(model.fingerprint(), Instant.now(), "{}");
            out.printf(
                    Locale.ROOT,
                    "| z-vector (gate/up/down × 30 layers) | %d | %d |%n",
                    zs.get(0).parameterBytes(),
                    AdapterFile.toBytes(zs.get(0), meta).length);
            for (int r : new int[] {8, 16, 64}) {
                LoraAdapter l = RandomAdapters.lora(cfg, LoraTrainer.Config.DEFAULT_TARGETS, false, r, 7);
                out.printf(
                        Locale.ROOT,
                        "| LoRA rank %d (q,k,v,o,gate,up,down × 30 layers) | %d | %d |%n",
                        r,
                        l.parameterBytes(),
                        AdapterFile.toBytes(l, meta).length);
            }
            out.println();

            List<TrainingExample> data = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                data.add(new TrainingExample(
                        "in: " + "abcdefgh".repeat(3).substring(i) + "\nout: ",
                        "hgfedcba".substring(0, 4 + i % 4) + "\n"));
            }
            TrainingResult<LoraAdapter> lora = LoraTrainer.train(
                    model,
                    data,
                    LoraTrainer.Config.defaults().withEpochs(3),
                    TrainingBudget.steps(3),
                    TrainingListener.NONE);
            TrainingResult<ZVector> z = ZVectorTrainer.trainCrossEntropy(
                    model,
                    data,
                    ZVectorTrainer.Config.defaults().withEpochs(3),
                    TrainingBudget.steps(3),
                    TrainingListener.NONE);
            out.println("### One training step");
            out.println();
            out.println(
                    "8 examples of about 30 tokens in one mini-batch; wall time of the whole call divided by its steps (setup included).");
            out.println();
            out.println("| trainer | steps | ms per step |");
            out.println("| --- | --- | --- |");
            out.printf(
                    Locale.ROOT,
                    "| LoRA rank 8 (q,k,v,o,gate,up,down) | %d | %.0f |%n",
                    lora.steps(),
                    (double) lora.elapsedMs() / lora.steps());
            out.printf(
                    Locale.ROOT,
                    "| z-vector (gate/up/down) | %d | %.0f |%n",
                    z.steps(),
                    (double) z.elapsedMs() / z.steps());
        }
    }

    interface RowFn {
        Optional<Adapter> at(int i);
    }

    static List<Optional<Adapter>> rows(int b, RowFn f) {
        List<Optional<Adapter>> rows = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            rows.add(f.at(i));
        }
        return rows;
    }

    static Timing measureOnce(LoadedModel model, Scenario s, int prompt, int steps, PreparedAdapters hot) {
        int[][] prompts = ModelThroughputBench.prompts(model.config().vocabSize(), s.batch(), prompt);
        int[] next = new int[s.batch()];
        Arrays.fill(next, 65);
        try (DecodeSession session = new DecodeSession(
                model.decoder(), s.batch(), model.adapterBatch(s.rows(), s.execution(), s.hot() ? hot : null))) {
            long t0 = System.nanoTime();
            session.prefill(prompts);
            long t1 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                session.step(next);
            }
            long t2 = System.nanoTime();
            return new Timing((t1 - t0) / 1e6, (t2 - t1) / 1e6 / steps);
        }
    }

    static String strOpt(String[] args, String name, String dflt) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return dflt;
    }

    static int intOpt(String[] args, String name, int dflt) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return dflt;
    }
}
