package ai.adaptserve.lab.router;

import ai.adaptserve.lab.cli.CommandArgs;
import ai.adaptserve.lab.tasks.FewShotTask;
import ai.adaptserve.lab.tasks.PromptFormat;
import ai.adaptserve.lab.tasks.TaskFamily;
import ai.adaptserve.lab.tasks.TaskSuite;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.prompt.Phrasing;
import ai.adaptserve.model.route.TaskRouter;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Trains a {@link TaskRouter} for a model on the seeded task suite and reports how well it routes.
 *
 * <pre>
 * TrainRouter --model DIR --out FILE [--seed 1] [--data-seed SEED] [--train-tasks 13000] [--per-family 40]
 *     [--val-tasks 520] [--novel 850] [--threshold 0.5] [--epochs 300] [--threads 1]
 * </pre>
 *
 * <p>The suite is {@code TaskSuite.generate(data-seed, train-tasks, val-tasks, 0, novel, 0)}: with the data seed and
 * train-task count the model was trained with, the val split is the one the model never saw. The router trains on
 * the first {@code per-family} train-split tasks of every training family, each rendered in every phrasing of
 * {@link PromptFormat} with and without its demonstrations, except the generic phrasing without demonstrations
 * ({@code in: x\nout: }, which says nothing about the family). The generic phrasing with demonstrations is what the
 * service sends for a request with examples. It reports accuracy on the val split (same renderings) per family and
 * per rendering, and the share of novel tasks (generic phrasing, with demonstrations) routed to no family.
 */
public final class TrainRouter {
    static final String USAGE = "usage: TrainRouter --model DIR --out FILE [--seed N] [--data-seed N]"
            + " [--train-tasks N] [--per-family N] [--val-tasks N] [--novel N] [--threshold X] [--epochs N]"
            + " [--threads N]";

    /** What to train on and how. */
    public record Options(
            long seed,
            long dataSeed,
            int trainTasks,
            int perFamily,
            int valTasks,
            int novel,
            double threshold,
            int epochs) {
        public static Options defaults(long seed) {
            return new Options(seed, seed, TaskSuite.Counts.DEFAULT.train(), 40, 520, 850, 0.5, 300);
        }

        public Options {
            if (perFamily < 1) {
                throw new IllegalArgumentException("--per-family must be at least 1");
            }
            if (trainTasks < perFamily * TaskFamily.values().length) {
                throw new IllegalArgumentException("--train-tasks " + trainTasks + " is fewer than --per-family "
                        + perFamily + " x " + TaskFamily.values().length + " families");
            }
            if (!(threshold >= 0 && threshold <= 1)) {
                throw new IllegalArgumentException("--threshold must be in [0, 1]: " + threshold);
            }
        }

        RouterTrainer.Config trainerConfig() {
            return RouterTrainer.Config.DEFAULT
                    .withSeed(seed)
                    .withThreshold(threshold)
                    .withEpochs(epochs);
        }
    }

    /** One prompt with the family it belongs to and how it was rendered ({@code generic+demos}, {@code qa}). */
    public record Sample(String prompt, String family, String rendering) {}

    /** Counts of routed prompts: how many, right at arg max, right at the threshold, and sent to no family. */
    public record Tally(int n, int top1, int routed, int none) {
        Tally add(TaskRouter.Route r, String family) {
            return new Tally(
                    n + 1,
                    top1 + (r.best().equals(family) ? 1 : 0),
                    routed + (r.label().isPresent() && r.label().get().equals(family) ? 1 : 0),
                    none + (r.label().isEmpty() ? 1 : 0));
        }

        public double top1Accuracy() {
            return n == 0 ? Double.NaN : (double) top1 / n;
        }

        public double routedAccuracy() {
            return n == 0 ? Double.NaN : (double) routed / n;
        }

        public double noneShare() {
            return n == 0 ? Double.NaN : (double) none / n;
        }
    }

    /**
     * What training gave.
     *
     * @param byFamily val split per family
     * @param byRendering val split per rendering
     * @param val the whole val split
     * @param train the training prompts themselves
     * @param novel the novel split (generic, with demos); its {@code none} is what should be high
     * @param valRoutes every val prompt's route, with {@code valSamples}, for threshold sweeps
     * @param novelRoutes every novel prompt's route
     */
    public record Report(
            TaskRouter router,
            Map<String, Tally> byFamily,
            Map<String, Tally> byRendering,
            Tally val,
            Tally train,
            Tally novel,
            List<Sample> valSamples,
            List<TaskRouter.Route> valRoutes,
            List<TaskRouter.Route> novelRoutes) {}

    private TrainRouter() {}

    /** Every rendering of each task the router learns from (see the class comment). */
    public static List<Sample> renderings(List<FewShotTask> tasks) {
        List<Sample> out = new ArrayList<>();
        for (FewShotTask t : tasks) {
            for (Phrasing phrasing : Phrasing.values()) {
                for (boolean demos : new boolean[] {true, false}) {
                    if (phrasing == Phrasing.GENERIC && !demos) {
                        continue;
                    }
                    out.add(new Sample(
                            PromptFormat.render(t, demos, phrasing),
                            t.family(),
                            phrasing.label() + (demos ? "+demos" : "")));
                }
            }
        }
        return out;
    }

    /** The first {@code perFamily} tasks of each training family, in family order. */
    static List<FewShotTask> perFamily(List<FewShotTask> tasks, int perFamily) {
        Map<String, List<FewShotTask>> by = new LinkedHashMap<>();
        for (TaskFamily f : TaskFamily.values()) {
            by.put(f.label(), new ArrayList<>());
        }
        for (FewShotTask t : tasks) {
            List<FewShotTask> l = by.get(t.family());
            if (l != null && l.size() < perFamily) {
                l.add(t);
            }
        }
        List<FewShotTask> out = new ArrayList<>();
        by.values().forEach(out::addAll);
        return out;
    }

    /** Generates the suite, computes features under {@code model}, trains and measures. Progress goes to {@code log}. */
    public static Report train(LoadedModel model, Options o, PrintStream log) {
        long t0 = System.nanoTime();
        TaskSuite.Suite suite =
                TaskSuite.generate(o.dataSeed(), new TaskSuite.Counts(o.trainTasks(), o.valTasks(), 0, o.novel(), 0));
        List<Sample> train = renderings(perFamily(suite.train(), o.perFamily()));
        List<Sample> val = renderings(suite.val());
        List<Sample> novel = suite.novel().stream()
                .map(t -> new Sample(PromptFormat.render(t, true, Phrasing.GENERIC), t.family(), "generic+demos"))
                .toList();
        log.printf(
                Locale.ROOT,
                "suite (data seed %d): %d train prompts, %d val prompts, %d novel prompts%n",
                o.dataSeed(),
                train.size(),
                val.size(),
                novel.size());

        float[][] trainFeatures = model.promptFeatures(prompts(train));
        log.printf(Locale.ROOT, "train features in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        TaskRouter router = RouterTrainer.train(
                trainFeatures,
                train.stream().map(Sample::family).toList(),
                model.config().hiddenSize(),
                model.fingerprint(),
                o.trainerConfig());
        log.printf(Locale.ROOT, "trained in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, router.training());

        Tally trainTally = new Tally(0, 0, 0, 0);
        for (int i = 0; i < train.size(); i++) {
            trainTally =
                    trainTally.add(router.route(trainFeatures[i]), train.get(i).family());
        }
        List<TaskRouter.Route> valRoutes = router.route(model, prompts(val));
        Map<String, Tally> byFamily = new LinkedHashMap<>();
        Map<String, Tally> byRendering = new LinkedHashMap<>();
        Tally all = new Tally(0, 0, 0, 0);
        for (int i = 0; i < val.size(); i++) {
            Sample s = val.get(i);
            TaskRouter.Route r = valRoutes.get(i);
            byFamily.merge(s.family(), new Tally(0, 0, 0, 0).add(r, s.family()), TrainRouter::sum);
            byRendering.merge(s.rendering(), new Tally(0, 0, 0, 0).add(r, s.family()), TrainRouter::sum);
            all = all.add(r, s.family());
        }
        List<TaskRouter.Route> novelRoutes = novel.isEmpty() ? List.of() : router.route(model, prompts(novel));
        Tally novelTally = new Tally(0, 0, 0, 0);
        for (TaskRouter.Route r : novelRoutes) {
            novelTally = novelTally.add(r, ""); // no family is right for a novel task
        }
        log.printf(Locale.ROOT, "measured in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return new Report(router, byFamily, byRendering, all, trainTally, novelTally, val, valRoutes, novelRoutes);
    }

    private static Tally sum(Tally a, Tally b) {
        return new Tally(a.n() + b.n(), a.top1() + b.top1(), a.routed() + b.routed(), a.none() + b.none());
    }

    private static List<String> prompts(List<Sample> samples) {
        return samples.stream().map(Sample::prompt).toList();
    }

    /** The report as a table. */
    public static void print(Report r, PrintStream out) {
        double th = r.router().threshold();
        out.printf(
                Locale.ROOT,
                "%nval split, threshold %.2f (top1: arg max right; routed: right and above threshold;"
                        + " none: below threshold)%n",
                th);
        out.printf(Locale.ROOT, "%-20s %6s %7s %7s %7s%n", "family", "n", "top1", "routed", "none");
        r.byFamily().forEach((f, t) -> row(out, f, t));
        row(out, "all", r.val());
        out.printf(Locale.ROOT, "%n%-20s %6s %7s %7s %7s%n", "rendering", "n", "top1", "routed", "none");
        r.byRendering().forEach((f, t) -> row(out, f, t));
        out.println();
        row(out, "train (fit)", r.train());
        out.printf(
                Locale.ROOT,
                "novel (generic+demos): %d tasks, routed to none: %.3f%n",
                r.novel().n(),
                r.novel().noneShare());
        out.printf(Locale.ROOT, "%nthreshold sweep   val routed   val none   novel none%n");
        for (double t : new double[] {0.3, 0.5, 0.7, 0.8, 0.9, 0.95}) {
            int routed = 0;
            int none = 0;
            for (int i = 0; i < r.valRoutes().size(); i++) {
                TaskRouter.Route x = r.valRoutes().get(i);
                if (x.confidence() < t) {
                    none++;
                } else if (x.best().equals(r.valSamples().get(i).family())) {
                    routed++;
                }
            }
            long novelNone =
                    r.novelRoutes().stream().filter(x -> x.confidence() < t).count();
            out.printf(
                    Locale.ROOT,
                    "%-17.2f %10.3f %10.3f %12.3f%n",
                    t,
                    (double) routed / Math.max(1, r.valRoutes().size()),
                    (double) none / Math.max(1, r.valRoutes().size()),
                    (double) novelNone / Math.max(1, r.novelRoutes().size()));
        }
    }

    private static void row(PrintStream out, String name, Tally t) {
        out.printf(
                Locale.ROOT,
                "%-20s %6d %7.3f %7.3f %7.3f%n",
                name,
                t.n(),
                t.top1Accuracy(),
                t.routedAccuracy(),
                t.noneShare());
    }

    public static void main(String[] args) {
        CommandArgs.exitWith(run(args, System.out, System.err));
    }

    private static final List<String> OPTIONS = List.of(
            "--model",
            "--out",
            "--seed",
            "--data-seed",
            "--train-tasks",
            "--per-family",
            "--val-tasks",
            "--novel",
            "--threshold",
            "--epochs",
            "--threads");

    /** Runs the command line; returns the exit code (0 done, 1 failed, 2 bad arguments). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandArgs v;
        Options o;
        int threads;
        try {
            v = CommandArgs.parse(args, OPTIONS, List.of());
            v.required("--model");
            v.required("--out");
            long seed = v.longArg("--seed", 1);
            Options d = Options.defaults(seed);
            o = new Options(
                    seed,
                    v.longArg("--data-seed", seed),
                    v.intArg("--train-tasks", d.trainTasks(), 1),
                    v.intArg("--per-family", d.perFamily(), 1),
                    v.intArg("--val-tasks", d.valTasks(), 0),
                    v.intArg("--novel", d.novel(), 0),
                    v.doubleArg("--threshold", d.threshold(), 0),
                    v.intArg("--epochs", d.epochs(), 1));
            threads = v.intArg("--threads", 1, 1);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage() + "\n" + USAGE);
            return 2;
        }
        Path out0 = v.requiredPath("--out");
        Engine.getEngine("PyTorch"); // loads the native library before the thread setting
        JniUtils.setNumThreads(threads);
        try (LoadedModel model = LoadedModel.load(v.requiredPath("--model"))) {
            out.printf(
                    Locale.ROOT,
                    "model %s (hidden %d, %d layers) %s%n",
                    model.directory(),
                    model.config().hiddenSize(),
                    model.config().numLayers(),
                    model.fingerprint());
            Report r = train(model, o, out);
            print(r, out);
            r.router().write(out0);
            out.println("\nwrote " + out0.toAbsolutePath());
            return 0;
        } catch (IOException | UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
            err.println("train-router failed: " + e);
            return 1;
        }
    }
}
