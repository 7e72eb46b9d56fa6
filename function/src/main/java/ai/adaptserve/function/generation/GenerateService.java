package ai.adaptserve.function.generation;

import ai.adaptserve.cache.AdapterSource;
import ai.adaptserve.function.adaptation.AdapterMetrics;
import ai.adaptserve.function.adaptation.AdapterService;
import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.api.ErrorCodes;
import ai.adaptserve.function.lifecycle.ModelHolder;
import ai.adaptserve.function.lifecycle.ServedModel;
import ai.adaptserve.function.routing.TaskRouting;
import ai.adaptserve.function.settings.AdaptServeConfig;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.engine.EngineRequest;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.generate.GenerationParams;
import ai.adaptserve.model.generate.Prefill;
import ai.adaptserve.model.generate.PromptTokens;
import ai.adaptserve.model.generate.TokenListener;
import ai.adaptserve.model.prompt.Demonstration;
import ai.adaptserve.model.prompt.PromptRenderer;
import ai.adaptserve.model.ttt.AugmentedVote;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/** Answers one generate request: the adapter (found or trained), admission, the batch of samples, the vote. */
@ApplicationScoped
public class GenerateService {

    private final AdaptServeConfig.Defaults defaults;
    private final AdaptServeConfig.Ttt ttt;
    private final ModelHolder models;
    private final Admission admission;
    private final GenerationMetrics metrics;
    private final AdapterService adapters;
    private final AdapterMetrics adapterMetrics;
    private final TaskRouting routing;
    private final EngineAdmission engine;
    private final Duration requestDeadline;
    private final Duration queueTimeout;

    GenerateService(
            AdaptServeConfig config,
            ModelHolder models,
            Admission admission,
            GenerationMetrics metrics,
            AdapterService adapters,
            AdapterMetrics adapterMetrics,
            TaskRouting routing,
            EngineAdmission engine) {
        this.defaults = config.defaults();
        this.ttt = config.ttt();
        this.engine = engine;
        this.requestDeadline = config.engine().requestDeadline();
        this.queueTimeout = config.batch().queueTimeout();
        this.models = models;
        this.admission = admission;
        this.metrics = metrics;
        this.adapters = adapters;
        this.adapterMetrics = adapterMetrics;
        this.routing = routing;
    }

    /**
     * @param request a validated request
     * @param tenant the namespace of the request's adapters, if any
     * @param startNanos when the request arrived, for {@code timings_ms.total}
     */
    GenerateResponse generate(GenerateRequest request, Optional<String> tenant, long startNanos) {
        return generate(request, tenant, startNanos, GenerationObserver.NONE, GenerationHooks.NONE);
    }

    /**
     * As {@link #generate(GenerateRequest, Optional, long)}, telling {@code observer} how it goes (streaming).
     *
     * @throws ai.adaptserve.model.generate.TokenListener.GenerationCancelled when a token listener of {@code
     *     observer} cancelled the generation
     */
    public GenerateResponse generate(
            GenerateRequest request, Optional<String> tenant, long startNanos, GenerationObserver observer) {
        return generate(request, tenant, startNanos, observer, GenerationHooks.NONE);
    }

    /**
     * As {@link #generate(GenerateRequest, Optional, long)}, with a way to see the client go (its rows then end at the
     * next decode step and free their slots) and a listener of every row's text.
     */
    GenerateResponse generate(
            GenerateRequest request, Optional<String> tenant, long startNanos, GenerationHooks hooks) {
        return generate(request, tenant, startNanos, GenerationObserver.NONE, hooks);
    }

    private GenerateResponse generate(
            GenerateRequest request,
            Optional<String> tenant,
            long startNanos,
            GenerationObserver observer,
            GenerationHooks hooks) {
        try (ModelHolder.Lease lease = models.leaseOrThrow()) {
            ServedModel model = lease.model();
            // The router's pass is a forward pass too: a routed request is admitted before it. Its generation is then
            // admitted by the decode engine (KV slots); trainings by the store's training queue.
            Admission.Slot early = routes(request) ? admission.admit() : null;
            Adaptation adaptation;
            long adaptNanos;
            try {
                long adaptStart = System.nanoTime();
                adaptation = adapt(model, request, tenant, observer);
                adaptNanos = System.nanoTime() - adaptStart - adaptation.routeNanos();
            } finally {
                if (early != null) {
                    early.close();
                }
            }
            try (adaptation) {
                observer.adapted(adaptation.response());
                return answer(model, request, adaptation, adaptNanos, startNanos, observer, hooks);
            }
        }
    }

    /** Whether {@link #adapt} will run the router: an {@code auto} request with no examples to train on, no document. */
    static boolean routes(GenerateRequest request) {
        String adapter = request.adapter();
        return !adapter.equals(GenerateRequestParser.NONE)
                && !AdapterService.isId(adapter)
                && request.examples().size() < 2
                && request.document() == null;
    }

    private GenerateResponse answer(
            ServedModel model,
            GenerateRequest request,
            Adaptation adaptation,
            long adaptNanos,
            long startNanos,
            GenerationObserver observer,
            GenerationHooks hooks) {
        Planned planned = plan(model, request, adaptation);
        List<GenerationParams> params = new ArrayList<>(planned.params());
        for (int i = 0; i < params.size(); i++) {
            params.set(
                    i,
                    params.get(i).withListener(observer.sample(i, params.get(i).stop())));
        }
        List<Generation> samples;
        Voting.Choice choice;
        long t0 = System.nanoTime();
        try {
            samples = run(model, adaptation, planned.prompts(), params, hooks);
            if (samples.size() != params.size()) {
                throw new IllegalStateException(
                        "the model answered " + samples.size() + " of " + params.size() + " prompts");
            }
            choice = choose(model, request, adaptation, planned, samples);
        } catch (TokenListener.GenerationCancelled e) {
            metrics.cancelled(Duration.ofNanos(System.nanoTime() - t0));
            throw e;
        } catch (RuntimeException e) {
            metrics.failed(Duration.ofNanos(System.nanoTime() - t0));
            throw e;
        }
        long generateNanos = System.nanoTime() - t0;
        int completionTokens =
                samples.stream().mapToInt(Generation::completionTokens).sum();
        metrics.generated(Duration.ofNanos(generateNanos), completionTokens);
        GenerateResponse.Adapter used = adaptation.response();
        adapterMetrics.adapted(used.tier(), used.kind());

        return new GenerateResponse(
                choice.text(),
                adaptation.task(),
                used,
                choice.candidates(),
                new GenerateResponse.Usage(samples.get(choice.index()).promptTokens(), completionTokens),
                new GenerateResponse.Timings(
                        millis(adaptation.routeNanos()),
                        millis(adaptNanos),
                        millis(generateNanos),
                        millis(System.nanoTime() - startNanos)));
    }

    /**
     * The prompts to run and their settings: {@code samples} copies of the request's prompt, or with {@code vote}
     * {@code augmented} one query per augmentation and order of the examples (the {@code adaptserve.ttt} relabels,
     * orders and seed, as the adapter was trained), each tokenized and checked against the context.
     */
    private record Planned(
            List<PromptTokens> prompts, List<GenerationParams> params, List<AugmentedVote.Query> queries) {}

    private Planned plan(ServedModel model, GenerateRequest request, Adaptation adaptation) {
        List<GenerationParams> params = params(request, adaptation.defaultStop());
        if (request.vote() != Vote.AUGMENTED) {
            return new Planned(Collections.nCopies(params.size(), adaptation.prompt()), params, List.of());
        }
        List<AugmentedVote.Query> queries = AugmentedVote.queries(
                demonstrations(request), request.prompt(), ttt.relabels(), ttt.orders(), ttt.seed());
        List<PromptTokens> prompts = new ArrayList<>(queries.size());
        List<GenerationParams> each = new ArrayList<>(queries.size());
        GenerationParams first = params.get(0);
        for (int i = 0; i < queries.size(); i++) {
            String rendered = PromptRenderer.withDocument(
                    request.document(), queries.get(i).prompt());
            prompts.add(checked(model, rendered, true).prompt());
            each.add(new GenerationParams(
                    first.maxTokens(), first.temperature(), first.topP(), first.stop(), sampleSeed(first.seed(), i)));
        }
        return new Planned(prompts, each, queries);
    }

    private static Voting.Choice choose(
            ServedModel model,
            GenerateRequest request,
            Adaptation adaptation,
            Planned planned,
            List<Generation> samples) {
        return switch (request.vote()) {
            case AUGMENTED -> Voting.byAugmentation(samples, planned.queries());
            case VERIFIER ->
                Voting.byVerifier(
                        samples,
                        model.loaded()
                                .orElseThrow(() -> ApiException.invalid(
                                        "vote \"verifier\": the served model cannot score answers")),
                        adaptation.weights(),
                        demonstrations(request),
                        request.prompt());
            case MAJORITY, LOGPROB, WEIGHTED ->
                Voting.bySamples(samples, request.vote().sampleRule().orElseThrow());
        };
    }

    private static List<Demonstration> demonstrations(GenerateRequest request) {
        return request.examples().stream()
                .map(e -> new Demonstration(e.input(), e.output()))
                .toList();
    }

    /**
     * What the request is answered with: the prompt as the model sees it, and the adapter, if any. Holds the router's
     * prefill while it may still answer the prompt: close it.
     *
     * @param prompt the rendered prompt (demonstrations and document in context, as the request asks), tokenized
     *     once for the whole request
     * @param lineAnswer whether the answer ends at a line break (the in-out format, or a task family's expert)
     * @param weights the adapter for every sample, if any
     * @param response how the adapter is reported
     * @param task what the request was taken to be
     * @param routeNanos time spent classifying the prompt
     * @param prefill the router's pass over {@code prompt} under the base model, while the base model answers
     */
    record Adaptation(
            PromptTokens prompt,
            boolean lineAnswer,
            Optional<Adapter> weights,
            GenerateResponse.Adapter response,
            GenerateResponse.Task task,
            long routeNanos,
            Optional<Prefill> prefill)
            implements AutoCloseable {

        /** The stop strings when the request gives none. */
        List<String> defaultStop() {
            return lineAnswer ? List.of(PromptRenderer.TERMINATOR) : List.of();
        }

        Adaptation with(AdapterService.Resolved r) {
            return new Adaptation(
                    prompt,
                    lineAnswer,
                    Optional.of(r.adapter()),
                    new GenerateResponse.Adapter(
                            r.id(), r.kind(), r.tier(), r.source() == AdapterSource.TRAINED ? r.trainMillis() : 0),
                    task,
                    routeNanos,
                    prefill);
        }

        /**
         * The decision reported; its expert (if any) answers, else the base model answers from the router's prefill
         * (if the router ran).
         */
        Adaptation with(TaskRouting.Decision d, long nanos) {
            GenerateResponse.Task t = new GenerateResponse.Task(d.label().orElse("none"), d.confidence(), d.source());
            if (d.expert().isEmpty()) {
                return new Adaptation(prompt, lineAnswer, weights, response, t, nanos, d.prefill());
            }
            // An expert's z-vector rescales the singular values of the weights it targets (the MLP's by default),
            // so from the first adapted layer on the residual stream, and with it every later layer's keys and
            // values, differs from the base model's: the router's prefill cannot seed this answer, which prefills
            // the prompt again under the expert.
            d.prefill().ifPresent(Prefill::close);
            return new Adaptation(
                    prompt,
                    true,
                    Optional.of(d.expert().get()),
                    new GenerateResponse.Adapter(EXPERT_ID_PREFIX + d.label().orElseThrow(), "svf", "memory", 0),
                    t,
                    nanos,
                    Optional.empty());
        }

        @Override
        public void close() {
            prefill.ifPresent(Prefill::close);
        }
    }

    /** The adapter id reported for a family's expert: {@code expert:<family>}. */
    static final String EXPERT_ID_PREFIX = "expert:";

    /**
     * Chooses the adapter and renders the prompt. {@code none}: no adapter; examples and document in context. An id:
     * that adapter (404 if no tier has it), with examples and document in context. {@code auto}: with 2 or more
     * examples a LoRA trained on them, with a document a LoRA trained on it (the document then stays out of the
     * context), else the expert of the request's {@code task} or of the family the router finds (none below its
     * threshold). The prompt is tokenized once and checked against the model's context before anything is trained.
     * Only that last case runs the router: where the request fixes the adapter, {@code task} reports the request as
     * the decider ({@link TaskRouting#requested}).
     */
    Adaptation adapt(ServedModel model, GenerateRequest request, Optional<String> tenant) {
        return adapt(model, request, tenant, GenerationObserver.NONE);
    }

    /** As {@link #adapt(ServedModel, GenerateRequest, Optional)}, telling {@code observer} the task and training. */
    private Adaptation adapt(
            ServedModel model, GenerateRequest request, Optional<String> tenant, GenerationObserver observer) {
        Adaptation a = adaptQuietly(model, request, tenant, observer);
        if (!trains(request)) {
            observer.routed(a.task());
        }
        return a;
    }

    /** Whether {@link #adapt} trains for this request (its task is then reported before the training). */
    private static boolean trains(GenerateRequest request) {
        return request.adapter().equals(GenerateRequestParser.AUTO)
                && (request.examples().size() >= 2 || request.document() != null);
    }

    private Adaptation adaptQuietly(
            ServedModel model, GenerateRequest request, Optional<String> tenant, GenerationObserver observer) {
        String adapter = request.adapter();
        List<Demonstration> demos = request.examples().stream()
                .map(e -> new Demonstration(e.input(), e.output()))
                .toList();
        if (adapter.equals(GenerateRequestParser.NONE)) {
            boolean inOut = !demos.isEmpty();
            return requested(checked(model, render(request, demos, request.document(), inOut), inOut), request);
        }
        if (AdapterService.isId(adapter)) {
            AdapterService.Resolved found = adapters.find(model, adapter, tenant)
                    .orElseThrow(() -> new ApiException(
                            404,
                            ErrorCodes.ADAPTER_NOT_FOUND,
                            "adapter " + adapter + " not found for base model " + model.fingerprint()));
            boolean inOut = !demos.isEmpty() || found.promptFormat().orElse("").equals(AdapterService.FORMAT_IN_OUT);
            return requested(checked(model, render(request, demos, request.document(), inOut), inOut), request)
                    .with(found);
        }
        if (adapter.equals(GenerateRequestParser.CEM)) {
            Adaptation planned = requested(checked(model, render(request, demos, null, true), true), request);
            TaskRouting.Experts experts = model.loaded()
                    .flatMap(routing::experts)
                    .orElseThrow(() ->
                            ApiException.invalid("adapter \"cem\" mixes the served model's experts, and it has none"));
            return planned.with(adapters.searchMixture(model, demos, experts, tenant));
        }
        if (demos.size() >= 2) {
            Adaptation planned = requested(checked(model, render(request, demos, null, true), true), request);
            observer.routed(planned.task());
            return planned.with(adapters.trainOnExamples(model, demos, tenant, observer.training()));
        }
        if (request.document() != null) {
            Adaptation planned = requested(checked(model, render(request, demos, null, false), false), request);
            observer.routed(planned.task());
            return planned.with(adapters.trainOnDocument(model, request.document(), tenant, observer.training()));
        }
        Adaptation planned = checked(model, render(request, demos, null, !demos.isEmpty()), !demos.isEmpty());
        return routed(model, planned, request);
    }

    /** The planned prompt with the request reported as what fixed its adapter; the router does not run. */
    private Adaptation requested(Adaptation planned, GenerateRequest request) {
        return planned.with(routing.requested(Optional.ofNullable(request.task())), 0);
    }

    /**
     * The planned prompt's routing decision, reported, and its expert (if any) used; needs a model that can run
     * experts.
     */
    private Adaptation routed(ServedModel model, Adaptation planned, GenerateRequest request) {
        Optional<String> task = Optional.ofNullable(request.task());
        if (model.loaded().isEmpty()) {
            if (task.isPresent()) {
                throw ApiException.invalid("task " + task.get() + ": the served model has no experts");
            }
            return planned;
        }
        long t0 = System.nanoTime();
        TaskRouting.Decision d = routing.decide(model.loaded().get(), planned.prompt(), task);
        return planned.with(d, System.nanoTime() - t0);
    }

    /**
     * The prompt as the model sees it: the document (if in context) and a blank line, then either the prompt as it is
     * or, in the in-out format, every demonstration {@code in: x\nout: y\n} and {@code in: <prompt>\nout: }.
     */
    static String render(GenerateRequest request, List<Demonstration> demos, String document, boolean inOut) {
        String core = inOut ? PromptRenderer.inOut(demos, request.prompt()) : request.prompt();
        return PromptRenderer.withDocument(document, core);
    }

    /** The prompt tokenized (the only time on the request path), and refused if it leaves no room to answer. */
    private static Adaptation checked(ServedModel model, String rendered, boolean lineAnswer) {
        PromptTokens prompt = model.generator().tokenize(rendered);
        int promptTokens = prompt.length();
        if (promptTokens >= model.contextLength()) {
            throw new ApiException(
                    413,
                    ErrorCodes.PROMPT_TOO_LONG,
                    "prompt is " + promptTokens + " tokens (examples and document in context included); the model's"
                            + " context is " + model.contextLength() + " tokens, including the completion");
        }
        return new Adaptation(
                prompt,
                lineAnswer,
                Optional.empty(),
                GenerateResponse.Adapter.NONE,
                GenerateResponse.Task.NONE,
                0,
                Optional.empty());
    }

    /**
     * Every sample of the request: on a checkpoint, as rows of its decode engine (sharing one prefill; on the base
     * model, the router's prefill when it ran, so the prompt is not run twice); on any other served model, in one
     * batch behind {@link Admission}.
     */
    private List<Generation> run(
            ServedModel model,
            Adaptation adaptation,
            List<PromptTokens> prompts,
            List<GenerationParams> params,
            GenerationHooks hooks) {
        if (model.loaded().isEmpty()) {
            try (Admission.Slot slot = admission.admit()) {
                return model.generator().generateFromTokens(prompts, params);
            }
        }
        LoadedModel loaded = model.loaded().get();
        if (!prompts.stream().allMatch(p -> p == adaptation.prompt())) {
            // Different prompts (vote "augmented": one per transform): one batch of its own, behind Admission.
            try (Admission.Slot slot = admission.admit()) {
                return loaded.generateFromTokens(
                        prompts, params, Collections.nCopies(params.size(), adaptation.weights()));
            } catch (IllegalArgumentException e) {
                throw adapterDoesNotFit(adaptation, e);
            }
        }
        long now = System.nanoTime();
        long deadline = now + requestDeadline.toNanos();
        long waitDeadline = now + queueTimeout.toNanos();
        Optional<Prefill> prefill =
                adaptation.weights().isEmpty() ? adaptation.prefill().filter(p -> !p.used()) : Optional.empty();
        EngineRequest request = new EngineRequest(
                adaptation.prompt(),
                params,
                adaptation.weights(),
                prefill,
                () -> hooks.clientGone().getAsBoolean() || System.nanoTime() - deadline > 0,
                () -> System.nanoTime() - waitDeadline > 0,
                hooks.listener());
        try {
            return engine.generate(loaded, request);
        } catch (IllegalArgumentException e) {
            throw adapterDoesNotFit(adaptation, e);
        }
    }

    private static ApiException adapterDoesNotFit(Adaptation adaptation, IllegalArgumentException e) {
        return new ApiException(
                422,
                ErrorCodes.ADAPTER_INVALID,
                "adapter " + adaptation.response().id() + " does not fit the served model: " + e.getMessage());
    }

    /** One set of decoding settings per sample; samples differ only in their seeds. */
    List<GenerationParams> params(GenerateRequest request, List<String> defaultStop) {
        int samples = request.samples();
        int maxTokens = request.maxTokens() != null ? request.maxTokens() : defaults.maxTokens();
        float temperature = request.temperature() != null
                ? request.temperature()
                : samples > 1 ? defaults.samplingTemperature() : defaults.temperature();
        float topP = request.topP() != null ? request.topP() : defaults.topP();
        long seed = request.seed() != null
                ? request.seed()
                : ThreadLocalRandom.current().nextLong();
        List<String> stop = request.stop().isEmpty() ? defaultStop : request.stop();
        List<GenerationParams> out = new ArrayList<>(samples);
        for (int i = 0; i < samples; i++) {
            try {
                out.add(new GenerationParams(maxTokens, temperature, topP, stop, sampleSeed(seed, i)));
            } catch (IllegalArgumentException e) {
                // The parser checks every field first; this only guards against the two drifting apart.
                throw ApiException.invalid("invalid decoding settings: " + e.getMessage());
            }
        }
        return out;
    }

    /** Sample 0 uses the request's seed as it is; the others get well-mixed seeds derived from it (SplitMix64). */
    static long sampleSeed(long seed, int sample) {
        return GenerationParams.sampleSeed(seed, sample);
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }
}
