package ai.adaptserve.model.vote;

import ai.adaptserve.model.generate.Generation;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Chooses one answer among several samples of the same prompt: the rules the service's {@code vote} names, shared with
 * the lab's evaluation so that both choose alike.
 */
public final class SampleVote {
    private SampleVote() {}

    /** A rule that needs nothing but the samples. */
    public enum Rule {
        /** The most frequent text; a tie goes to the group whose best sample has the highest log-probability. */
        MAJORITY,
        /** The sample with the highest total log-probability. */
        LOGPROB,
        /**
         * The normalised answer with the most probability mass: the sum of {@code exp(total log-probability)} over the
         * samples that gave it; the chosen sample is that answer's most probable one.
         */
        WEIGHTED
    }

    /** What two samples must share to count as the same answer for {@link Rule#WEIGHTED}: the text, trimmed. */
    public static String normalised(String text) {
        return text.strip();
    }

    /** The index of the chosen sample; remaining ties go to the earliest sample. */
    public static int choose(List<Generation> samples, Rule rule) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no samples");
        }
        Map<String, Integer> votes = votes(samples);
        Map<String, Double> mass = rule == Rule.WEIGHTED ? logMass(samples) : Map.of();
        int best = 0;
        for (int i = 1; i < samples.size(); i++) {
            if (better(samples.get(i), samples.get(best), rule, votes, mass)) {
                best = i;
            }
        }
        return best;
    }

    private static boolean better(
            Generation a, Generation b, Rule rule, Map<String, Integer> votes, Map<String, Double> mass) {
        if (rule == Rule.MAJORITY) {
            int va = votes.get(a.text());
            int vb = votes.get(b.text());
            if (va != vb) {
                return va > vb;
            }
        } else if (rule == Rule.WEIGHTED) {
            double ma = mass.get(normalised(a.text()));
            double mb = mass.get(normalised(b.text()));
            if (ma != mb) {
                return ma > mb;
            }
        }
        return a.totalLogprob() > b.totalLogprob();
    }

    /** How many samples produced each exact text. */
    public static Map<String, Integer> votes(List<Generation> samples) {
        Map<String, Integer> votes = new HashMap<>();
        for (Generation g : samples) {
            votes.merge(g.text(), 1, Integer::sum);
        }
        return votes;
    }

    /**
     * The natural log of each normalised answer's probability mass, {@code log Σ exp(lp)} over its samples, summed
     * in log space so that long answers (whose probabilities underflow a double) still compare.
     */
    public static Map<String, Double> logMass(List<Generation> samples) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Generation g : samples) {
            double lp = g.totalLogprob();
            out.merge(normalised(g.text()), lp, SampleVote::logAddExp);
        }
        return out;
    }

    private static double logAddExp(double a, double b) {
        double hi = Math.max(a, b);
        if (hi == Double.NEGATIVE_INFINITY) {
            return hi;
        }
        return hi + Math.log(Math.exp(a - hi) + Math.exp(b - hi));
    }
}
