package ai.adaptserve.function.generation;

import ai.adaptserve.model.generate.Generation;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Chooses one answer among several samples of the same prompt. */
final class Voting {
    private Voting() {}

    /**
     * The index of the chosen sample. {@link Vote#MAJORITY}: the most frequent text, a tie going to the group whose
     * best sample has the highest total log-probability; the chosen sample is that best one. {@link Vote#LOGPROB}:
     * the highest total log-probability. Remaining ties go to the earliest sample.
     */
    static int choose(List<Generation> samples, Vote vote) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no samples");
        }
        Map<String, Integer> votes = votes(samples);
        int best = 0;
        for (int i = 1; i < samples.size(); i++) {
            if (better(samples.get(i), samples.get(best), vote, votes)) {
                best = i;
            }
        }
        return best;
    }

    private static boolean better(Generation a, Generation b, Vote vote, Map<String, Integer> votes) {
        if (vote == Vote.MAJORITY) {
            int va = votes.get(a.text());
            int vb = votes.get(b.text());
            if (va != vb) {
                return va > vb;
            }
        }
        return a.totalLogprob() > b.totalLogprob();
    }

    /** How many samples produced each text. */
    static Map<String, Integer> votes(List<Generation> samples) {
        Map<String, Integer> votes = new HashMap<>();
        for (Generation g : samples) {
            votes.merge(g.text(), 1, Integer::sum);
        }
        return votes;
    }

    /** Every sample as a candidate, in sample order. */
    static List<GenerateResponse.Candidate> candidates(List<Generation> samples) {
        Map<String, Integer> votes = votes(samples);
        return samples.stream()
                .map(g -> new GenerateResponse.Candidate(g.text(), votes.get(g.text()), g.totalLogprob()))
                .toList();
    }
}
