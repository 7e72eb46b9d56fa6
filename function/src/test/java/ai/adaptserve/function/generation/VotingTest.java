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

    private static int choose(List<Generation> samples, Vote vote) {
        return Voting.bySamples(samples, vote.sampleRule().orElseThrow()).index();
    }

    /** The naive rule, written from its definition: Σ exp(lp) per trimmed text, the largest wins. */
    private static String naiveWeighted(List<Generation> samples) {
        java.util.Map<String, Double> mass = new java.util.HashMap<>();
        for (Generation g : samples) {
            mass.merge(g.text().trim(), Math.exp(g.totalLogprob()), Double::sum);
        }
        return java.util.Collections.max(mass.entrySet(), java.util.Map.Entry.comparingByValue())
                .getKey();
    }

    @Test
    void choose_weighted_largestSummedProbability_notTheMostFrequent() {
        // "a" three times at p = 0.05 each (0.15), "b" twice at p = 0.3 (0.6): majority says a, weighted says b.
        float lowA = (float) Math.log(0.05);
        float highB = (float) Math.log(0.3);
        List<Generation> samples =
                List.of(gen("a", lowA), gen("b", highB), gen("a", lowA), gen(" b ", highB), gen("a", lowA));

        int weighted = choose(samples, Vote.WEIGHTED);

        assertEquals("b", samples.get(weighted).text().trim());
        assertEquals(naiveWeighted(samples), samples.get(weighted).text().trim());
        assertEquals("a", samples.get(choose(samples, Vote.MAJORITY)).text());
    }

    @Test
    void choose_weighted_matchesNaiveRule_onRandomSamples() {
        java.util.Random rnd = new java.util.Random(7);
        for (int trial = 0; trial < 200; trial++) {
            List<Generation> samples = new java.util.ArrayList<>();
            for (int i = 0; i < 1 + rnd.nextInt(8); i++) {
                samples.add(gen("xyz".substring(rnd.nextInt(3)), -3f * rnd.nextFloat(), -3f * rnd.nextFloat()));
            }
            assertEquals(
                    naiveWeighted(samples),
                    samples.get(choose(samples, Vote.WEIGHTED)).text().trim());
        }
    }

    @Test
    void byAugmentation_answersMappedBack_beforeTheVote() {
        List<ai.adaptserve.model.prompt.Demonstration> demos =
                List.of(new ai.adaptserve.model.prompt.Demonstration("ab", "ba"));
        // one order, no relabelling (letters): identity and reversal
        List<ai.adaptserve.model.ttt.AugmentedVote.Query> queries =
                ai.adaptserve.model.ttt.AugmentedVote.queries(demos, "xy", 0, 1, 0L);
        assertEquals(2, queries.size());
        // the reversal's query is "yx"; it answers "xy" reversed, which maps back to "yx"
        Voting.Choice c = Voting.byAugmentation(List.of(gen("yx\n", -1f), gen("xy\n", -2f)), queries);

        assertEquals("yx", c.text());
        assertEquals(
                List.of("yx", "yx"),
                c.candidates().stream().map(GenerateResponse.Candidate::text).toList());
        assertEquals(
                List.of(2, 2),
                c.candidates().stream().map(GenerateResponse.Candidate::votes).toList());
        assertEquals(
                List.of("id", "rev"),
                c.candidates().stream()
                        .map(GenerateResponse.Candidate::augmentation)
                        .toList());
    }

    @Test
    void choose_majority_mostFrequentText() {
        List<Generation> samples = List.of(gen("a", -0.1f), gen("b", -2f), gen("b", -3f));

        assertEquals(1, choose(samples, Vote.MAJORITY));
    }

    @Test
    void choose_majorityTie_bestLogprobWins() {
        List<Generation> samples = List.of(gen("a", -1f), gen("b", -0.2f), gen("a", -1.5f), gen("b", -4f));

        assertEquals(1, choose(samples, Vote.MAJORITY));
    }

    @Test
    void choose_logprob_highestTotal() {
        List<Generation> samples = List.of(gen("b", -0.5f, -0.5f), gen("b", -0.4f, -0.4f), gen("a", -0.1f, -0.2f));

        assertEquals(2, choose(samples, Vote.LOGPROB));
    }

    @Test
    void choose_equalScores_firstSample() {
        List<Generation> samples = List.of(gen("a", -1f), gen("b", -1f));

        assertEquals(0, choose(samples, Vote.LOGPROB));
        assertEquals(0, choose(samples, Vote.MAJORITY));
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
