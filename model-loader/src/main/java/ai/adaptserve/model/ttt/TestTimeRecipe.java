package ai.adaptserve.model.ttt;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.LoraAdapter;
import ai.adaptserve.model.prompt.Demonstration;
import ai.adaptserve.model.prompt.PromptRenderer;
import ai.adaptserve.model.train.LoraTrainer;
import ai.adaptserve.model.train.TrainingBudget;
import ai.adaptserve.model.train.TrainingClock;
import ai.adaptserve.model.train.TrainingExample;
import ai.adaptserve.model.train.TrainingListener;
import ai.adaptserve.model.train.TrainingResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Test-time training on a request's demonstrations, as the ARC study does it: from {@code n} demonstrations,
 * {@code n} leave-one-out tasks (the other {@code n − 1} in context, in the generic phrasing, the held-out one as the
 * query), each under every augmentation that suits the task and in a few orders of the in-context demonstrations; a
 * fresh LoRA is trained with the loss on the held-out outputs only. The prompt at inference is the same format with
 * all {@code n} demonstrations in context.
 */
public final class TestTimeRecipe {
    private TestTimeRecipe() {}

    /**
     * @param lora the LoRA and its optimizer (its epochs are not used: {@code steps} is the length)
     * @param steps optimizer steps, one mini-batch each
     * @param relabels colour relabellings for 1-D rows (see {@link Augmentation#suitedTo})
     * @param orders orders of the in-context demonstrations per leave-one-out task (the first is the given order)
     * @param seed seeds the relabellings and the orders
     */
    public record Config(LoraTrainer.Config lora, int steps, int relabels, int orders, long seed) {
        public Config {
            if (steps < 1) {
                throw new IllegalArgumentException("steps must be >= 1, was " + steps);
            }
            if (relabels < 0) {
                throw new IllegalArgumentException("relabels must be >= 0, was " + relabels);
            }
            if (orders < 1) {
                throw new IllegalArgumentException("orders must be >= 1, was " + orders);
            }
        }

        /**
         * Rank 4 (alpha 8) on every projection, lr 5e-3, 12 steps of 8; 2 relabellings, 2 orders: the service's
         * defaults ({@code adaptserve.ttt.*}).
         */
        public static Config defaults() {
            return new Config(
                    new LoraTrainer.Config(4, 8f, LoraTrainer.Config.DEFAULT_TARGETS, false, 5e-3f, 0f, 1, 8, 0L),
                    12,
                    2,
                    2,
                    0L);
        }
    }

    /**
     * The training set: every leave-one-out task under every suited augmentation and {@code orders} orders, without
     * repeats. Completions are the held-out output and {@link PromptRenderer#TERMINATOR}.
     */
    public static List<TrainingExample> trainingData(List<Demonstration> demos, Config cfg) {
        if (demos.isEmpty()) {
            throw new IllegalArgumentException("test-time training needs at least one demonstration");
        }
        Random rnd = new Random(cfg.seed());
        Set<TrainingExample> out = new LinkedHashSet<>();
        for (Augmentation a : Augmentation.suitedTo(demos, cfg.relabels(), cfg.seed())) {
            addLeaveOneOut(a.apply(demos), cfg.orders(), rnd, out);
        }
        return List.copyOf(out);
    }

    /**
     * The leave-one-out tasks of {@code demos} as they are (no augmentation, the given order): what Transformer²'s
     * few-shot strategy scores expert mixtures on.
     */
    public static List<TrainingExample> leaveOneOut(List<Demonstration> demos) {
        Set<TrainingExample> out = new LinkedHashSet<>();
        addLeaveOneOut(demos, 1, new Random(0), out);
        return List.copyOf(out);
    }

    private static void addLeaveOneOut(List<Demonstration> demos, int orders, Random rnd, Set<TrainingExample> out) {
        for (int held = 0; held < demos.size(); held++) {
            List<Demonstration> others = new ArrayList<>(demos);
            Demonstration query = others.remove(held);
            for (int o = 0; o < orders; o++) {
                List<Demonstration> context = new ArrayList<>(others);
                if (o > 0) {
                    Collections.shuffle(context, rnd);
                }
                String prompt = PromptRenderer.inOut(context, query.input());
                out.add(new TrainingExample(prompt, query.output() + PromptRenderer.TERMINATOR));
            }
        }
    }

    /** Trains a fresh LoRA on {@link #trainingData} for {@code cfg.steps()} steps, or until {@code maxWallTime}. */
    public static TrainingResult<LoraAdapter> train(
            LoadedModel model, List<Demonstration> demos, Config cfg, Duration maxWallTime, TrainingListener listener) {
        return trainOn(model, trainingData(demos, cfg), cfg, maxWallTime, listener);
    }

    /** As {@link #train}, on {@link #trainingData} already built (a caller that checked its lengths first). */
    public static TrainingResult<LoraAdapter> trainOn(
            LoadedModel model,
            List<TrainingExample> data,
            Config cfg,
            Duration maxWallTime,
            TrainingListener listener) {
        return trainOn(model, data, cfg, maxWallTime, TrainingClock.SYSTEM, listener);
    }

    /** As {@link #trainOn(LoadedModel, List, Config, Duration, TrainingListener)}, the wall time read from {@code clock}. */
    public static TrainingResult<LoraAdapter> trainOn(
            LoadedModel model,
            List<TrainingExample> data,
            Config cfg,
            Duration maxWallTime,
            TrainingClock clock,
            TrainingListener listener) {
        // enough epochs for the step budget to be the limit
        LoraTrainer.Config lora = cfg.lora().withEpochs(cfg.steps());
        return LoraTrainer.train(model, data, lora, new TrainingBudget(cfg.steps(), maxWallTime, clock), listener);
    }
}
