package ai.adaptserve.model.ttt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.prompt.Demonstration;
import ai.adaptserve.model.prompt.PromptRenderer;
import ai.adaptserve.model.train.TrainingExample;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AugmentedVoteTest {

    private static final List<Demonstration> ROWS = List.of(
            new Demonstration("0120", "0210"), new Demonstration("3004", "4003"), new Demonstration("5600", "0065"));
    private static final List<Demonstration> WORDS =
            List.of(new Demonstration("abc", "cba"), new Demonstration("hello", "olleh"));

    @Test
    void everyAugmentationIsInvertedByItsInverse() {
        Random rnd = new Random(7);
        for (Augmentation a : Augmentation.suitedTo(ROWS, 3, 11)) {
            for (int i = 0; i < 50; i++) {
                StringBuilder s = new StringBuilder();
                for (int j = 0; j < 1 + rnd.nextInt(12); j++) {
                    s.append((char) ('0' + rnd.nextInt(10)));
                }
                assertEquals(s.toString(), a.invert(a.apply(s.toString())), a.name());
            }
        }
    }

    @Test
    void rowsGetColourRelabellingsThatKeepTheBackground_wordsDoNot() {
        List<Augmentation> rows = Augmentation.suitedTo(ROWS, 2, 3);
        assertEquals(
                List.of("id", "rev", "relabel-1", "relabel-2"),
                rows.stream().map(Augmentation::name).toList());
        Augmentation relabel = rows.get(2);
        assertEquals("0000", relabel.apply("0000"));
        assertNotEquals("123456789", relabel.apply("123456789"));
        List<Augmentation> words = Augmentation.suitedTo(WORDS, 2, 3);
        assertEquals(
                List.of("id", "rev"), words.stream().map(Augmentation::name).toList());
    }

    @Test
    void anAugmentedTaskIsStillAFunction_theRelabelledMirrorIsTheMirror() {
        // mirror commutes with a colour permutation and with reversal: every augmented demo is a mirror demo
        for (Augmentation a : Augmentation.suitedTo(ROWS, 3, 5)) {
            for (Demonstration e : a.apply(ROWS)) {
                assertEquals(new StringBuilder(e.input()).reverse().toString(), e.output(), a.name());
            }
        }
    }

    @Test
    void leaveOneOut_holdsOutEachDemoOnceUnderEachAugmentation() {
        TestTimeRecipe.Config cfg = TestTimeRecipe.Config.defaults();
        List<TrainingExample> data = TestTimeRecipe.trainingData(ROWS, cfg);
        int augmentations =
                Augmentation.suitedTo(ROWS, cfg.relabels(), cfg.seed()).size();
        // 3 held-out demos x augmentations x up to 2 orders of the other two (a shuffle may repeat the first)
        assertTrue(data.size() >= 3 * augmentations && data.size() <= 3 * augmentations * 2, "" + data.size());
        assertEquals(data.size(), new HashSet<>(data).size(), "no repeats");
        for (TrainingExample e : data) {
            assertTrue(e.completion().endsWith(PromptRenderer.TERMINATOR));
            String answer = e.completion().substring(0, e.completion().length() - 1);
            // the held-out answer never appears among the prompt's own demonstrations
            assertTrue(!e.prompt().contains("out: " + answer + "\n"), e.prompt());
            assertTrue(e.prompt().endsWith("\nout: ") || e.prompt().startsWith("in: "));
        }
        List<TrainingExample> identity = TestTimeRecipe.leaveOneOut(WORDS);
        assertEquals(
                List.of(
                        new TrainingExample("in: hello\nout: olleh\nin: abc\nout: ", "cba\n"),
                        new TrainingExample("in: abc\nout: cba\nin: hello\nout: ", "olleh\n")),
                identity);
    }

    @Test
    void voteMapsAnswersBackAndPrefersAgreementAcrossAugmentations() {
        List<AugmentedVote.Query> q = AugmentedVote.queries(ROWS, "0700", 1, 2, 9);
        assertEquals(3 * 2, q.size());
        Set<String> prompts = new HashSet<>();
        q.forEach(x -> prompts.add(x.prompt()));
        assertTrue(prompts.size() >= 4, "augmentations change the prompt");
        // a model that answers the augmented task right, everywhere: each answer maps back to the truth
        for (AugmentedVote.Query x : q) {
            String augmentedInput = x.augmentation().apply("0700");
            String right = new StringBuilder(augmentedInput).reverse().toString();
            assertEquals(
                    "0070", AugmentedVote.candidate(x, right + "\nin: junk").answer());
        }
        // id says A twice; rev says B twice; relabel says B once and C once: B wins 2 augmentations to 1
        List<AugmentedVote.Candidate> c = List.of(
                new AugmentedVote.Candidate("id", 0, "A"),
                new AugmentedVote.Candidate("id", 1, "A"),
                new AugmentedVote.Candidate("rev", 0, "B"),
                new AugmentedVote.Candidate("rev", 1, "B"),
                new AugmentedVote.Candidate("relabel-1", 0, "B"),
                new AugmentedVote.Candidate("relabel-1", 1, "C"));
        assertEquals("B", AugmentedVote.vote(c));
        // one augmentation each for A and B: the tie goes to more votes overall
        assertEquals(
                "A",
                AugmentedVote.vote(List.of(
                        new AugmentedVote.Candidate("id", 0, "A"),
                        new AugmentedVote.Candidate("id", 1, "A"),
                        new AugmentedVote.Candidate("rev", 0, "B"),
                        new AugmentedVote.Candidate("rev", 1, "C"))));
        assertThrows(IllegalArgumentException.class, () -> AugmentedVote.vote(List.of()));
    }

    @Test
    void augmentedDemosOfAGeneratedTaskStayConsistent_reverseOfSort() {
        // sort under reversal is "sort descending": the augmented demos agree with each other
        List<Demonstration> sort = List.of(new Demonstration("cab", "abc"), new Demonstration("zxy", "xyz"));
        Augmentation rev = new Augmentation.Reverse();
        for (Demonstration e : rev.apply(sort)) {
            char[] in = e.input().toCharArray();
            java.util.Arrays.sort(in);
            assertEquals(new StringBuilder(new String(in)).reverse().toString(), e.output());
        }
    }
}
