package ai.adaptserve.model.ttt;

import ai.adaptserve.model.prompt.Demonstration;
import ai.adaptserve.model.prompt.PromptRenderer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Augmented inference with hierarchical voting, after the ARC study: the task is asked under every suited
 * augmentation and a few orders of its demonstrations; each answer is mapped back by the augmentation's inverse;
 * first each augmentation's orders vote among themselves, then the augmentations' winners vote. Ties go to the answer
 * with more votes over all candidates, then to the identity's.
 */
public final class AugmentedVote {
    private AugmentedVote() {}

    /** One prompt to ask: the augmented task in the generic phrasing. */
    public record Query(Augmentation augmentation, int order, String prompt) {}

    /** One answer, already mapped back to the original task. */
    public record Candidate(String augmentation, int order, String answer) {}

    /** The queries for a task: every suited augmentation, {@code orders} orders each (the first as given). */
    public static List<Query> queries(List<Demonstration> demos, String input, int relabels, int orders, long seed) {
        if (orders < 1) {
            throw new IllegalArgumentException("orders must be >= 1, was " + orders);
        }
        Random rnd = new Random(seed ^ 0x5DEECE66DL);
        List<Query> out = new ArrayList<>();
        for (Augmentation a : Augmentation.suitedTo(demos, relabels, seed)) {
            List<Demonstration> augmented = a.apply(demos);
            for (int o = 0; o < orders; o++) {
                List<Demonstration> context = new ArrayList<>(augmented);
                if (o > 0) {
                    Collections.shuffle(context, rnd);
                }
                out.add(new Query(a, o, PromptRenderer.inOut(context, a.apply(input))));
            }
        }
        return List.copyOf(out);
    }

    /** The answer of {@code query}'s model output, mapped back (the terminator and what follows it dropped). */
    public static Candidate candidate(Query query, String generated) {
        return new Candidate(
                query.augmentation().name(),
                query.order(),
                query.augmentation().invert(PromptRenderer.answer(generated)));
    }

    /** The vote over the generated texts of {@code queries} (one each, in order). */
    public static String vote(List<Query> queries, List<String> generated) {
        if (queries.size() != generated.size()) {
            throw new IllegalArgumentException("need one generated text per query");
        }
        List<Candidate> cands = new ArrayList<>(queries.size());
        for (int i = 0; i < queries.size(); i++) {
            cands.add(candidate(queries.get(i), generated.get(i)));
        }
        return vote(cands);
    }

    /** The hierarchical vote; {@code candidates} must not be empty. */
    public static String vote(List<Candidate> candidates) {
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no candidates to vote on");
        }
        Map<String, Integer> overall =
                counts(candidates.stream().map(Candidate::answer).toList());
        Map<String, List<String>> byAugmentation = new LinkedHashMap<>();
        for (Candidate c : candidates) {
            byAugmentation
                    .computeIfAbsent(c.augmentation(), k -> new ArrayList<>())
                    .add(c.answer());
        }
        List<String> winners = new ArrayList<>();
        for (List<String> answers : byAugmentation.values()) {
            winners.add(best(counts(answers), overall));
        }
        return best(counts(winners), overall);
    }

    /** Most votes; ties to more votes overall, then to the first seen (the identity's answers come first). */
    private static String best(Map<String, Integer> votes, Map<String, Integer> overall) {
        Comparator<Map.Entry<String, Integer>> order = Comparator.<Map.Entry<String, Integer>>comparingInt(
                        Map.Entry::getValue)
                .thenComparingInt(e -> overall.getOrDefault(e.getKey(), 0));
        Map.Entry<String, Integer> top = null;
        for (Map.Entry<String, Integer> e : votes.entrySet()) {
            if (top == null || order.compare(e, top) > 0) {
                top = e;
            }
        }
        return top.getKey();
    }

    private static Map<String, Integer> counts(List<String> answers) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String a : answers) {
            out.merge(a, 1, Integer::sum);
        }
        return out;
    }
}
