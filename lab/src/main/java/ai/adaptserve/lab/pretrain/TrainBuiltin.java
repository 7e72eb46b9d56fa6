package ai.adaptserve.lab.pretrain;

import ai.adaptserve.lab.cli.CommandArgs;
import ai.adaptserve.lab.tasks.FewShotTask;
import ai.adaptserve.lab.tasks.TaskGenerator;
import ai.adaptserve.lab.tasks.TaskSuite;
import ai.adaptserve.model.LocalFiles;
import ai.adaptserve.model.ModelFingerprint;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.config.ModelConfig;
import ai.adaptserve.model.tokenizer.ByteTokenizer;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Trains the built-in model: a small Llama over the byte vocabulary, from scratch, on the training families of the
 * seeded task suite (generated in memory) in the in-context format, and writes the checkpoint with its
 * {@code training.json} and loss curve ({@code loss.csv}).
 *
 * <pre>
 * TrainBuiltin --out DIR [--seed 1] [--data-seed SEED] [--steps 1000] [--batch 24]
 *     [--hidden 192 --layers 6 --heads 4 --kv-heads 2 --intermediate 2.75*hidden --context 512 --tied]
 *     [--lr 3e-3] [--warmup steps/20] [--weight-decay 0.1] [--prompt-weight 0.1] [--demo-weight 1]
 *     [--demo-share 0.75]
 *     [--init-std 0.02] [--eval-every 50] [--eval-tasks 520] [--train-tasks 13000] [--max-minutes M] [--max-mb 16] [--threads N]
 * </pre>
 *
 * <p>{@code --seed} seeds the initial weights and the data order; {@code --data-seed} is the task suite's seed (its
 * train split is trained on, its val split measured), so it should be the seed of the suite the model is evaluated
 * on. The weights are F32 when they fit {@code --max-mb}, else BF16.
 *
 * <p>PyTorch runs on {@code --threads} intra-op threads, 1 by default: on a shared 2-core machine two threads were
 * 10 to 30 times slower than one (OpenMP threads spinning against other processes), and with one thread two runs of
 * the same command write identical weights (only the dates and timings in {@code training.json} differ).
 */
public final class TrainBuiltin {
    static final String USAGE = "usage: TrainBuiltin --out DIR [--seed N] [--data-seed N] [--steps N] [--batch N]"
            + " [--hidden H] [--layers L] [--heads A] [--kv-heads K] [--intermediate I] [--context C] [--tied]"
            + " [--lr X] [--warmup N] [--weight-decay X] [--prompt-weight X] [--demo-weight X] [--demo-share X]"
            + " [--init-std X]"
            + " [--eval-every N] [--eval-tasks N] [--train-tasks N] [--max-minutes M] [--max-mb N] [--threads N]";

    private static final List<String> VALUED = List.of(
            "--out",
            "--seed",
            "--data-seed",
            "--steps",
            "--batch",
            "--hidden",
            "--layers",
            "--heads",
            "--kv-heads",
            "--intermediate",
            "--context",
            "--lr",
            "--warmup",
            "--weight-decay",
            "--prompt-weight",
            "--demo-weight",
            "--demo-share",
            "--init-std",
            "--eval-every",
            "--eval-tasks",
            "--train-tasks",
            "--max-minutes",
            "--max-mb",
            "--threads");
    private static final List<String> FLAGS = List.of("--tied");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Validation tasks whose sequences give the validation loss during training (4 phrasings, and no demos). */
    static final int VAL_LOSS_TASKS = 104;
    /** Validation tasks answered greedily during training (4 per family). */
    static final int VAL_PROMPT_TASKS = 52;

    private TrainBuiltin() {}

    /** Parsed arguments. */
    record Options(
            Path out,
            long seed,
            long dataSeed,
            int steps,
            int batch,
            ModelConfig model,
            double lr,
            int warmup,
            double weightDecay,
            double promptWeight,
            double demoWeight,
            double demoShare,
            double initStd,
            int evalEvery,
            int evalTasks,
            int trainTasks,
            Optional<Double> maxMinutes,
            double maxMb,
            int threads) {}

    public static void main(String[] args) {
        CommandArgs.exitWith(run(args, System.out, System.err));
    }

    /** Runs the command; returns the exit code (0 done, 1 failed, 2 bad arguments). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.println(USAGE);
            return 2;
        }
        String command = System.getProperty("adaptserve.command", "TrainBuiltin " + String.join(" ", args));
        try {
            train(o, command, out);
            return 0;
        } catch (IOException | UncheckedIOException | IllegalStateException e) {
            err.println("train-builtin failed: " + e);
            return 1;
        }
    }

    static Options parse(String[] args) {
        CommandArgs v = CommandArgs.parse(args, VALUED, FLAGS);
        if (!v.has("--out")) {
            throw new IllegalArgumentException("--out is required");
        }
        long seed = v.longArg("--seed", 1);
        int steps = v.intArg("--steps", 1000, 0);
        int hidden = v.intArg("--hidden", 192, 2);
        int heads = v.intArg("--heads", 4, 1);
        int kvHeads = v.intArg("--kv-heads", 2, 1);
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("--hidden must be a multiple of --heads");
        }
        int intermediate = v.intArg("--intermediate", (int) Math.round(hidden * 2.75 / 16) * 16, 1);
        ModelConfig model;
        try {
            model = new ModelConfig(
                    "LlamaForCausalLM",
                    ByteTokenizer.VOCAB,
                    hidden,
                    intermediate,
                    v.intArg("--layers", 6, 1),
                    heads,
                    kvHeads,
                    hidden / heads,
                    1e-5,
                    10000.0,
                    Optional.empty(),
                    v.has("--tied"),
                    false,
                    v.intArg("--context", 512, 258),
                    Optional.of(ByteTokenizer.BOS),
                    List.of(ByteTokenizer.EOS),
                    "float32");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid model shape: " + e.getMessage(), e);
        }
        Optional<Double> minutes =
                v.has("--max-minutes") ? Optional.of(v.doubleArg("--max-minutes", 0, 0)) : Optional.empty();
        int threads = v.intArg("--threads", 1, 1);
        double demoShare = v.doubleArg("--demo-share", 0.75, 0);
        if (demoShare > 1) {
            throw new IllegalArgumentException("--demo-share must be in [0, 1]");
        }
        return new Options(
                v.requiredPath("--out"),
                seed,
                v.longArg("--data-seed", seed),
                steps,
                v.intArg("--batch", 24, 1),
                model,
                v.doubleArg("--lr", 3e-3, Double.MIN_VALUE),
                v.intArg("--warmup", Math.max(1, steps / 20), 0),
                v.doubleArg("--weight-decay", 0.1, 0),
                v.doubleArg("--prompt-weight", 0.1, 0),
                v.doubleArg("--demo-weight", 1.0, 0),
                demoShare,
                v.doubleArg("--init-std", 0.02, Double.MIN_VALUE),
                v.intArg("--eval-every", 50, 0),
                v.intArg("--eval-tasks", TaskSuite.Counts.DEFAULT.val(), 0),
                v.intArg("--train-tasks", TaskSuite.Counts.DEFAULT.train(), 1),
                minutes,
                v.doubleArg("--max-mb", 16, Double.MIN_VALUE),
                threads);
    }

    static void train(Options o, String command, PrintStream out) throws IOException {
        Engine.getEngine("PyTorch"); // loads the native library before the thread setting
        JniUtils.setNumThreads(o.threads());
        Instant started = Instant.now();
        out.printf(Locale.ROOT, "generating the task suite (seed %d) ...%n", o.dataSeed());
        TaskSuite.Counts counts =
                new TaskSuite.Counts(o.trainTasks(), Math.max(TaskSuite.Counts.DEFAULT.val(), o.evalTasks()), 0, 0, 0);
        TaskSuite.Suite suite = TaskSuite.generate(o.dataSeed(), counts);
        List<FewShotTask> val = suite.val();
        List<PretrainData.Example> valLoss = new ArrayList<>(PretrainData.evaluation(head(val, VAL_LOSS_TASKS), true));
        valLoss.addAll(PretrainData.evaluation(head(val, VAL_PROMPT_TASKS), false));
        List<PretrainData.Example> valPrompts = PretrainData.evaluation(head(val, VAL_PROMPT_TASKS), true);

        PretrainConfig cfg = new PretrainConfig(
                o.model(),
                o.seed(),
                o.initStd(),
                o.steps(),
                o.lr(),
                o.warmup(),
                0.1,
                o.weightDecay(),
                1.0,
                o.promptWeight(),
                o.demoWeight(),
                o.evalEvery(),
                o.maxMinutes()
                        .map(m -> Duration.ofMillis(Math.round(m * 60_000)))
                        .orElse(Duration.ofDays(365)));
        Files.createDirectories(o.out());
        Path csv = o.out().resolve("loss.csv");
        try (BaseModelTrainer trainer = new BaseModelTrainer(cfg);
                BufferedWriter w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
            TensorDType dtype = trainer.weightBytes(TensorDType.F32) <= o.maxMb() * 1024 * 1024
                    ? TensorDType.F32
                    : TensorDType.BF16;
            out.printf(
                    Locale.ROOT,
                    "model: hidden %d, %d layers, %d heads / %d kv, intermediate %d, context %d, %s head;"
                            + " %,d parameters (%s on disk: %.1f MB); PyTorch threads %d%n",
                    o.model().hiddenSize(),
                    o.model().numLayers(),
                    o.model().numHeads(),
                    o.model().numKvHeads(),
                    o.model().intermediateSize(),
                    o.model().maxPositionEmbeddings(),
                    o.model().tieWordEmbeddings() ? "tied" : "untied",
                    trainer.parameterCount(),
                    dtype,
                    trainer.weightBytes(dtype) / 1048576.0,
                    JniUtils.getNumThreads());
            w.write("step,lr,loss,answer_loss,grad_norm,tokens,step_ms,elapsed_s,val_loss,val_exact_match\n");
            BaseModelTrainer.Result result = trainer.train(
                    new PretrainData.Batches(
                            suite.train(), o.batch(), o.demoShare(), TaskGenerator.derive(o.seed(), "order")),
                    valLoss,
                    valPrompts,
                    s -> {
                        writeRow(w, s);
                        if (s.valLoss().isPresent()) {
                            saveSnapshot(trainer, o.out(), dtype);
                        }
                        if (s.step() <= 5 || s.step() % 10 == 0 || s.valLoss().isPresent()) {
                            out.printf(
                                    Locale.ROOT,
                                    "step %5d  lr %.2e  loss %.4f  answer %.4f  |g| %.2f  %6.0f tok/s  %6.0f s%s%n",
                                    s.step(),
                                    s.learningRate(),
                                    s.loss(),
                                    s.answerLoss(),
                                    s.gradNorm(),
                                    s.tokensPerSecond(),
                                    s.elapsedMs() / 1000.0,
                                    s.valLoss().isPresent()
                                            ? String.format(
                                                    Locale.ROOT,
                                                    "  val %.4f  em %.3f",
                                                    s.valLoss().getAsDouble(),
                                                    s.valExactMatch().orElse(Double.NaN))
                                            : "");
                        }
                    });
            out.printf(
                    Locale.ROOT,
                    "trained %d steps (%s) in %.0f s, %.0f tokens/s%n",
                    result.steps(),
                    result.stopReason(),
                    result.elapsedMs() / 1000.0,
                    result.tokensPerSecond());

            List<FewShotTask> evalTasks = head(val, o.evalTasks());
            double finalVal = valLoss.isEmpty() ? Double.NaN : trainer.answerLoss(valLoss);
            Map<String, BaseModelTrainer.Score> withDemos = Map.of();
            Map<String, BaseModelTrainer.Score> withoutDemos = Map.of();
            if (!evalTasks.isEmpty()) {
                out.printf(Locale.ROOT, "greedy exact match on %d val tasks ...%n", evalTasks.size());
                withDemos = trainer.exactMatch(PretrainData.evaluation(evalTasks, true));
                withoutDemos = trainer.exactMatch(PretrainData.evaluation(evalTasks, false));
                out.print(table(withDemos, withoutDemos));
            }
            trainer.save(o.out(), dtype);
            ObjectNode json = summary(
                    o, command, started, trainer, cfg, result, dtype, finalVal, withDemos, withoutDemos, counts);
            JSON.writeValue(o.out().resolve("training.json").toFile(), json);
            out.printf(
                    Locale.ROOT,
                    "wrote %s (%s, %.2f MB weights), training.json, loss.csv%n",
                    o.out(),
                    dtype,
                    Files.size(o.out().resolve("model.safetensors")) / 1048576.0);
        }
    }

    /**
     * Writes the weights so far to {@code out/snapshot} at each validation point (written beside it, then moved into
     * place), so a long run can be inspected, or used if it is stopped, before it ends.
     */
    private static void saveSnapshot(BaseModelTrainer trainer, Path out, TensorDType dtype) {
        Path tmp = out.resolve("snapshot.tmp");
        Path dir = out.resolve("snapshot");
        try {
            LocalFiles.deleteTree(tmp);
            trainer.save(tmp, dtype);
            LocalFiles.deleteTree(dir);
            Files.move(tmp, dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the snapshot " + dir, e);
        }
    }

    private static void writeRow(BufferedWriter w, BaseModelTrainer.StepLog s) {
        try {
            w.write(String.format(
                    Locale.ROOT,
                    "%d,%.6g,%.6f,%.6f,%.4f,%d,%d,%.1f,%s,%s%n",
                    s.step(),
                    s.learningRate(),
                    s.loss(),
                    s.answerLoss(),
                    s.gradNorm(),
                    s.tokens(),
                    s.millis(),
                    s.elapsedMs() / 1000.0,
                    fmt(s.valLoss()),
                    fmt(s.valExactMatch())));
            w.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String fmt(OptionalDouble d) {
        return d.isPresent() ? String.format(Locale.ROOT, "%.6f", d.getAsDouble()) : "";
    }

    /** A markdown table of exact match per family, with demonstrations and without. */
    static String table(Map<String, BaseModelTrainer.Score> withDemos, Map<String, BaseModelTrainer.Score> without) {
        StringBuilder md = new StringBuilder("| family | with demos | without demos |\n| --- | --- | --- |\n");
        for (String f : withDemos.keySet()) {
            md.append("| ")
                    .append(f)
                    .append(" | ")
                    .append(cell(withDemos.get(f)))
                    .append(" | ")
                    .append(without.containsKey(f) ? cell(without.get(f)) : "n/a")
                    .append(" |\n");
        }
        md.append("| **all** | ")
                .append(cell(BaseModelTrainer.total(withDemos)))
                .append(" | ")
                .append(cell(BaseModelTrainer.total(without)))
                .append(" |\n");
        return md.toString();
    }

    private static String cell(BaseModelTrainer.Score s) {
        return String.format(Locale.ROOT, "%d/%d (%.0f%%)", s.correct(), s.total(), 100 * s.share());
    }

    private static ObjectNode summary(
            Options o,
            String command,
            Instant started,
            BaseModelTrainer trainer,
            PretrainConfig cfg,
            BaseModelTrainer.Result result,
            TensorDType dtype,
            double finalVal,
            Map<String, BaseModelTrainer.Score> withDemos,
            Map<String, BaseModelTrainer.Score> withoutDemos,
            TaskSuite.Counts counts)
            throws IOException {
        ObjectNode j = JSON.createObjectNode();
        j.put("command", command);
        j.put("started", started.truncatedTo(ChronoUnit.SECONDS).toString());
        j.put("finished", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        j.put("fingerprint", ModelFingerprint.of(o.out()));
        j.set("config", o.model().toJson());
        j.put("dtype", dtype.name());
        j.put("parameters", trainer.parameterCount());
        ObjectNode t = j.putObject("training");
        t.put("seed", o.seed());
        t.put("data_seed", o.dataSeed());
        t.put(
                "data",
                "TaskSuite.generate(data_seed, train " + counts.train() + ", val " + counts.val()
                        + "): train split, rendered by PromptFormat; demo share " + o.demoShare()
                        + " (all phrasings), otherwise no demos in the family-naming phrasings");
        t.put("planned_steps", cfg.steps());
        t.put("steps", result.steps());
        t.put("stop_reason", result.stopReason());
        t.put("batch", o.batch());
        t.put("learning_rate", cfg.learningRate());
        t.put("warmup_steps", cfg.warmupSteps());
        t.put("final_learning_rate_ratio", cfg.finalLearningRateRatio());
        t.put("weight_decay", cfg.weightDecay());
        t.put("betas", ArrayAdamW.BETA1 + "," + ArrayAdamW.BETA2);
        t.put("grad_clip", cfg.gradClip());
        t.put("prompt_weight", cfg.promptWeight());
        t.put("demo_output_weight", cfg.demoOutputWeight());
        t.put("init_std", cfg.initStd());
        t.put("elapsed_s", result.elapsedMs() / 1000.0);
        t.put("tokens_per_s", Math.round(result.tokensPerSecond()));
        ObjectNode r = j.putObject("results");
        if (!result.log().isEmpty()) {
            r.put("first_answer_loss", result.log().get(0).answerLoss());
        }
        r.put("final_train_answer_loss_mean_last_20", result.meanAnswerLoss(20));
        r.put("final_val_answer_loss", finalVal);
        r.put("val_tasks", o.evalTasks());
        ObjectNode em = r.putObject("val_exact_match");
        for (String f : withDemos.keySet()) {
            ObjectNode fam = em.putObject(f);
            fam.put("with_demos", withDemos.get(f).share());
            if (withoutDemos.containsKey(f)) {
                fam.put("without_demos", withoutDemos.get(f).share());
            }
        }
        r.put("val_exact_match_with_demos", BaseModelTrainer.total(withDemos).share());
        r.put(
                "val_exact_match_without_demos",
                BaseModelTrainer.total(withoutDemos).share());
        ObjectNode mach = j.putObject("machine");
        mach.put("cpus", Runtime.getRuntime().availableProcessors());
        mach.put("cpu", cpuModel());
        mach.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        mach.put("java", System.getProperty("java.vendor") + " " + System.getProperty("java.version"));
        mach.put("pytorch_threads", JniUtils.getNumThreads());
        return j;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: leave it unknown
        }
        return "unknown";
    }

    private static <T> List<T> head(List<T> list, int n) {
        return list.subList(0, Math.min(n, list.size()));
    }
}
