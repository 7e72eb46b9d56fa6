package ai.adaptserve.function.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.adaptserve.model.generate.Generation;
import java.util.List;
import org.junit.jupiter.api.Test;

class VotingTest {

    private static Generation gen(String text, float... logprobs) {
        List<Float> lps = new java.util.ArrayList<>();
        List<Integer> tokens = new java.util.ArrayList<>();
        for (float lp : logprobs) {
            lps.add(lp);
            tokens.add(1);
        }
        return new Generation(text, tokens, lps, 3, Generation.FinishReason.LENGTH);
    }

    @Test
    void choose_majority_mostFrequentText() {
        List<Generation> samples = List.of(gen("a", -0.1f), gen("b", -2f), gen("b", -3f));

        assertEquals(1, Voting.choose(samples, Vote.MAJORITY));
    }

    @Test
    void choose_majorityTie_bestLogprobWins() {
        List<Generation> samples = List.of(gen("a", -1f), gen("b", -0.2f), gen("a", -1.5f), gen("b", -4f));

        assertEquals(1, Voting.choose(samples, Vote.MAJORITY));
    }

    @Test
    void choose_logprob_highestTotal() {
        List<Generation> samples = List.of(gen("b", -0.5f, -0.5f), gen("b", -0.4f, -0.4f), gen("a", -0.1f, -0.2f));

        assertEquals(2, Voting.choose(samples, Vote.LOGPROB));
    }

    @Test
    void choose_equalScores_firstSample() {
        List<Generation> samples = List.of(gen("a", -1f), gen("b", -1f));

        assertEquals(0, Voting.choose(samples, Vote.LOGPROB));
        assertEquals(0, Voting.choose(samples, Vote.MAJORITY));
    }

    @Test
    void candidates_votesAndScores_perSample() {
        List<GenerateResponse.Candidate> candidates =
                Voting.candidates(List.of(gen("a", -1f, -0.5f), gen("b", -2f), gen("a", -0.25f)));

        assertEquals(
                List.of(
                        new GenerateResponse.Candidate("a", 2, -1.5),
                        new GenerateResponse.Candidate("b", 1, -2.0),
                        new GenerateResponse.Candidate("a", 2, -0.25)),
                candidates);
    }

    @Test
    void sampleSeed_firstIsRequestSeed_othersDistinct() {
        assertEquals(42L, GenerateService.sampleSeed(42L, 0));
        long s1 = GenerateService.sampleSeed(42L, 1);
        long s2 = GenerateService.sampleSeed(42L, 2);
        assertEquals(3, java.util.Set.of(42L, s1, s2).size());
        assertEquals(s1, GenerateService.sampleSeed(42L, 1));
    }
}
