package ai.adaptserve.lab.eval;

import ai.adaptserve.lab.tasks.FewShotTask;
import ai.adaptserve.lab.tasks.PromptFormat;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.adapter.LoraAdapter;
import ai.adaptserve.model.adapter.ZVector;
import ai.adaptserve.model.experts.ExpertSet;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.generate.GenerationParams;
import ai.adaptserve.model.prompt.Phrasing;
import ai.adaptserve.model.prompt.PromptRenderer;
import ai.adaptserve.model.route.TaskRouter;
import ai.adaptserve.model.train.CemMixtureSearch;
import ai.adaptserve.model.train.TrainingBudget;
import ai.adaptserve.model.train.TrainingListener;
import ai.adaptserve.model.ttt.AugmentedVote;
import ai.adaptserve.model.ttt.TestTimeRecipe;
import ai.adaptserve.model.vote.ExampleVerifier;
import ai.adaptserve.model.vote.SampleVote;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Runs strategies over few-shot tasks and records every answer, its exact match and its wall time. Batched strategies
 * (base, svf, svf-oracle, vote) are timed per batch and the time shared by its tasks; the others per task, training
 * included.
 */
public final class Evaluation {

    /**
     * @param ttt the test-time-training recipe (its relabels also set the vote's)
     * @param voteOrders orders of the demonstrations per augmentation when voting
     * @param cem the mixture search
     * @param seed seeds augmentations and orders
     * @param style how base, svf, svf-oracle and cem prompts look (vote and ttt always use the generic phrasing)
     * @param samples answers sampled per task for the ttt+majority/logprob/weighted/verifier strategies
     * @param sampleTemperature their temperature (the service's {@code adaptserve.defaults.sampling-temperature})
     */
    public record Config(
            TestTimeRecipe.Config ttt,
            int voteOrders,
            CemMixtureSearch.Config cem,
            long seed,
            PromptStyle style,
            int samples,
            float sampleTemperature) {
        public Config {
            if (voteOrders < 1) {
                throw new IllegalArgumentException("voteOrders must be >= 1, was " + voteOrders);
            }
            if (samples < 1) {
                throw new IllegalArgumentException("samples must be >= 1, was " + samples);
            }
        }

        /** The service's settings: its TTT recipe, its CEM search (8 × 4), 8 samples at temperature 0.7. */
        public static Config defaults() {
            return new Config(
                    TestTimeRecipe.Config.defaults(),
                    2,
                    CemMixtureSearch.Config.serviceDefaults(),
                    0L,
                    PromptStyle.GENERIC,
                    8,
                    0.7f);
        }
    }

    /**
     * How the prompts of the single-prompt strategies look. {@code GENERIC}: the demonstrations in the generic
     * phrasing, what the service builds from a request's {@code examples}. {@code NAMED}: no demonstrations, in a
     * phrasing that names the family (arrow, instruction, qa by task index), what a client sends as a plain prompt.
     * {@code NAMED_DEMOS}: the demonstrations in those phrasings.
     */
    public enum PromptStyle {
        GENERIC,
        NAMED,
        NAMED_DEMOS;

        String render(FewShotTask t, int index) {
            Phrasing named = Phrasing.at(1 + index % (PromptFormat.PHRASINGS - 1));
            return switch (this) {
                case GENERIC -> PromptFormat.render(t, true, Phrasing.GENERIC);
                case NAMED -> PromptFormat.render(t, false, named);
                case NAMED_DEMOS -> PromptFormat.render(t, true, named);
            };
        }

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '+');
        }

        public static PromptStyle parse(String s) {
            for (PromptStyle p : values()) {
                if (p.label().equals(s)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("--prompts must be generic, named or named+demos, was " + s);
        }
    }

    /** One task's answers per strategy, with the time each took. */
    public record TaskResult(
            FewShotTask task,
            Map<Strategy, String> answers,
            Map<Strategy, Double> millis,
            Optional<TaskRouter.Route> route,
            Optional<Double> tttLastLoss) {
        public boolean correct(Strategy s) {
            return task.output().equals(answers.get(s));
        }

        /** The task's family, or {@code unknown}. */
        public String family() {
            return task.family() == null ? "unknown" : task.family();
        }
    }

    private final LoadedModel model;
    private final Optional<ExpertSet> experts;
    private final Optional<TaskRouter> router;
    private final Config cfg;
    private final PrintStream progress;

    public Evaluation(
            LoadedModel model,
            Optional<ExpertSet> experts,
            Optional<TaskRouter> router,
            Config cfg,
            PrintStream progress) {
        this.model = model;
        this.experts = experts;
        this.router = router;
        this.cfg = cfg;
        this.progress = progress;
    }

    /**
     * Answers every task with every strategy.
     *
     * @throws IllegalArgumentException when a strategy needs experts or a router that is missing
     */
    public List<TaskResult> run(List<FewShotTask> tasks, List<Strategy> strategies) {
        boolean needRouter = strategies.contains(Strategy.SVF);
        boolean needExperts =
                needRouter || strategies.contains(Strategy.SVF_ORACLE) || strategies.contains(Strategy.CEM);
        if (needRouter && router.isEmpty()) {
            throw new IllegalArgumentException("strategy svf needs a router (--router)");
        }
        if (needExperts && experts.isEmpty()) {
            throw new IllegalArgumentException("strategies svf, svf-oracle and cem need experts (--experts)");
        }
        if (needExperts) {
            long t0 = System.nanoTime();
            model.svdFactors(); // once per model (then cached beside it): not a cost of any one task
            progress.printf(Locale.ROOT, "SVD factors ready in %.1f s%n", seconds(t0));
        }
        List<String> prompts = java.util.stream.IntStream.range(0, tasks.size())
                .mapToObj(i -> cfg.style().render(tasks.get(i), i))
                .toList();
        List<Map<Strategy, String>> answers = new ArrayList<>();
        List<Map<Strategy, Double>> millis = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            answers.add(new EnumMap<>(Strategy.class));
            millis.add(new EnumMap<>(Strategy.class));
        }
        List<Optional<TaskRouter.Route>> routes = new ArrayList<>(Collections.nCopies(tasks.size(), Optional.empty()));
        List<Optional<Double>> tttLoss = new ArrayList<>(Collections.nCopies(tasks.size(), Optional.empty()));

        if (router.isPresent()) {
            long t0 = System.nanoTime();
            List<TaskRouter.Route> r = router.get().route(model, prompts);
            for (int i = 0; i < tasks.size(); i++) {
                routes.set(i, Optional.of(r.get(i)));
            }
            progress.printf(Locale.ROOT, "routed %d prompts in %.1f s%n", tasks.size(), seconds(t0));
        }
        for (Strategy s : strategies) {
            long t0 = System.nanoTime();
            switch (s) {
                case BASE -> batched(s, prompts, Collections.nCopies(tasks.size(), Optional.empty()), answers, millis);
                case SVF -> batched(s, prompts, routedExperts(routes), answers, millis);
                case SVF_ORACLE -> batched(s, prompts, oracleExperts(tasks), answers, millis);
                case VOTE -> voted(s, tasks, Collections.nCopies(tasks.size(), Optional.empty()), answers, millis);
                case CEM -> {
                    for (int i = 0; i < tasks.size(); i++) {
                        long t1 = System.nanoTime();
                        answers.get(i).put(s, cem(tasks.get(i), prompts.get(i)));
                        millis.get(i).put(s, (System.nanoTime() - t1) / 1e6);
                    }
                }
                case TTT, TTT_VOTE, TTT_MAJORITY, TTT_LOGPROB, TTT_WEIGHTED, TTT_VERIFIER -> {
                    if (firstTtt(strategies) != s) {
                        continue; // answered together with the first, from the same adapter
                    }
                    ttt(tasks, strategies, answers, millis, tttLoss);
                }
            }
            progress.printf(Locale.ROOT, "%-10s %d tasks in %.1f s%n", s.label(), tasks.size(), seconds(t0));
        }
        List<TaskResult> out = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            out.add(new TaskResult(tasks.get(i), answers.get(i), millis.get(i), routes.get(i), tttLoss.get(i)));
        }
        return out;
    }

    /** The first of the strategies that share one test-time-trained LoRA per task. */
    private static Strategy firstTtt(List<Strategy> strategies) {
        return strategies.stream()
                .filter(x -> x == Strategy.TTT || x == Strategy.TTT_VOTE || x.sampled())
                .findFirst()
                .orElseThrow();
    }

    private void batched(
            Strategy s,
            List<String> prompts,
            List<Optional<Adapter>> adapters,
            List<Map<Strategy, String>> answers,
            List<Map<Strategy, Double>> millis) {
        long t0 = System.nanoTime();
        List<String> got = GreedyAnswers.of(model, prompts, adapters);
        double each = (System.nanoTime() - t0) / 1e6 / Math.max(1, prompts.size());
        for (int i = 0; i < got.size(); i++) {
            answers.get(i).put(s, got.get(i));
            millis.get(i).put(s, each);
        }
    }

    private List<Optional<Adapter>> routedExperts(List<Optional<TaskRouter.Route>> routes) {
        return routes.stream()
                .map(r -> r.flatMap(TaskRouter.Route::label)
                        .flatMap(l -> experts.get().expert(l))
                        .map(z -> (Adapter) z))
                .toList();
    }

    private List<Optional<Adapter>> oracleExperts(List<FewShotTask> tasks) {
        return tasks.stream()
                .map(t -> experts.get().expert(t.family()).map(z -> (Adapter) z))
                .toList();
    }

    /** Every task's augmented queries in one batched pass with the given adapters, then one vote per task. */
    private void voted(
            Strategy s,
            List<FewShotTask> tasks,
            List<Optional<Adapter>> adapters,
            List<Map<Strategy, String>> answers,
            List<Map<Strategy, Double>> millis) {
        long t0 = System.nanoTime();
        List<AugmentedVote.Query> queries = new ArrayList<>();
        List<Optional<Adapter>> rowAdapters = new ArrayList<>();
        int[] from = new int[tasks.size() + 1];
        for (int i = 0; i < tasks.size(); i++) {
            FewShotTask t = tasks.get(i);
            List<AugmentedVote.Query> q =
                    AugmentedVote.queries(t.examples(), t.input(), cfg.ttt().relabels(), cfg.voteOrders(), cfg.seed());
            queries.addAll(q);
            rowAdapters.addAll(Collections.nCopies(q.size(), adapters.get(i)));
            from[i + 1] = queries.size();
        }
        List<String> got = GreedyAnswers.of(
                model, queries.stream().map(AugmentedVote.Query::prompt).toList(), rowAdapters);
        double each = (System.nanoTime() - t0) / 1e6 / Math.max(1, tasks.size());
        for (int i = 0; i < tasks.size(); i++) {
            answers.get(i)
                    .put(
                            s,
                            AugmentedVote.vote(
                                    queries.subList(from[i], from[i + 1]), got.subList(from[i], from[i + 1])));
            millis.get(i).put(s, each);
        }
    }

    /** CEM over the experts scored on the leave-one-out demonstrations; the base answer when there are fewer than 2. */
    private String cem(FewShotTask task, String prompt) {
        Optional<Adapter> mixture = Optional.empty();
        if (task.examples().size() >= 2) {
            List<ZVector> all = experts.get().all();
            CemMixtureSearch.Result r = CemMixtureSearch.search(
                    model,
                    all,
                    TestTimeRecipe.leaveOneOut(task.examples()),
                    cfg.cem(),
                    TrainingBudget.steps(Integer.MAX_VALUE),
                    TrainingListener.NONE);
            mixture = Optional.of(r.mixture());
        }
        return GreedyAnswers.of(model, List.of(prompt), mixture).get(0);
    }

    private void ttt(
            List<FewShotTask> tasks,
            List<Strategy> strategies,
            List<Map<Strategy, String>> answers,
            List<Map<Strategy, Double>> millis,
            List<Optional<Double>> tttLoss) {
        boolean greedy = strategies.contains(Strategy.TTT);
        boolean vote = strategies.contains(Strategy.TTT_VOTE);
        for (int i = 0; i < tasks.size(); i++) {
            FewShotTask t = tasks.get(i);
            long t0 = System.nanoTime();
            Optional<Adapter> lora = Optional.empty();
            if (!t.examples().isEmpty()) {
                var r = TestTimeRecipe.train(
                        model, t.examples(), cfg.ttt(), java.time.Duration.ofDays(1), TrainingListener.NONE);
                LoraAdapter a = r.adapter();
                lora = Optional.of(a);
                tttLoss.set(i, Optional.of(r.lastLoss()));
            }
            double trainMs = (System.nanoTime() - t0) / 1e6;
            if (greedy) {
                long t1 = System.nanoTime();
                String generic = PromptFormat.render(t, true, Phrasing.GENERIC); // the format it was trained in
                answers.get(i)
                        .put(
                                Strategy.TTT,
                                GreedyAnswers.of(model, List.of(generic), lora).get(0));
                millis.get(i).put(Strategy.TTT, trainMs + (System.nanoTime() - t1) / 1e6);
            }
            if (vote) {
                long t1 = System.nanoTime();
                List<AugmentedVote.Query> q = AugmentedVote.queries(
                        t.examples(), t.input(), cfg.ttt().relabels(), cfg.voteOrders(), cfg.seed());
                List<String> got = GreedyAnswers.of(
                        model, q.stream().map(AugmentedVote.Query::prompt).toList(), lora);
                answers.get(i).put(Strategy.TTT_VOTE, AugmentedVote.vote(q, got));
                millis.get(i).put(Strategy.TTT_VOTE, trainMs + (System.nanoTime() - t1) / 1e6);
            }
            if (strategies.stream().anyMatch(Strategy::sampled)) {
                sampled(t, lora, strategies, answers.get(i), millis.get(i), trainMs);
            }
            if ((i + 1) % 10 == 0) {
                progress.printf(Locale.ROOT, "  ttt %d/%d%n", i + 1, tasks.size());
            }
        }
    }

    /**
     * The service's {@code "samples": N} on the LoRA: N answers at the sampling temperature (seeds as the service
     * derives them from seed 0), chosen by each requested vote with the service's own rules ({@link SampleVote},
     * {@link ExampleVerifier}). Each strategy's time is the training, the sampling, and its own choice.
     */
    private void sampled(
            FewShotTask t,
            Optional<Adapter> lora,
            List<Strategy> strategies,
            Map<Strategy, String> answers,
            Map<Strategy, Double> millis,
            double trainMs) {
        long t0 = System.nanoTime();
        String prompt = PromptFormat.render(t, true, Phrasing.GENERIC);
        List<GenerationParams> params = new ArrayList<>();
        for (int k = 0; k < cfg.samples(); k++) {
            params.add(new GenerationParams(
                    GreedyAnswers.MAX_TOKENS,
                    cfg.sampleTemperature(),
                    1f,
                    List.of(PromptRenderer.TERMINATOR),
                    sampleSeed(cfg.seed(), k)));
        }
        List<Generation> samples = model.generate(
                Collections.nCopies(params.size(), prompt), params, Collections.nCopies(params.size(), lora));
        double sampleMs = (System.nanoTime() - t0) / 1e6;
        for (Strategy s : strategies) {
            if (!s.sampled()) {
                continue;
            }
            long t1 = System.nanoTime();
            int chosen = switch (s) {
                case TTT_MAJORITY -> SampleVote.choose(samples, SampleVote.Rule.MAJORITY);
                case TTT_LOGPROB -> SampleVote.choose(samples, SampleVote.Rule.LOGPROB);
                case TTT_WEIGHTED -> SampleVote.choose(samples, SampleVote.Rule.WEIGHTED);
                default ->
                    ExampleVerifier.choose(samples, model, lora, t.examples(), t.input())
                            .index();
            };
            answers.put(s, PromptRenderer.answer(samples.get(chosen).text()));
            millis.put(s, trainMs + sampleMs + (System.nanoTime() - t1) / 1e6);
        }
    }

    /** The service's per-sample seeds: sample 0 the seed, the others SplitMix64 of it. */
    static long sampleSeed(long seed, int sample) {
        return GenerationParams.sampleSeed(seed, sample);
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
