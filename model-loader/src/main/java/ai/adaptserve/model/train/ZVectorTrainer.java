package ai.adaptserve.model.train;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.adapter.AdapterBatch;
import ai.adaptserve.model.adapter.MatrixRef;
import ai.adaptserve.model.adapter.SvdFactors;
import ai.adaptserve.model.adapter.TargetMatrix;
import ai.adaptserve.model.adapter.ZVector;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.generate.GenerationParams;
import ai.djl.ndarray.NDArray;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * Trains Transformer² z-vectors (SVF): the singular values of the target matrices scaled by a learned z, starting at
 * ones (the base model). Either by cross-entropy on prompt → completion pairs, or by REINFORCE with a KL penalty
 * towards the base model, as the paper trains its experts.
 */
public final class ZVectorTrainer {
    private ZVectorTrainer() {}

    /**
     * @param targets matrices of every layer to scale; each must be factored by the model ({@code
     *     ModelOptions.svdTargets}); {@link TargetMatrix#HEAD} adds the output head
     * @param preserveSum rescale {@code σ ⊙ z} to keep {@code Σσ}, as Transformer² optionally does
     */
    @RecordBuilder
    public record Config(
            Set<TargetMatrix> targets, float learningRate, int epochs, int batchSize, long seed, boolean preserveSum)
            implements ZVectorTrainerConfigBuilder.With {
        public Config {
            if (targets.isEmpty()) {
                throw new IllegalArgumentException("no target matrices");
            }
            targets = Set.copyOf(EnumSet.copyOf(targets));
            if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
                throw new IllegalArgumentException("learningRate must be a positive number, was " + learningRate);
            }
            if (epochs < 1) {
                throw new IllegalArgumentException("epochs must be >= 1, was " + epochs);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be >= 1, was " + batchSize);
            }
        }

        /** The MLP (Transformer²'s choice), lr 5e-2 (cosine-decayed), 30 epochs, batches of 8, seed 0, no rescale. */
        public static Config defaults() {
            return new Config(TargetMatrix.MLP, 5e-2f, 30, 8, 0L, false);
        }
    }

    /**
     * REINFORCE settings.
     *
     * @param samplesPerPrompt completions sampled per prompt and step; with 2 or more each prompt's own mean reward
     *     is its baseline, with 1 the step's mean reward is
     * @param temperature sampling temperature (> 0); the log-probabilities of the policy gradient use the same
     * @param maxTokens most tokens per sampled completion
     * @param klCoefficient weight of {@code KL(p_z ‖ p_base)}, averaged over the completion tokens
     * @param iterations policy-gradient steps, each over every prompt
     * @param targets matrices to scale, as in {@link Config}
     */
    @RecordBuilder
    public record ReinforceConfig(
            int samplesPerPrompt,
            float temperature,
            int maxTokens,
            double klCoefficient,
            float learningRate,
            long seed,
            int iterations,
            Set<TargetMatrix> targets,
            boolean preserveSum)
            implements ZVectorTrainerReinforceConfigBuilder.With {
        public ReinforceConfig {
            if (samplesPerPrompt < 1) {
                throw new IllegalArgumentException("samplesPerPrompt must be >= 1, was " + samplesPerPrompt);
            }
            if (!(temperature > 0) || Float.isInfinite(temperature)) {
                throw new IllegalArgumentException("temperature must be a positive number, was " + temperature);
            }
            if (maxTokens < 1) {
                throw new IllegalArgumentException("maxTokens must be >= 1, was " + maxTokens);
            }
            if (!(klCoefficient >= 0) || Double.isInfinite(klCoefficient)) {
                throw new IllegalArgumentException("klCoefficient must be a number >= 0, was " + klCoefficient);
            }
            if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
                throw new IllegalArgumentException("learningRate must be a positive number, was " + learningRate);
            }
            if (iterations < 1) {
                throw new IllegalArgumentException("iterations must be >= 1, was " + iterations);
            }
            if (targets.isEmpty()) {
                throw new IllegalArgumentException("no target matrices");
            }
            targets = Set.copyOf(EnumSet.copyOf(targets));
        }

        /** The MLP, no sum rescale, 50 iterations. */
        public ReinforceConfig(
                int samplesPerPrompt,
                float temperature,
                int maxTokens,
                double klCoefficient,
                float learningRate,
                long seed) {
            this(
                    samplesPerPrompt,
                    temperature,
                    maxTokens,
                    klCoefficient,
                    learningRate,
                    seed,
                    50,
                    TargetMatrix.MLP,
                    false);
        }

        /** 4 samples at temperature 1, 16 tokens, KL 0.1 (roughly Transformer²'s λ), lr 2e-3 (the paper's). */
        public static ReinforceConfig defaults() {
            return new ReinforceConfig(4, 1f, 16, 0.1, 2e-3f, 0L);
        }
    }

    /**
     * Trains z by cross-entropy on the completion tokens of {@code data} (AdamW, no weight decay).
     *
     * @throws IllegalArgumentException for no data, an example longer than the context, or a target the model does not
     *     factor
     */
    public static TrainingResult<ZVector> trainCrossEntropy(
            LoadedModel model,
            List<TrainingExample> data,
            Config cfg,
            TrainingBudget budget,
            TrainingListener listener) {
        long t0 = budget.clock().nanoTime();
        List<Sequences.Row> rows = Sequences.examples(model, data);
        SvdFactors svd = model.svdFactors();
        Set<MatrixRef> refs = factoredRefs(model, svd, cfg.targets());
        try (TrainableZ z =
                new TrainableZ(model.decoder().weights().manager(), svd, refs, cfg.preserveSum(), Map.of())) {
            AdamW opt = new AdamW(
                    z,
                    cfg.learningRate(),
                    0f,
                    LoraTrainer.plannedSteps(rows.size(), cfg.epochs(), cfg.batchSize(), budget));
            TrainingLoop loop = new TrainingLoop("svf-ce", budget, listener, t0);
            LoraTrainer.crossEntropy(model, z, opt, loop, rows, cfg.epochs(), cfg.batchSize(), new Random(cfg.seed()));
            return loop.result(z.export());
        }
    }

    /**
     * Trains z by REINFORCE, as Transformer² does: each step samples {@code samplesPerPrompt} completions of every
     * prompt with the current z, scores them, and minimizes {@code −mean((r − baseline) · log p_z(completion | prompt))
     * + klCoefficient · KL(p_z ‖ p_base)} over the completion tokens (the base logits come from the same sequences
     * without adapter and without gradients).
     *
     * <p>The reported loss of each step (and so {@link TrainingResult#firstLoss()} and {@link TrainingResult#lastLoss()})
     * is the negated mean reward of that step's samples: it falls as the policy improves.
     */
    public static TrainingResult<ZVector> trainReinforce(
            LoadedModel model,
            List<String> prompts,
            Reward reward,
            ReinforceConfig cfg,
            TrainingBudget budget,
            TrainingListener listener) {
        long t0 = budget.clock().nanoTime();
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts");
        }
        SvdFactors svd = model.svdFactors();
        Set<MatrixRef> refs = factoredRefs(model, svd, cfg.targets());
        int k = cfg.samplesPerPrompt();
        List<String> batchPrompts = new ArrayList<>();
        for (String p : prompts) {
            batchPrompts.addAll(Collections.nCopies(k, p));
        }
        try (TrainableZ z =
                new TrainableZ(model.decoder().weights().manager(), svd, refs, cfg.preserveSum(), Map.of())) {
            AdamW opt = new AdamW(z, cfg.learningRate(), 0f, Math.min(cfg.iterations(), budget.maxSteps()));
            TrainingLoop loop = new TrainingLoop("svf-reinforce", budget, listener, t0);
            for (int it = 0; it < cfg.iterations() && loop.canStep(); it++) {
                Optional<Adapter> current = Optional.of(z.export());
                List<GenerationParams> params = new ArrayList<>();
                for (int i = 0; i < batchPrompts.size(); i++) {
                    long seed = cfg.seed() * 1_000_003L + it * 10_007L + i;
                    params.add(new GenerationParams(cfg.maxTokens(), cfg.temperature(), 1f, List.of(), seed));
                }
                List<Generation> gens =
                        model.generate(batchPrompts, params, Collections.nCopies(batchPrompts.size(), current));
                double[] rewards = new double[gens.size()];
                List<Sequences.Row> rows = new ArrayList<>();
                double mean = 0;
                for (int i = 0; i < gens.size(); i++) {
                    rewards[i] = reward.score(batchPrompts.get(i), gens.get(i).text());
                    if (!Double.isFinite(rewards[i])) {
                        throw new IllegalArgumentException("the reward of a sample is not finite: " + rewards[i]);
                    }
                    mean += rewards[i];
                    rows.add(sampleRow(model, batchPrompts.get(i), gens.get(i)));
                }
                mean /= gens.size();
                float[] adv = advantages(rewards, k, mean);
                Sequences s = Sequences.of(rows);
                float invT = 1f / cfg.temperature();
                loop.gradientStep(z, opt, step -> {
                    NDArray base = model.decoder().logitsAllPositions(step, s.rows(), AdapterBatch.NONE);
                    NDArray logits = model.decoder().logitsAllPositions(step, s.rows(), z);
                    NDArray scaled = invT == 1f ? logits : logits.mul(Losses.scalar(step, invT));
                    NDArray seqLogp = Losses.rowLogProbs(step, scaled, s);
                    NDArray pg = seqLogp.mul(step.create(adv)).mean().neg();
                    if (cfg.klCoefficient() == 0) {
                        return pg;
                    }
                    return pg.add(
                            Losses.meanKl(step, logits, base, s).mul(Losses.scalar(step, (float) cfg.klCoefficient())));
                });
                loop.stepDone(-mean);
            }
            return loop.result(z.export());
        }
    }

    /** Reward minus baseline: the prompt's own mean when it has several samples, else the batch mean. */
    static float[] advantages(double[] rewards, int perPrompt, double batchMean) {
        float[] adv = new float[rewards.length];
        for (int start = 0; start < rewards.length; start += perPrompt) {
            double base = batchMean;
            if (perPrompt > 1) {
                base = 0;
                for (int i = start; i < start + perPrompt; i++) {
                    base += rewards[i];
                }
                base /= perPrompt;
            }
            for (int i = start; i < start + perPrompt; i++) {
                adv[i] = (float) (rewards[i] - base);
            }
        }
        return adv;
    }

    private static Sequences.Row sampleRow(LoadedModel model, String prompt, Generation g) {
        int[] p = model.encode(prompt);
        int[] all = new int[p.length + g.tokens().size()];
        System.arraycopy(p, 0, all, 0, p.length);
        for (int i = 0; i < g.tokens().size(); i++) {
            all[p.length + i] = g.tokens().get(i);
        }
        return new Sequences.Row(all, p.length);
    }

    /** Every layer's {@code targets} (and the head if listed), each checked to be factored by the model. */
    static Set<MatrixRef> factoredRefs(LoadedModel model, SvdFactors svd, Set<TargetMatrix> targets) {
        Set<MatrixRef> refs = new TreeSet<>();
        Set<TargetMatrix> layered = EnumSet.copyOf(targets);
        boolean head = layered.remove(TargetMatrix.HEAD);
        refs.addAll(LoraTrainer.Config.refs(model.config(), layered, head));
        Map<MatrixRef, Integer> ranks = svd.ranks();
        for (MatrixRef m : refs) {
            if (!ranks.containsKey(m)) {
                throw new IllegalArgumentException("z." + m.key() + ": the model does not factor "
                        + m.matrix().shortName() + " (set ModelOptions.svdTargets)");
            }
        }
        return refs;
    }
}
