package ai.adaptserve.lab.eval;

import ai.adaptserve.lab.cli.CommandArgs;
import ai.adaptserve.lab.tasks.FewShotTask;
import ai.adaptserve.lab.tasks.TaskFileException;
import ai.adaptserve.lab.tasks.TaskFiles;
import ai.adaptserve.model.BuiltinModel;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.Sha256;
import ai.adaptserve.model.adapter.MalformedAdapterException;
import ai.adaptserve.model.experts.ExpertSet;
import ai.adaptserve.model.route.MalformedRouterException;
import ai.adaptserve.model.route.TaskRouter;
import ai.adaptserve.model.train.CemMixtureSearch;
import ai.adaptserve.model.train.LoraTrainer;
import ai.adaptserve.model.ttt.TestTimeRecipe;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The evaluation command: runs adaptation strategies on a few-shot task file (the design.md JSONL format) and prints
 * exact match per strategy and per family, the router's accuracy and the mean wall time per task, as Markdown; with
 * {@code --json} also a machine-readable summary.
 *
 * <pre>
 * Evaluate --tasks FILE [--model DIR] [--experts DIR] [--router FILE]
 *     [--strategies base,vote,svf,svf-oracle,cem,ttt,ttt+vote,ttt+majority,ttt+logprob,ttt+weighted,ttt+verifier] [--limit N] [--per-family N] [--json OUT]
 *     [--prompts generic|named|named+demos]
 *     [--seed 0] [--ttt-steps 12] [--ttt-lr 5e-3] [--ttt-rank 4] [--relabels 2] [--orders 2]
 *     [--cem-iterations 4] [--cem-population 8] [--samples 8] [--threads 1] [--with-tasks]
 * </pre>
 *
 * <p>Without {@code --model}: the built-in model. Experts default to {@code <model>/experts}, the router to
 * {@code <model>/router.safetensors}, when they exist. The default strategies are every one the experts and router
 * allow. {@code --per-family N} keeps the first N tasks of each family (then {@code --limit} applies).
 */
public final class Evaluate {
    static final String USAGE = "usage: Evaluate --tasks FILE [--model DIR] [--experts DIR] [--router FILE]"
            + " [--strategies base,vote,svf,svf-oracle,cem,ttt,ttt+vote,ttt+majority,ttt+logprob,ttt+weighted,ttt+verifier] [--limit N] [--per-family N] [--json OUT]"
            + " [--seed N] [--ttt-steps N] [--ttt-lr X] [--ttt-rank N] [--relabels N] [--orders N]"
            + " [--cem-iterations N] [--cem-population N] [--threads N] [--prompts generic|named|named+demos]"
            + " [--samples N] [--with-tasks]";
    private static final List<String> OPTIONS = List.of(
            "--tasks",
            "--model",
            "--experts",
            "--router",
            "--strategies",
            "--limit",
            "--per-family",
            "--json",
            "--seed",
            "--ttt-steps",
            "--ttt-lr",
            "--ttt-rank",
            "--relabels",
            "--orders",
            "--cem-iterations",
            "--cem-population",
            "--threads",
            "--prompts",
            "--samples");
    private static final List<String> FLAGS = List.of("--with-tasks");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Evaluate() {}

    public static void main(String[] args) {
        CommandArgs.exitWith(run(args, System.out, System.err));
    }

    /** Runs the command; returns the exit code (0 done, 1 failed, 2 bad arguments or input). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandArgs a;
        Evaluation.Config cfg;
        List<FewShotTask> tasks;
        Path tasksFile;
        Optional<List<Strategy>> asked;
        try {
            a = CommandArgs.parse(args, OPTIONS, FLAGS);
            tasksFile = a.requiredPath("--tasks");
            asked = a.string("--strategies").map(Strategy::parseList);
            cfg = config(a);
            tasks = select(
                    TaskFiles.read(tasksFile),
                    a.intArg("--per-family", Integer.MAX_VALUE, 1),
                    a.intArg("--limit", Integer.MAX_VALUE, 1));
            if (tasks.isEmpty()) {
                throw new IllegalArgumentException(tasksFile + ": no tasks");
            }
        } catch (IllegalArgumentException | TaskFileException e) {
            err.println(e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (IOException e) {
            err.println("cannot read the task file: " + e);
            return 2;
        }
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(a.intArg("--threads", 1, 1));
        Path modelDir = a.path("--model").orElseGet(BuiltinModel::materializeDefault);
        try (LoadedModel model = LoadedModel.load(modelDir)) {
            Optional<ExpertSet> experts = experts(a, modelDir, model);
            Optional<TaskRouter> router = router(a, modelDir, model);
            List<Strategy> strategies =
                    asked.orElseGet(() -> defaultStrategies(experts.isPresent(), router.isPresent()));
            out.printf(
                    Locale.ROOT,
                    "model %s (%s); %d tasks from %s; strategies %s; experts %s; router %s%n",
                    modelDir,
                    model.fingerprint(),
                    tasks.size(),
                    tasksFile,
                    strategies.stream().map(Strategy::label).toList(),
                    experts.map(e -> e.size() + "").orElse("none"),
                    router.isPresent() ? "yes" : "none");
            List<Evaluation.TaskResult> results =
                    new Evaluation(model, experts, router, cfg, out).run(tasks, strategies);
            EvaluationReport report = new EvaluationReport(strategies, results);
            out.println();
            out.print(report.tables());
            if (a.has("--json")) {
                Map<String, Object> context = new LinkedHashMap<>();
                context.put("tasks_file", tasksFile.toString());
                context.put("tasks_sha256", Sha256.hex(tasksFile));
                context.put("tasks", tasks.size());
                context.put("model", modelDir.toString());
                context.put("model_fingerprint", model.fingerprint());
                context.put("command", System.getProperty("adaptserve.command", "Evaluate " + String.join(" ", args)));
                context.put("date", Instant.now().toString());
                context.put("settings", settings(cfg));
                Path json = a.requiredPath("--json");
                if (json.getParent() != null) {
                    Files.createDirectories(json.getParent());
                }
                JSON.writeValue(json.toFile(), report.json(context, a.flag("--with-tasks")));
                out.println("wrote " + json);
            }
            return 0;
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return 2;
        } catch (IOException
                | UncheckedIOException
                | MalformedAdapterException
                | MalformedRouterException
                | IllegalStateException e) {
            err.println("eval failed: " + e);
            return 1;
        }
    }

    static Evaluation.Config config(CommandArgs a) {
        Evaluation.Config d = Evaluation.Config.defaults();
        LoraTrainer.Config l = d.ttt().lora();
        int rank = a.intArg("--ttt-rank", l.rank(), 1);
        l = new LoraTrainer.Config(
                        rank,
                        l.alpha() / l.rank() * rank,
                        l.targets(),
                        l.head(),
                        l.learningRate(),
                        l.weightDecay(),
                        l.epochs(),
                        l.batchSize(),
                        l.seed())
                .withLearningRate((float) a.doubleArg("--ttt-lr", l.learningRate(), 1e-9));
        long seed = a.longArg("--seed", d.seed());
        TestTimeRecipe.Config ttt = new TestTimeRecipe.Config(
                l.withSeed(seed),
                a.intArg("--ttt-steps", d.ttt().steps(), 1),
                a.intArg("--relabels", d.ttt().relabels(), 0),
                a.intArg("--orders", d.ttt().orders(), 1),
                seed);
        CemMixtureSearch.Config c = d.cem();
        CemMixtureSearch.Config cem = new CemMixtureSearch.Config(
                a.intArg("--cem-population", c.population(), 2),
                c.eliteRatio(),
                a.intArg("--cem-iterations", c.iterations(), 1),
                c.initialStd(),
                c.perLayer(),
                seed);
        return new Evaluation.Config(
                ttt,
                a.intArg("--orders", d.voteOrders(), 1),
                cem,
                seed,
                Evaluation.PromptStyle.parse(a.string("--prompts").orElse("generic")),
                a.intArg("--samples", d.samples(), 1),
                d.sampleTemperature());
    }

    static Map<String, Object> settings(Evaluation.Config cfg) {
        Map<String, Object> m = new LinkedHashMap<>();
        LoraTrainer.Config l = cfg.ttt().lora();
        m.put(
                "ttt",
                Map.of(
                        "rank", l.rank(),
                        "alpha", l.alpha(),
                        "lr", l.learningRate(),
                        "steps", cfg.ttt().steps(),
                        "batch", l.batchSize(),
                        "relabels", cfg.ttt().relabels(),
                        "orders", cfg.ttt().orders()));
        m.put("vote_orders", cfg.voteOrders());
        m.put(
                "cem",
                Map.of(
                        "population",
                        cfg.cem().population(),
                        "iterations",
                        cfg.cem().iterations()));
        m.put("samples", cfg.samples());
        m.put("sample_temperature", cfg.sampleTemperature());
        m.put("seed", cfg.seed());
        m.put("prompts", cfg.style().label());
        return m;
    }

    /** The first {@code perFamily} tasks of each family, in file order, then the first {@code limit}. */
    static List<FewShotTask> select(List<FewShotTask> all, int perFamily, int limit) {
        Map<String, Integer> seen = new LinkedHashMap<>();
        List<FewShotTask> out = new ArrayList<>();
        for (FewShotTask t : all) {
            String f = t.family() == null ? "unknown" : t.family();
            if (seen.merge(f, 1, Integer::sum) <= perFamily && out.size() < limit) {
                out.add(t);
            }
        }
        return out;
    }

    static List<Strategy> defaultStrategies(boolean experts, boolean router) {
        List<Strategy> out = new ArrayList<>(List.of(Strategy.BASE, Strategy.VOTE));
        if (experts && router) {
            out.add(Strategy.SVF);
        }
        if (experts) {
            out.add(Strategy.SVF_ORACLE);
            out.add(Strategy.CEM);
        }
        out.add(Strategy.TTT);
        out.add(Strategy.TTT_VOTE);
        return out;
    }

    private static Optional<ExpertSet> experts(CommandArgs a, Path modelDir, LoadedModel model)
            throws IOException, MalformedAdapterException {
        Optional<Path> dir = a.path("--experts")
                .or(() ->
                        Optional.of(modelDir.resolve(BuiltinModel.EXPERTS_DIR)).filter(Files::isDirectory));
        if (dir.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(ExpertSet.load(dir.get(), model));
    }

    private static Optional<TaskRouter> router(CommandArgs a, Path modelDir, LoadedModel model)
            throws IOException, MalformedRouterException {
        Optional<Path> file = a.path("--router")
                .or(() ->
                        Optional.of(modelDir.resolve(BuiltinModel.ROUTER_FILE)).filter(Files::isRegularFile));
        if (file.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(TaskRouter.load(file.get(), model));
    }
}
