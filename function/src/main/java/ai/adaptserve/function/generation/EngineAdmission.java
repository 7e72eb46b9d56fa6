package ai.adaptserve.function.generation;

import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.api.ErrorCodes;
import ai.adaptserve.function.settings.AdaptServeConfig;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.engine.DecodeEngine;
import ai.adaptserve.model.engine.EngineRequest;
import ai.adaptserve.model.engine.EngineStoppedException;
import ai.adaptserve.model.engine.QueueTimeoutException;
import ai.adaptserve.model.engine.Submission;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.generate.TokenListener;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;

/**
 * Hands a request to the served checkpoint's engine and answers what the engine says as HTTP: a request that can
 * never fit the KV budget is 413 naming the limit, a full waiting queue or a wait past
 * {@code adaptserve.batch.queue-timeout} is 429 with {@code Retry-After}, an abandoned request is 408.
 */
@ApplicationScoped
class EngineAdmission {
    private final ServingEngines engines;
    private final EngineMetrics metrics;
    private final AdaptServeConfig.Engine config;
    private final String retryAfterSeconds;

    EngineAdmission(ServingEngines engines, EngineMetrics metrics, AdaptServeConfig config) {
        this.engines = engines;
        this.metrics = metrics;
        this.config = config.engine();
        long seconds = (config.batch().retryAfter().toMillis() + 999) / 1000;
        this.retryAfterSeconds = Long.toString(Math.max(1, seconds));
    }

    /**
     * The request's generations, one per sample, after it ran in the engine.
     *
     * @throws IllegalArgumentException when its adapter does not fit the model
     */
    List<Generation> generate(LoadedModel model, EngineRequest request) {
        DecodeEngine engine;
        try {
            engine = engines.engineFor(model);
        } catch (EngineStoppedException e) {
            throw stopped();
        }
        Submission s;
        try {
            s = engine.submit(request);
        } catch (EngineStoppedException e) {
            throw stopped();
        }
        return switch (s) {
            case Submission.Accepted a -> await(a);
            case Submission.TooLarge t -> {
                metrics.tooLarge();
                throw tooLarge(t, engine);
            }
            case Submission.QueueFull q -> {
                metrics.queueFull();
                throw overloaded("every KV slot is taken and " + q.waiting() + " requests wait already");
            }
        };
    }

    private List<Generation> await(Submission.Accepted a) {
        try {
            // Not interruptible on purpose: the engine may still read the request's prefill, which the caller closes.
            return a.result().join();
        } catch (CancellationException e) {
            metrics.abandoned();
            throw new ApiException(
                    408,
                    ErrorCodes.REQUEST_ABANDONED,
                    "the request ended before it finished: its client went away or it ran past"
                            + " adaptserve.engine.request-deadline ("
                            + config.requestDeadline().toSeconds() + " s)");
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof QueueTimeoutException) {
                throw overloaded("no KV slots became free within adaptserve.batch.queue-timeout");
            }
            if (cause instanceof EngineStoppedException) {
                throw stopped();
            }
            if (cause instanceof TokenListener.GenerationCancelled cancelled) {
                // A row's token listener ended the request (a streaming client gone): abandoned, in its own words.
                metrics.abandoned();
                throw cancelled;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    private ApiException tooLarge(Submission.TooLarge t, DecodeEngine engine) {
        String message = switch (t.limit()) {
            case ROWS ->
                "samples: the request needs " + t.needed() + " rows of keys and values at once; the KV budget"
                        + " holds " + t.available() + " (adaptserve.engine.kv-bytes = "
                        + config.kvBytes().asLongValue() + " bytes at " + engine.bytesPerSlot()
                        + " bytes per row of " + engine.slotLength()
                        + " positions, adaptserve.engine.max-rows = " + config.maxRows() + ")";
            case SEQUENCE ->
                "prompt: the prompt and one generated token need " + t.needed() + " positions; a row holds "
                        + t.available() + " (adaptserve.engine.max-sequence-tokens, at most the model's"
                        + " context)";
        };
        return new ApiException(413, ErrorCodes.KV_BUDGET_EXCEEDED, message);
    }

    private ApiException overloaded(String why) {
        return ApiException.overloaded(why, retryAfterSeconds);
    }

    private static ApiException stopped() {
        return new ApiException(503, ErrorCodes.MODEL_UNAVAILABLE, "the instance is shutting down");
    }
}
