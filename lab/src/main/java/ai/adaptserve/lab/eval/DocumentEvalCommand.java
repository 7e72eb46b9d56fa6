package ai.adaptserve.lab.eval;

import ai.adaptserve.lab.cli.CommandArgs;
import ai.adaptserve.lab.eval.DocumentEval.Config;
import ai.adaptserve.lab.eval.DocumentReport.Summary;
import ai.adaptserve.lab.tasks.DocumentTask;
import ai.adaptserve.lab.tasks.SyntheticDocuments;
import ai.adaptserve.lab.tasks.TaskFiles;
import ai.adaptserve.model.BuiltinModel;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.ModelOptions;
import ai.adaptserve.model.train.DocumentTrainer;
import ai.adaptserve.model.train.TrainingBudget;
import ai.adaptserve.model.ttt.DocumentRecipe;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The command line of {@link DocumentEval} (run by {@code bin/eval-documents}): options in, a summary out. */
final class DocumentEvalCommand {
    private DocumentEvalCommand() {}

    static final String USAGE = "usage: DocumentEval (--model DIR | --builtin CACHE_DIR) [--documents FILE.jsonl |"
            + " --count 5 --data-seed 1] [--kind lora|svf] [--passes 2] [--chunk 64] [--lr X] [--rank 4] [--steps MAX]"
            + " [--max-seconds S] [--seed 0] [--continuation-tokens N] [--out summary.json] [--threads 1]";

    private static final List<String> OPTIONS = List.of(
            "--model",
            "--builtin",
            "--documents",
            "--count",
            "--data-seed",
            "--kind",
            "--passes",
            "--chunk",
            "--lr",
            "--rank",
            "--steps",
            "--max-seconds",
            "--seed",
            "--continuation-tokens",
            "--out",
            "--threads");

    /** Runs the command line; returns the exit code (0 done, 1 failed, 2 bad arguments). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandArgs v;
        List<DocumentTask> docs;
        DocumentTrainer.Config t;
        Config cfg;
        try {
            v = CommandArgs.parse(args, OPTIONS, List.of());
            if (v.has("--model") == v.has("--builtin")) {
                throw new IllegalArgumentException("give one of --model or --builtin");
            }
            String kind = v.string("--kind").orElse("lora");
            if (!kind.equals("lora") && !kind.equals("svf")) {
                throw new IllegalArgumentException("--kind must be lora or svf, was " + kind);
            }
            int count = v.intArg("--count", v.has("--documents") ? Integer.MAX_VALUE : 5, 1);
            docs = v.has("--documents")
                    ? TaskFiles.readDocuments(v.requiredPath("--documents"))
                    : SyntheticDocuments.generate(count, v.longArg("--data-seed", 1));
            DocumentRecipe service = DocumentRecipe.serviceDefaults();
            t = kind.equals("svf") ? DocumentTrainer.Config.svf() : service.trainer();
            t = t.withChunkTokens(v.intArg("--chunk", t.chunkTokens(), 2))
                    .withLearningRate((float) v.doubleArg("--lr", t.learningRate(), 1e-9))
                    .withPasses(v.intArg("--passes", t.passes(), 1))
                    .withRank(v.intArg("--rank", t.rank(), 1));
            TrainingBudget budget = new TrainingBudget(
                    v.intArg("--steps", service.maxSteps(), 1),
                    v.has("--max-seconds")
                            ? Duration.ofMillis(Math.round(v.doubleArg("--max-seconds", 0, 0) * 1000))
                            : service.maxWallTime());
            cfg = Config.defaults()
                    .withTrainer(t)
                    .withBudget(budget)
                    .withMaxDocuments(Math.min(count, docs.size()))
                    .withSeed(v.longArg("--seed", 0))
                    .withContinuationTokens(v.intArg("--continuation-tokens", 0, 0));
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (IOException e) {
            err.println("cannot read the documents: " + e.getMessage());
            return 2;
        }
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(v.intArg("--threads", 1, 1));
        ModelOptions options = t.kind() == DocumentTrainer.Kind.SVF
                ? ModelOptions.defaults().withSvdTargets(t.targets())
                : ModelOptions.defaults();
        Path dir = v.path("--model").orElseGet(() -> BuiltinModel.materialize(v.requiredPath("--builtin")));
        try (LoadedModel model = LoadedModel.load(dir, options)) {
            Summary s = DocumentEval.run(model, docs, cfg, out);
            Optional<Path> file = v.path("--out");
            if (file.isPresent()) {
                Path parent = file.get().toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                Files.writeString(file.get(), s.toJson() + "\n");
                out.println("wrote " + file.get());
            } else {
                out.println(s.toJson());
            }
            return 0;
        } catch (IOException | UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
            err.println("eval-documents failed: " + e);
            return 1;
        }
    }
}
