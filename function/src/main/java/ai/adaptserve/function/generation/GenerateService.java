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
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.engine.EngineRequest;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.generate.GenerationParams;
import ai.adaptserve.model.generate.Prefill;
import ai.adaptserve.model.generate.PromptTokens;
import ai.adaptserve.model.prompt.Demonstration;
import ai.adaptserve.model.prompt.PromptRenderer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/** Answers one generate request: the adapter (found or trained), admission, the batch of samples, the vote. */
@ApplicationScoped
class GenerateService {

    private final AdaptServeConfig.Defaults defaults;
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
        return generate(request, tenant, startNanos, GenerationHooks.NONE);
    }

    /**
     * As {@link #generate(GenerateRequest, Optional, long)}, with a way to see the client go (its rows then end at the
     * next decode step and free their slots) and a listener of every token.
     */
    GenerateResponse generate(
            GenerateRequest request, Optional<String> tenant, long startNanos, GenerationHooks hooks) {
        try (ModelHolder.Lease lease = models.leaseOrThrow()) {
            ServedModel model = lease.model();
            long adaptStart = System.nanoTime();
            try (Adaptation adaptation = adapt(model, request, tenant)) {
                long adaptNanos = System.nanoTime() - adaptStart - adaptation.routeNanos();
                return answer(model, request, adaptation, adaptNanos, startNanos, hooks);
            }
        }
    }

    private GenerateResponse answer(
            ServedModel model,
            GenerateRequest request,
            Adaptation adaptation,
            long adaptNanos,
            long startNanos,
            GenerationHooks hooks) {
        List<GenerationParams> params = params(request, adaptation.defaultStop());
        List<Generation> samples;
        long t0 = System.nanoTime();
        try {
            samples = run(model, adaptation, params, hooks);
        } catch (RuntimeException e) {
            metrics.failed(Duration.ofNanos(System.nanoTime() - t0));
            throw e;
        }
        long generateNanos = System.nanoTime() - t0;
        if (samples.size() != params.size()) {
            throw new IllegalStateException(
                    "the model answered " + samples.size() + " of " + params.size() + " prompts");
        }
        int completionTokens =
                samples.stream().mapToInt(Generation::completionTokens).sum();
        metrics.generated(Duration.ofNanos(generateNanos), completionTokens);
        GenerateResponse.Adapter used = adaptation.response();
        adapterMetrics.adapted(used.tier(), used.kind());

        Generation chosen = samples.get(Voting.choose(samples, request.vote()));
        return new GenerateResponse(
                chosen.text(),
                adaptation.task(),
                used,
                Voting.candidates(samples),
                new GenerateResponse.Usage(chosen.promptTokens(), completionTokens),
                new GenerateResponse.Timings(
                        millis(adaptation.routeNanos()),
                        millis(adaptNanos),
                        millis(generateNanos),
                        millis(System.nanoTime() - startNanos)));
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
        if (demos.size() >= 2) {
            Adaptation planned = requested(checked(model, render(request, demos, null, true), true), request);
            return planned.with(adapters.trainOnExamples(model, demos, tenant));
        }
        if (request.document() != null) {
            Adaptation planned = requested(checked(model, render(request, demos, null, false), false), request);
            return planned.with(adapters.trainOnDocument(model, request.document(), tenant));
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
            ServedModel model, Adaptation adaptation, List<GenerationParams> params, GenerationHooks hooks) {
        if (model.loaded().isEmpty()) {
            try (Admission.Slot slot = admission.admit()) {
                return model.generator()
                        .generateFromTokens(Collections.nCopies(params.size(), adaptation.prompt()), params);
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
            return engine.generate(model.loaded().get(), request);
        } catch (IllegalArgumentException e) {
            throw new ApiException(
                    422,
                    ErrorCodes.ADAPTER_INVALID,
                    "adapter " + adaptation.response().id() + " does not fit the served model: " + e.getMessage());
        }
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
        if (sample == 0) {
            return seed;
        }
        long z = seed + sample * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }
}
