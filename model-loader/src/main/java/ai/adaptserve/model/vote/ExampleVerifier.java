package ai.adaptserve.model.vote;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.prompt.Demonstration;
import ai.adaptserve.model.prompt.PromptRenderer;
import ai.adaptserve.model.train.ExampleLikelihood;
import ai.adaptserve.model.train.TrainingExample;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Scores candidate answers of a few-shot query by how well each one explains the request's own demonstrations: a
 * candidate {@code c} for input {@code x} is taken as one more demonstration {@code (x, c)}, and every real
 * demonstration is held out in turn, with the others and {@code (x, c)} in context, in the in-out format. The score is
 * the model's mean log-probability per token of the held-out outputs. An answer that follows the examples' rule makes
 * them more predictable; one that breaks it makes them less so. No second model and no labels are needed: the
 * request's examples are the test.
 */
public final class ExampleVerifier {
    private ExampleVerifier() {}

    /** The sequences that score {@code answer}: one per demonstration, held out. */
    public static List<TrainingExample> checks(List<Demonstration> demos, String input, String answer) {
        if (demos.isEmpty()) {
            throw new IllegalArgumentException("the verifier needs at least one demonstration");
        }
        List<TrainingExample> out = new ArrayList<>(demos.size());
        for (int held = 0; held < demos.size(); held++) {
            List<Demonstration> context = new ArrayList<>(demos);
            Demonstration query = context.remove(held);
            context.add(new Demonstration(input, answer));
            out.add(new TrainingExample(
                    PromptRenderer.inOut(context, query.input()), query.output() + PromptRenderer.TERMINATOR));
        }
        return out;
    }

    /**
     * Each answer's score (higher is better), under {@code adapter} (the one the answers were generated with) or the
     * base model.
     *
     * @throws IllegalArgumentException for no demonstrations, or a check longer than the model's context
     */
    public static double[] scores(
            LoadedModel model,
            Optional<Adapter> adapter,
            List<Demonstration> demos,
            String input,
            List<String> answers) {
        double[] out = new double[answers.size()];
        for (int i = 0; i < answers.size(); i++) {
            out[i] = ExampleLikelihood.meanLogProb(model, adapter, checks(demos, input, answers.get(i)));
        }
        return out;
    }

    /**
     * The verifier's choice among {@code samples}: every distinct answer (the text up to the line break) scored once;
     * the best score wins, a tie going to the answer more samples gave, then to the earliest sample.
     *
     * @param index the chosen sample
     * @param scores each distinct answer's score
     */
    public record Choice(int index, Map<String, Double> scores) {
        /** The score of {@code sample}'s answer. */
        public double scoreOf(Generation sample) {
            return scores.get(PromptRenderer.answer(sample.text()));
        }
    }

    /** Chooses among {@code samples} of {@code input}, generated with {@code adapter} (or the base model). */
    public static Choice choose(
            List<Generation> samples,
            LoadedModel model,
            Optional<Adapter> adapter,
            List<Demonstration> demos,
            String input) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no samples");
        }
        Map<String, Double> scores = new LinkedHashMap<>();
        Map<String, Integer> votes = new HashMap<>();
        for (Generation g : samples) {
            scores.putIfAbsent(PromptRenderer.answer(g.text()), Double.NaN);
            votes.merge(PromptRenderer.answer(g.text()), 1, Integer::sum);
        }
        List<String> answers = new ArrayList<>(scores.keySet());
        double[] s = scores(model, adapter, demos, input, answers);
        for (int i = 0; i < answers.size(); i++) {
            scores.put(answers.get(i), s[i]);
        }
        int best = 0;
        for (int i = 1; i < samples.size(); i++) {
            String a = PromptRenderer.answer(samples.get(i).text());
            String b = PromptRenderer.answer(samples.get(best).text());
            double sa = scores.get(a);
            double sb = scores.get(b);
            if (sa > sb || (sa == sb && votes.get(a) > votes.get(b))) {
                best = i;
            }
        }
        return new Choice(best, Collections.unmodifiableMap(scores));
    }
}
