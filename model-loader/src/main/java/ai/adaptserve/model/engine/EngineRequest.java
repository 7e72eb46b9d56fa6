package ai.adaptserve.model.engine;

import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.generate.GenerationParams;
import ai.adaptserve.model.generate.Prefill;
import ai.adaptserve.model.generate.PromptTokens;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * One request for the engine: a prompt answered by {@code samples.size()} rows that share its prefill and its adapter,
 * each with its own decoding settings and seed.
 *
 * @param prompt the prompt, tokenized
 * @param samples one entry per row
 * @param adapter the adapter of every row, or none for the base model
 * @param prefill the prompt already run through the base model (the router's pass); only without an adapter. The
 *     engine copies its cache and consumes it; the caller still closes it, after the result is in
 * @param abandoned polled at every step boundary: true once the client is gone or the request's deadline passed; the
 *     rows then end and free their slots
 * @param waitExpired polled while the request waits for slots: true once it has waited too long
 * @param listener told of every token
 */
public record EngineRequest(
        PromptTokens prompt,
        List<GenerationParams> samples,
        Optional<Adapter> adapter,
        Optional<Prefill> prefill,
        BooleanSupplier abandoned,
        BooleanSupplier waitExpired,
        RowListener listener) {

    public EngineRequest {
        Objects.requireNonNull(prompt, "prompt");
        samples = List.copyOf(samples);
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("a request needs at least one sample");
        }
        if (prompt.length() == 0) {
            throw new IllegalArgumentException("the prompt encodes to no tokens");
        }
        Objects.requireNonNull(adapter, "adapter");
        Objects.requireNonNull(prefill, "prefill");
        if (adapter.isPresent() && prefill.isPresent()) {
            throw new IllegalArgumentException("a base-model prefill cannot seed an adapted answer");
        }
        Objects.requireNonNull(abandoned, "abandoned");
        Objects.requireNonNull(waitExpired, "waitExpired");
        Objects.requireNonNull(listener, "listener");
    }

    /** A request nobody abandons, without a listener (tests, benchmarks). */
    public static EngineRequest of(PromptTokens prompt, List<GenerationParams> samples, Optional<Adapter> adapter) {
        return new EngineRequest(
                prompt, samples, adapter, Optional.empty(), () -> false, () -> false, RowListener.NONE);
    }

    int rows() {
        return samples.size();
    }
}
