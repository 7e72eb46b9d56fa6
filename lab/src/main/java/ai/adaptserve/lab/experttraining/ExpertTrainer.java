package ai.adaptserve.lab.experttraining;

import ai.adaptserve.lab.eval.EvaluationReport;
import ai.adaptserve.lab.eval.GreedyAnswers;
import ai.adaptserve.lab.tasks.FewShotTask;
import ai.adaptserve.lab.tasks.PromptFormat;
import ai.adaptserve.lab.tasks.TaskFamily;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.ZVector;
import ai.adaptserve.model.prompt.Phrasing;
import ai.adaptserve.model.train.TrainingBudget;
import ai.adaptserve.model.train.TrainingExample;
import ai.adaptserve.model.train.TrainingListener;
import ai.adaptserve.model.train.TrainingResult;
import ai.adaptserve.model.train.ZVectorTrainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Trains one SVF expert (a z-vector over the MLP's singular values, as Transformer² does) per task family by
 * cross-entropy on that family's training tasks, and measures each expert against the base model on held-out
 * tasks of its family.
 */
public final class ExpertTrainer {
    private ExpertTrainer() {}

    /**
     * @param perFamily training tasks per family
     * @param z the z-vector trainer's settings
     */
    public record Config(int perFamily, ZVectorTrainer.Config z) {
        public Config {
            if (perFamily < 1) {
                throw new IllegalArgumentException("perFamily must be >= 1, was " + perFamily);
            }
        }

        /**
         * 96 tasks per family, MLP targets, lr 6e-2, 4 epochs, batches of 16. On a mid-training checkpoint (sort,
         * gravity, shift; 40 held-out tasks each) lr 2e-2 × 3 epochs gave 8/120 exact, 6e-2 × 4 gave 12/120, and
         * 1e-1 × 6 on 128 tasks no more (12/120) at twice the time.
         */
        public static Config defaults() {
            return new Config(
                    96,
                    ZVectorTrainer.Config.defaults()
                            .withLearningRate(6e-2f)
                            .withEpochs(4)
                            .withBatchSize(16));
        }
    }

    /** One expert with its held-out exact match and the base model's on the same tasks. */
    public record Trained(
            String family,
            TrainingResult<ZVector> result,
            EvaluationReport.Count base,
            EvaluationReport.Count expert) {}

    /**
     * The training set of one family: each task with its demonstrations in phrasing {@code i mod 4} (the generic,
     * the service's, included), and, where the phrasing names the family, without demonstrations in phrasing
     * {@code 1 + i mod 3}. Completions are the output and the terminator.
     */
    public static List<TrainingExample> trainingData(List<FewShotTask> tasks) {
        List<TrainingExample> out = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            FewShotTask t = tasks.get(i);
            Phrasing with = Phrasing.at(i % PromptFormat.PHRASINGS);
            out.add(new TrainingExample(PromptFormat.render(t, true, with), PromptFormat.completion(t)));
            Phrasing without = Phrasing.at(1 + i % (PromptFormat.PHRASINGS - 1));
            if (PromptFormat.answerable(t, false, without)) {
                out.add(new TrainingExample(PromptFormat.render(t, false, without), PromptFormat.completion(t)));
            }
        }
        return out;
    }

    /** Tasks of {@code family} from {@code tasks}, at most {@code n}, in order. */
    public static List<FewShotTask> ofFamily(List<FewShotTask> tasks, TaskFamily family, int n) {
        return tasks.stream()
                .filter(t -> t.trainingFamily().equals(Optional.of(family)))
                .limit(n)
                .toList();
    }

    /** Trains the expert of {@code family} and scores it against the base model on {@code heldOut}. */
    public static Trained train(
            LoadedModel model,
            TaskFamily family,
            List<FewShotTask> train,
            List<FewShotTask> heldOut,
            Config cfg,
            TrainingListener listener) {
        List<FewShotTask> tasks = ofFamily(train, family, cfg.perFamily());
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("no training tasks of family " + family.label());
        }
        TrainingResult<ZVector> result = ZVectorTrainer.trainCrossEntropy(
                model, trainingData(tasks), cfg.z(), TrainingBudget.steps(Integer.MAX_VALUE), listener);
        List<FewShotTask> eval = heldOut.stream()
                .filter(t -> t.trainingFamily().equals(Optional.of(family)))
                .toList();
        List<String> prompts = eval.stream()
                .map(t -> PromptFormat.render(t, true, Phrasing.GENERIC))
                .toList();
        EvaluationReport.Count base = score(eval, GreedyAnswers.of(model, prompts, Optional.empty()));
        EvaluationReport.Count expert = score(eval, GreedyAnswers.of(model, prompts, Optional.of(result.adapter())));
        return new Trained(family.label(), result, base, expert);
    }

    static EvaluationReport.Count score(List<FewShotTask> tasks, List<String> answers) {
        EvaluationReport.Count c = new EvaluationReport.Count(0, 0);
        for (int i = 0; i < tasks.size(); i++) {
            c = c.plus(tasks.get(i).output().equals(answers.get(i)));
        }
        return c;
    }
}
