package ai.adaptserve.lab.pretrain;

import ai.adaptserve.model.config.ModelConfig;
import ai.adaptserve.model.tokenizer.ByteTokenizer;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.time.Duration;
import java.util.Objects;

/**
 * What {@link BaseModelTrainer} trains and how.
 *
 * @param model the architecture (byte vocabulary, BOS and EOS)
 * @param seed initial weights; the data order is seeded separately by the caller's {@link PretrainData.Batches}
 * @param initStd standard deviation of the initial matrices
 * @param steps optimizer steps planned (the cosine's length)
 * @param learningRate peak learning rate, reached after {@code warmupSteps}
 * @param finalLearningRateRatio the last step's learning rate as a share of the peak
 * @param weightDecay AdamW's decoupled decay, on matrices only (not on norms or biases)
 * @param gradClip largest global gradient norm (0 disables clipping)
 * @param promptWeight weight of each prompt token's loss, relative to 1 for each answer token (0 trains on answers
 *     only)
 * @param demoOutputWeight weight of each target inside a demonstration's output in the prompt (and the delimiter
 *     after it): the answer to the same task given the demonstrations before it
 * @param evalEvery validation every this many steps and at the last step (0: never)
 * @param maxWallTime the training loop stops before a step once this much time has passed
 */
@RecordBuilder
public record PretrainConfig(
        ModelConfig model,
        long seed,
        double initStd,
        int steps,
        double learningRate,
        int warmupSteps,
        double finalLearningRateRatio,
        double weightDecay,
        double gradClip,
        double promptWeight,
        double demoOutputWeight,
        int evalEvery,
        Duration maxWallTime)
        implements PretrainConfigBuilder.With {
    public PretrainConfig {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(maxWallTime, "maxWallTime");
        if (!model.bosTokenId().isPresent() || model.eosTokenIds().isEmpty()) {
            throw new IllegalArgumentException("the model needs a BOS and an EOS id");
        }
        if (model.vocabSize() < ByteTokenizer.VOCAB) {
            throw new IllegalArgumentException("the vocabulary must hold the " + ByteTokenizer.VOCAB + " byte ids");
        }
        positive(initStd, "initStd");
        positive(learningRate, "learningRate");
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be >= 0, was " + steps);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warmupSteps must be >= 0, was " + warmupSteps);
        }
        if (!(finalLearningRateRatio >= 0 && finalLearningRateRatio <= 1)) {
            throw new IllegalArgumentException(
                    "finalLearningRateRatio must be in [0, 1], was " + finalLearningRateRatio);
        }
        nonNegative(weightDecay, "weightDecay");
        nonNegative(gradClip, "gradClip");
        nonNegative(promptWeight, "promptWeight");
        nonNegative(demoOutputWeight, "demoOutputWeight");
        if (evalEvery < 0) {
            throw new IllegalArgumentException("evalEvery must be >= 0, was " + evalEvery);
        }
    }

    /**
     * Init std 0.02; lr 3e-3 with 5% warm-up (at least 1 step), cosine to 10% at the end; decay 0.1; clip 1;
     * demonstration outputs weigh 1 like answers, other prompt targets 0.1; no evaluation; no time limit.
     */
    public static PretrainConfig defaults(ModelConfig model, long seed, int steps) {
        return new PretrainConfig(
                model,
                seed,
                0.02,
                steps,
                3e-3,
                Math.max(1, steps / 20),
                0.1,
                0.1,
                1.0,
                0.1,
                1.0,
                0,
                Duration.ofDays(1));
    }

    /**
     * The peak learning rate and its warm-up, which go together. Hand-written: it sets two fields; the generated
     * {@code withLearningRate(double)} and {@code withWarmupSteps(int)} set one each.
     */
    public PretrainConfig withLearningRate(double lr, int warmup) {
        return withLearningRate(lr).withWarmupSteps(warmup);
    }

    private static void positive(double v, String name) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be a positive number, was " + v);
        }
    }

    private static void nonNegative(double v, String name) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be a number >= 0, was " + v);
        }
    }
}
