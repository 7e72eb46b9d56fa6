package ai.adaptserve.lab.experttraining;

import ai.adaptserve.lab.cli.CommandArgs;
import ai.adaptserve.lab.eval.EvaluationReport;
import ai.adaptserve.lab.tasks.FewShotTask;
import ai.adaptserve.lab.tasks.TaskFamily;
import ai.adaptserve.lab.tasks.TaskSuite;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.experts.ExpertSet;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Trains the SVF experts of a base model, one per training family, on the train split of the seeded task suite, and
 * prints each expert's exact match against the base model's on the validation split (demonstrations in context, the
 * generic phrasing the service uses).
 *
 * <pre>
 * TrainExperts --model DIR --out DIR [--data-seed 20261122] [--per-family 96] [--epochs 4] [--lr 6e-2]
 *     [--batch 16] [--val-per-family 40] [--families reverse,sort] [--threads 1]
 * </pre>
 */
public final class TrainExperts {
    static final String USAGE = "usage: TrainExperts --model DIR --out DIR [--data-seed N] [--per-family N]"
            + " [--epochs N] [--lr X] [--batch N] [--val-per-family N] [--families a,b] [--threads N]";
    private static final List<String> OPTIONS = List.of(
            "--model",
            "--out",
            "--data-seed",
            "--per-family",
            "--epochs",
            "--lr",
            "--batch",
            "--val-per-family",
            "--families",
            "--threads");

    private TrainExperts() {}

    public static void main(String[] args) {
        CommandArgs.exitWith(run(args, System.out, System.err));
    }

    /** Runs the command; returns the exit code (0 done, 1 failed, 2 bad arguments). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandArgs a;
        List<TaskFamily> families;
        ExpertTrainer.Config cfg;
        try {
            a = CommandArgs.parse(args, OPTIONS, List.of());
            a.required("--model");
            a.required("--out");
            families = families(a.string("--families").orElse(""));
            ExpertTrainer.Config d = ExpertTrainer.Config.defaults();
            cfg = new ExpertTrainer.Config(
                    a.intArg("--per-family", d.perFamily(), 1),
                    d.z().withEpochs(a.intArg("--epochs", d.z().epochs(), 1))
                            .withLearningRate((float) a.doubleArg("--lr", d.z().learningRate(), 1e-9))
                            .withBatchSize(a.intArg("--batch", d.z().batchSize(), 1)));
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.println(USAGE);
            return 2;
        }
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(a.intArg("--threads", 1, 1));
        long seed = a.longArg("--data-seed", 20261122L);
        int valPerFamily = a.intArg("--val-per-family", 40, 0);
        try (LoadedModel model = LoadedModel.load(a.requiredPath("--model"))) {
            TaskSuite.Suite suite = TaskSuite.generate(
                    seed,
                    new TaskSuite.Counts(
                            cfg.perFamily() * TaskFamily.values().length * 2,
                            valPerFamily * TaskFamily.values().length,
                            0,
                            0,
                            0));
            List<ExpertTrainer.Trained> done = train(model, families, suite.train(), suite.val(), cfg, a, out);
            out.print(table(done));
            return 0;
        } catch (IOException | UncheckedIOException | IllegalStateException | IllegalArgumentException e) {
            err.println("train-experts failed: " + e);
            return 1;
        }
    }

    private static List<ExpertTrainer.Trained> train(
            LoadedModel model,
            List<TaskFamily> families,
            List<FewShotTask> train,
            List<FewShotTask> val,
            ExpertTrainer.Config cfg,
            CommandArgs a,
            PrintStream out)
            throws IOException {
        Path dir = a.requiredPath("--out");
        List<ExpertTrainer.Trained> done = new ArrayList<>();
        for (TaskFamily f : families) {
            ExpertTrainer.Trained t = ExpertTrainer.train(model, f, train, val, cfg, p -> {});
            ExpertSet.write(
                    dir,
                    f.label(),
                    t.result().adapter(),
                    model.fingerprint(),
                    t.result().summary());
            out.printf(
                    Locale.ROOT,
                    "%-10s %3d steps  loss %.3f -> %.3f  %5.1f s  base %d/%d  expert %d/%d%n",
                    f.label(),
                    t.result().steps(),
                    t.result().firstLoss(),
                    t.result().lastLoss(),
                    t.result().elapsedMs() / 1000.0,
                    t.base().correct(),
                    t.base().total(),
                    t.expert().correct(),
                    t.expert().total());
            done.add(t);
        }
        return done;
    }

    static List<TaskFamily> families(String list) {
        if (list.isBlank()) {
            return List.of(TaskFamily.values());
        }
        List<TaskFamily> out = new ArrayList<>();
        for (String name : list.split(",")) {
            out.add(TaskFamily.byLabel(name.trim())
                    .orElseThrow(() -> new IllegalArgumentException("--families: unknown family " + name.trim()
                            + "; known: "
                            + Arrays.stream(TaskFamily.values())
                                    .map(TaskFamily::label)
                                    .toList())));
        }
        return out;
    }

    /** Markdown table: family, base and expert exact match on the held-out tasks. */
    static String table(List<ExpertTrainer.Trained> done) {
        StringBuilder md = new StringBuilder("| family | base | expert | training loss | steps |\n");
        md.append("| --- | --- | --- | --- | --- |\n");
        int b = 0;
        int e = 0;
        int n = 0;
        for (ExpertTrainer.Trained t : done) {
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %.3f → %.3f | %d |%n",
                    t.family(),
                    t.base().cell(),
                    t.expert().cell(),
                    t.result().firstLoss(),
                    t.result().lastLoss(),
                    t.result().steps()));
            b += t.base().correct();
            e += t.expert().correct();
            n += t.base().total();
        }
        md.append(String.format(
                Locale.ROOT,
                "| **all** | %s | %s | | |%n",
                new EvaluationReport.Count(b, n).cell(),
                new EvaluationReport.Count(e, n).cell()));
        return md.toString();
    }
}
