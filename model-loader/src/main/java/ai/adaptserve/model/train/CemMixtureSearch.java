package ai.adaptserve.model.train;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.adapter.ZVector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * Transformer²'s few-shot adaptation: a cross-entropy-method search over the mixture weights α of expert z-vectors,
 * {@code z = Σ_k α_k z_k}, scored on a few examples of the task without any gradient. A candidate's score is the mean
 * log-likelihood per completion token of the examples under its mixture.
 */
public final class CemMixtureSearch {
    private CemMixtureSearch() {}

    /**
     * @param population candidates per iteration
     * @param eliteRatio share of each iteration's best candidates that set the next mean and standard deviation
     * @param iterations CEM iterations (one budget step each)
     * @param initialStd starting standard deviation of every α (the mean starts at the uniform mixture 1/K)
     * @param perLayer one α per expert and layer instead of one per expert
     */
    public record Config(
            int population, double eliteRatio, int iterations, double initialStd, boolean perLayer, long seed) {
        public Config {
            if (population < 2) {
                throw new IllegalArgumentException("population must be >= 2, was " + population);
            }
            if (!(eliteRatio > 0 && eliteRatio <= 1)) {
                throw new IllegalArgumentException("eliteRatio must be in (0, 1], was " + eliteRatio);
            }
            if (iterations < 1) {
                throw new IllegalArgumentException("iterations must be >= 1, was " + iterations);
            }
            if (!(initialStd > 0) || Double.isInfinite(initialStd)) {
                throw new IllegalArgumentException("initialStd must be a positive number, was " + initialStd);
            }
        }

        /**
         * The service's {@code "adapter": "cem"} ({@code adaptserve.cem.*} defaults): 8 candidates, the best 25% as
         * elites, 4 iterations, σ₀ 0.3, one α per expert, seed 0; what docs/results.md measures.
         */
        public static Config serviceDefaults() {
            return new Config(8, 0.25, 4, 0.3, false, 0L);
        }

        /** 16 candidates, the best 25% as elites, 8 iterations, σ₀ 0.3, one α per expert. */
        public static Config defaults() {
            return new Config(16, 0.25, 8, 0.3, false, 0L);
        }
    }

    /**
     * @param alphas the best candidate found: {@code alphas[k]} has one entry, or one per layer
     * @param mixture {@code ZVector.mix(experts, alphas)}
     * @param score its mean log-likelihood per completion token (higher is better)
     * @param baselineScore the same for the uniform mixture (every α = 1/K), which is also a candidate
     * @param iterations CEM iterations run
     */
    public record Result(
            float[][] alphas,
            ZVector mixture,
            double score,
            double baselineScore,
            int iterations,
            StopReason stopReason,
            long elapsedMs) {}

    /**
     * Searches α. The listener gets one event per iteration with the negated best score so far as its loss.
     *
     * @throws IllegalArgumentException for no experts or examples, or experts that do not fit each other or the model
     */
    public static Result search(
            LoadedModel model,
            List<ZVector> experts,
            List<TrainingExample> examples,
            Config cfg,
            TrainingBudget budget,
            TrainingListener listener) {
        long t0 = budget.clock().nanoTime();
        if (experts.isEmpty()) {
            throw new IllegalArgumentException("no experts");
        }
        List<Sequences.Row> rows = Sequences.examples(model, examples);
        int k = experts.size();
        int width = cfg.perLayer() ? model.config().numLayers() : 1;
        int dims = k * width;

        double[] mean = new double[dims];
        Arrays.fill(mean, 1.0 / k);
        double[] std = new double[dims];
        Arrays.fill(std, cfg.initialStd());

        double baseline = score(model, experts, rows, shape(mean, k, width));
        double[] best = mean.clone();
        double bestScore = baseline;

        Random rnd = new Random(cfg.seed());
        int elites = Math.max(1, (int) Math.round(cfg.population() * cfg.eliteRatio()));
        TrainingLoop loop = new TrainingLoop("cem", budget, listener, t0);
        for (int it = 0; it < cfg.iterations() && loop.canStep(); it++) {
            record Candidate(double[] x, double score) {}
            List<Candidate> pop = new ArrayList<>(cfg.population());
            for (int c = 0; c < cfg.population(); c++) {
                double[] x = new double[dims];
                for (int d = 0; d < dims; d++) {
                    x[d] = mean[d] + std[d] * rnd.nextGaussian();
                }
                pop.add(new Candidate(x, score(model, experts, rows, shape(x, k, width))));
            }
            pop.sort(Comparator.comparingDouble(Candidate::score).reversed());
            if (pop.get(0).score() > bestScore) {
                bestScore = pop.get(0).score();
                best = pop.get(0).x().clone();
            }
            for (int d = 0; d < dims; d++) {
                double m = 0;
                for (int e = 0; e < elites; e++) {
                    m += pop.get(e).x()[d];
                }
                m /= elites;
                double v = 0;
                for (int e = 0; e < elites; e++) {
                    double dd = pop.get(e).x()[d] - m;
                    v += dd * dd;
                }
                mean[d] = m;
                std[d] = Math.max(Math.sqrt(v / elites), 1e-3);
            }
            loop.stepDone(-bestScore);
        }
        float[][] alphas = shape(best, k, width);
        return new Result(
                alphas,
                ZVector.mix(experts, alphas),
                bestScore,
                baseline,
                loop.steps(),
                loop.stopReason(),
                loop.elapsedMs());
    }

    private static float[][] shape(double[] x, int k, int width) {
        float[][] a = new float[k][width];
        for (int e = 0; e < k; e++) {
            for (int w = 0; w < width; w++) {
                a[e][w] = (float) x[e * width + w];
            }
        }
        return a;
    }

    private static double score(LoadedModel model, List<ZVector> experts, List<Sequences.Row> rows, float[][] alphas) {
        Optional<Adapter> mix = Optional.of(ZVector.mix(experts, alphas));
        return Scoring.score(model, mix, rows).meanLogProb();
    }
}
