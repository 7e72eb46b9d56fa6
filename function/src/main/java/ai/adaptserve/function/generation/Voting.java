package ai.adaptserve.function.generation;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.prompt.Demonstration;
import ai.adaptserve.model.ttt.AugmentedVote;
import ai.adaptserve.model.vote.ExampleVerifier;
import ai.adaptserve.model.vote.SampleVote;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Chooses one answer among the candidates of a request, by its {@code vote}. */
final class Voting {
    private Voting() {}

    /**
     * The chosen answer and every candidate as reported.
     *
     * @param text the response's {@code text}
     * @param index the sample it came from (its prompt tokens are the usage's)
     */
    record Choice(String text, int index, List<GenerateResponse.Candidate> candidates) {}

    /** {@code majority}, {@code logprob} or {@code weighted}: the shared {@link SampleVote} rules. */
    static Choice bySamples(List<Generation> samples, SampleVote.Rule rule) {
        int i = SampleVote.choose(samples, rule);
        return new Choice(samples.get(i).text(), i, candidates(samples));
    }

    /** {@code verifier}: the shared {@link ExampleVerifier} choice, each candidate reported with its answer's score. */
    static Choice byVerifier(
            List<Generation> samples,
            LoadedModel model,
            Optional<Adapter> adapter,
            List<Demonstration> demos,
            String input) {
        ExampleVerifier.Choice c = ExampleVerifier.choose(samples, model, adapter, demos, input);
        Map<String, Integer> votes = SampleVote.votes(samples);
        List<GenerateResponse.Candidate> out = new ArrayList<>();
        for (Generation g : samples) {
            out.add(new GenerateResponse.Candidate(
                    g.text(), votes.get(g.text()), g.totalLogprob(), c.scoreOf(g), null));
        }
        return new Choice(samples.get(c.index()).text(), c.index(), out);
    }

    /**
     * {@code augmented}: each query's answer mapped back by its augmentation, then {@link AugmentedVote}'s
     * hierarchical vote; the chosen index is the first sample whose mapped answer won.
     */
    static Choice byAugmentation(List<Generation> samples, List<AugmentedVote.Query> queries) {
        List<AugmentedVote.Candidate> mapped = new ArrayList<>(samples.size());
        Map<String, Integer> votes = new HashMap<>();
        for (int i = 0; i < samples.size(); i++) {
            AugmentedVote.Candidate c =
                    AugmentedVote.candidate(queries.get(i), samples.get(i).text());
            mapped.add(c);
            votes.merge(c.answer(), 1, Integer::sum);
        }
        String winner = AugmentedVote.vote(mapped);
        int index = 0;
        List<GenerateResponse.Candidate> out = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            AugmentedVote.Candidate c = mapped.get(i);
            if (c.answer().equals(winner) && !mapped.get(index).answer().equals(winner)) {
                index = i;
            }
            out.add(new GenerateResponse.Candidate(
                    c.answer(), votes.get(c.answer()), samples.get(i).totalLogprob(), null, c.augmentation()));
        }
        return new Choice(winner, index, out);
    }

    /** Every sample as a candidate, in sample order. */
    static List<GenerateResponse.Candidate> candidates(List<Generation> samples) {
        Map<String, Integer> votes = SampleVote.votes(samples);
        return samples.stream()
                .map(g -> new GenerateResponse.Candidate(g.text(), votes.get(g.text()), g.totalLogprob(), null, null))
                .toList();
    }
}
