package ai.adaptserve.function.generate;

import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.api.ErrorCodes;
import ai.adaptserve.function.config.AdaptServeConfig;
import ai.adaptserve.function.model.ModelHolder;
import ai.adaptserve.function.model.ServedModel;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.generate.GenerationParams;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** Answers one generate request: admission, the batch of samples, the vote. */
@ApplicationScoped
class GenerateService {

    private final AdaptServeConfig.Defaults defaults;
    private final ModelHolder models;
    private final Admission admission;
    private final GenerationMetrics metrics;

    GenerateService(AdaptServeConfig config, ModelHolder models, Admission admission, GenerationMetrics metrics) {
        this.defaults = config.defaults();
        this.models = models;
        this.admission = admission;
        this.metrics = metrics;
    }

    /**
     * @param request a validated request
     * @param startNanos when the request arrived, for {@code timings_ms.total}
     */
    GenerateResponse generate(GenerateRequest request, long startNanos) {
        try (ModelHolder.Lease lease = models.leaseOrThrow()) {
            ServedModel model = lease.model();
            int promptTokens = model.generator().countTokens(request.prompt());
            if (promptTokens >= model.contextLength()) {
                throw new ApiException(
                        413,
                        ErrorCodes.PROMPT_TOO_LONG,
                        "prompt is " + promptTokens + " tokens; the model's context is " + model.contextLength()
                                + " tokens, including the completion");
            }
            List<GenerationParams> params = params(request);
            List<String> prompts = Collections.nCopies(params.size(), request.prompt());

            List<Generation> samples;
            long generateNanos;
            Admission.Slot slot = admission.admit();
            long t0 = System.nanoTime();
            try {
                samples = model.generator().generate(prompts, params);
            } catch (RuntimeException e) {
                metrics.failed(Duration.ofNanos(System.nanoTime() - t0));
                throw e;
            } finally {
                slot.close();
            }
            generateNanos = System.nanoTime() - t0;
            if (samples.size() != params.size()) {
                throw new IllegalStateException(
                        "the model answered " + samples.size() + " of " + params.size() + " prompts");
            }
            int completionTokens =
                    samples.stream().mapToInt(Generation::completionTokens).sum();
            metrics.generated(Duration.ofNanos(generateNanos), completionTokens);

            Generation chosen = samples.get(Voting.choose(samples, request.vote()));
            return new GenerateResponse(
                    chosen.text(),
                    GenerateResponse.Task.NONE,
                    GenerateResponse.Adapter.NONE,
                    Voting.candidates(samples),
                    new GenerateResponse.Usage(chosen.promptTokens(), completionTokens),
                    new GenerateResponse.Timings(0, 0, millis(generateNanos), millis(System.nanoTime() - startNanos)));
        }
    }

    /** One set of decoding settings per sample; samples differ only in their seeds. */
    List<GenerationParams> params(GenerateRequest request) {
        int samples = request.samples();
        int maxTokens = request.maxTokens() != null ? request.maxTokens() : defaults.maxTokens();
        float temperature = request.temperature() != null
                ? request.temperature()
                : samples > 1 ? defaults.samplingTemperature() : defaults.temperature();
        float topP = request.topP() != null ? request.topP() : defaults.topP();
        long seed = request.seed() != null
                ? request.seed()
                : ThreadLocalRandom.current().nextLong();
        List<GenerationParams> out = new ArrayList<>(samples);
        for (int i = 0; i < samples; i++) {
            try {
                out.add(new GenerationParams(maxTokens, temperature, topP, request.stop(), sampleSeed(seed, i)));
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
