package ai.adaptserve.function.generation;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;

/**
 * Metrics of the model's work: {@code adaptserve_generation_seconds} (one batch call, all samples of a request; {@code
 * outcome} {@code ok}, {@code error} or {@code cancelled} when a streaming client went away) and {@code
 * adaptserve_tokens_generated_total}.
 */
@ApplicationScoped
public class GenerationMetrics {

    public static final String GENERATION = "adaptserve.generation";
    public static final String TOKENS = "adaptserve.tokens.generated";

    private final MeterRegistry registry;
    private final Counter tokens;

    public GenerationMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.tokens = Counter.builder(TOKENS)
                .description("Tokens generated, over all samples")
                .register(registry);
    }

    void generated(Duration took, int completionTokens) {
        timer("ok").record(took);
        tokens.increment(completionTokens);
    }

    void failed(Duration took) {
        timer("error").record(took);
    }

    /** A generation its client cancelled by going away (a streaming request). */
    void cancelled(Duration took) {
        timer("cancelled").record(took);
    }

    private Timer timer(String outcome) {
        return Timer.builder(GENERATION)
                .description("Time in the model per request (one batch of all its samples)")
                .tag("outcome", outcome)
                .publishPercentileHistogram()
                .register(registry);
    }
}
