package ai.adaptserve.function.generation;

import ai.adaptserve.model.engine.EngineStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.function.ToDoubleFunction;

/**
 * The engine's signals for autoscaling, in {@code /q/metrics}: rows running, requests waiting, KV bytes in use and in
 * the budget, decode steps and their time, tokens and a tokens/s rate between scrapes, requests abandoned and
 * refused, and the cache of prepared adapters (hits, misses, evictions, bytes). Created at start-up: an
 * application-scoped bean is otherwise made on its first call, which here is the first refusal, and until then the
 * fleet's scaling policy would see no signal at all.
 */
@Startup
@ApplicationScoped
public class EngineMetrics {
    private final ServingEngines engines;
    private final Counter abandoned;
    private final Counter tooLarge;
    private final Counter queueFull;
    private long lastTokens;
    private long lastNanos = System.nanoTime();
    private double lastRate;

    EngineMetrics(ServingEngines engines, MeterRegistry registry) {
        this.engines = engines;
        gauge(registry, "adaptserve.engine.rows.running", "Rows being prefilled or decoded", s -> s.runningRows());
        gauge(
                registry,
                "adaptserve.engine.requests.waiting",
                "Requests waiting for KV slots",
                s -> s.waitingRequests());
        gauge(registry, "adaptserve.engine.kv.bytes.used", "Bytes of KV slots held by rows", s -> s.kvBytesInUse());
        gauge(registry, "adaptserve.engine.kv.bytes.total", "Bytes of KV slots preallocated", s -> s.kvBytesTotal());
        gauge(
                registry,
                "adaptserve.engine.step.last.seconds",
                "Duration of the last decode step",
                s -> s.lastStepNanos() / 1e9);
        FunctionCounter.builder("adaptserve.engine.steps", this, m -> m.read(EngineStats::steps))
                .description("Decode steps run")
                .register(registry);
        FunctionCounter.builder("adaptserve.engine.step.seconds", this, m -> m.read(s -> s.stepNanos() / 1e9))
                .description("Time spent in decode steps; divided by steps, the mean step time")
                .register(registry);
        FunctionCounter.builder("adaptserve.engine.prefill.seconds", this, m -> m.read(s -> s.prefillNanos() / 1e9))
                .description("Time spent prefilling prompts")
                .register(registry);
        FunctionCounter.builder("adaptserve.engine.prefill.passes", this, m -> m.read(EngineStats::prefillPasses))
                .description(
                        "Forward passes run for prompts (one prompt's chunk, or whole prompts of one length together)")
                .register(registry);
        FunctionCounter.builder("adaptserve.engine.prompts", this, m -> m.read(EngineStats::promptsPrefilled))
                .description("Prompts prefilled; divided by prefill passes, the prompts per pass")
                .register(registry);
        FunctionCounter.builder("adaptserve.engine.tokens", this, m -> m.read(EngineStats::tokens))
                .description("Tokens produced by the engine")
                .register(registry);
        FunctionCounter.builder(
                        "adaptserve.engine.adapters.prepared.hits",
                        this,
                        m -> m.read(s -> s.preparedAdapters().hits()))
                .description("Adapters a batch found prepared (no per-request preparation)")
                .register(registry);
        FunctionCounter.builder(
                        "adaptserve.engine.adapters.prepared.misses",
                        this,
                        m -> m.read(s -> s.preparedAdapters().misses()))
                .description("Adapters prepared for the forward pass because they were not cached")
                .register(registry);
        FunctionCounter.builder(
                        "adaptserve.engine.adapters.prepared.evictions",
                        this,
                        m -> m.read(s -> s.preparedAdapters().evictions()))
                .description("Prepared adapters evicted to stay within adaptserve.engine.prepared-adapter-bytes")
                .register(registry);
        gauge(
                registry,
                "adaptserve.engine.adapters.prepared.bytes",
                "Bytes of prepared adapters cached",
                s -> s.preparedAdapters().bytes());
        Gauge.builder("adaptserve.engine.tokens.per.second", this, EngineMetrics::tokensPerSecond)
                .description("Tokens produced per second since the previous read of this gauge")
                .register(registry);
        this.abandoned = Counter.builder("adaptserve.engine.requests.abandoned")
                .description("Requests whose rows ended early: client gone or deadline passed")
                .register(registry);
        this.tooLarge = Counter.builder("adaptserve.engine.requests.refused")
                .tag("reason", "kv_budget")
                .description("Requests refused by the engine")
                .register(registry);
        this.queueFull = Counter.builder("adaptserve.engine.requests.refused")
                .tag("reason", "queue_full")
                .description("Requests refused by the engine")
                .register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String description, ToDoubleFunction<EngineStats> f) {
        Gauge.builder(name, this, m -> m.read(f)).description(description).register(registry);
    }

    private double read(ToDoubleFunction<EngineStats> f) {
        return engines.stats().map(f::applyAsDouble).orElse(0.0);
    }

    private synchronized double tokensPerSecond() {
        long now = System.nanoTime();
        long tokens = (long) read(EngineStats::tokens);
        if (now - lastNanos >= 1_000_000_000L || lastRate == 0) {
            double seconds = (now - lastNanos) / 1e9;
            lastRate = seconds > 0 ? (tokens - lastTokens) / seconds : 0;
            lastTokens = tokens;
            lastNanos = now;
        }
        return lastRate;
    }

    void abandoned() {
        abandoned.increment();
    }

    void tooLarge() {
        tooLarge.increment();
    }

    void queueFull() {
        queueFull.increment();
    }
}
