package ai.adaptserve.function.generation;

import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.settings.AdaptServeConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission control: at most {@code adaptserve.batch.max-concurrent} generations run at once, at most
 * {@code adaptserve.batch.max-queued} wait (first come, first served) for up to {@code adaptserve.batch.queue-timeout};
 * any other request is answered 429 with {@code Retry-After} at once, so a saturated instance sheds load instead of
 * piling it up.
 */
// Made at start-up: on a checkpoint the decode engine admits requests and this bean may never be called, but its
// gauges are part of /q/metrics.
@Startup
@ApplicationScoped
public class Admission {

    private final Semaphore slots;
    private final int maxConcurrent;
    private final int maxQueued;
    private final Duration queueTimeout;
    private final String retryAfterSeconds;
    private final AtomicInteger waiting = new AtomicInteger();

    @Inject
    Admission(AdaptServeConfig config, MeterRegistry registry) {
        this(config.batch());
        Gauge.builder("adaptserve.generations.active", this, Admission::active)
                .description("Generations running now")
                .register(registry);
        Gauge.builder("adaptserve.generations.queued", this, Admission::queued)
                .description("Requests waiting for a generation slot")
                .register(registry);
    }

    Admission(AdaptServeConfig.Batch batch) {
        this.maxConcurrent = batch.maxConcurrent();
        this.maxQueued = batch.maxQueued();
        this.queueTimeout = batch.queueTimeout();
        this.slots = new Semaphore(maxConcurrent, true);
        long seconds = (batch.retryAfter().toMillis() + 999) / 1000;
        this.retryAfterSeconds = Long.toString(Math.max(1, seconds));
    }

    /** A generation slot; close it when the generation ends. Throws 429 {@code overloaded} if none comes in time. */
    Slot admit() {
        try {
            if (slots.tryAcquire(0, TimeUnit.NANOSECONDS)) {
                return new Slot();
            }
            if (waiting.incrementAndGet() > maxQueued) {
                waiting.decrementAndGet();
                throw overloaded(
                        "all " + maxConcurrent + " generation slots and " + maxQueued + " queue places are taken");
            }
            try {
                if (slots.tryAcquire(queueTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
                    return new Slot();
                }
            } finally {
                waiting.decrementAndGet();
            }
            throw overloaded("no generation slot became free within " + queueTimeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw overloaded("interrupted while waiting for a generation slot");
        }
    }

    private ApiException overloaded(String why) {
        return ApiException.overloaded(why, retryAfterSeconds);
    }

    int active() {
        return maxConcurrent - slots.availablePermits();
    }

    int queued() {
        return waiting.get();
    }

    /** One admitted generation. */
    final class Slot implements AutoCloseable {
        private boolean closed;

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                slots.release();
            }
        }
    }
}
