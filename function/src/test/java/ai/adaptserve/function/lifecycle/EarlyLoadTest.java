package ai.adaptserve.function.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.placement.DeviceRequest;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** A load started before the configuration exists is handed over once, and only for the plan it was started for. */
class EarlyLoadTest {

    private static final ModelPlan BUILTIN = plan(Optional.empty());
    private static final ModelPlan OTHER = plan(Optional.of(Path.of("/models/other")));

    private static ModelPlan plan(Optional<Path> path) {
        return new ModelPlan(
                path, Path.of("/cache"), Optional.empty(), Optional.empty(), DeviceRequest.AUTO, Optional.empty());
    }

    /** A loaded thing that counts its closes. */
    private static final class Loaded implements AutoCloseable {
        final ModelPlan plan;
        final CountDownLatch closed = new CountDownLatch(1);

        Loaded(ModelPlan plan) {
            this.plan = plan;
        }

        @Override
        public void close() {
            closed.countDown();
        }
    }

    @Test
    void take_samePlan_theOneLoadOnce() {
        // Given a load started once, then asked to start again
        EarlyLoad<Loaded> early = new EarlyLoad<>();
        AtomicInteger loads = new AtomicInteger();
        Function<ModelPlan, Loaded> counted = p -> {
            loads.incrementAndGet();
            return new Loaded(p);
        };
        early.start(BUILTIN, counted, "test-load");
        early.start(BUILTIN, counted, "test-load");
        // When the configuration's plan is the same, then that load is handed over, and only once
        EarlyLoad.Early.Same<?> same = assertInstanceOf(EarlyLoad.Early.Same.class, early.take(BUILTIN));
        assertSame(BUILTIN, ((Loaded) same.result().join()).plan);
        assertEquals(1, loads.get());
        assertInstanceOf(EarlyLoad.Early.None.class, early.take(BUILTIN));
    }

    @Test
    void take_otherPlan_discardedAndClosed() throws InterruptedException {
        // Given a load of the built-in model
        EarlyLoad<Loaded> early = new EarlyLoad<>();
        AtomicReference<Loaded> made = new AtomicReference<>();
        early.start(
                BUILTIN,
                p -> {
                    Loaded l = new Loaded(p);
                    made.set(l);
                    return l;
                },
                "test-load");
        // When the configuration asks for another model, then the guessed load is not handed over, and is closed
        EarlyLoad.Early<Loaded> taken = early.take(OTHER);
        assertEquals(
                BUILTIN, assertInstanceOf(EarlyLoad.Early.Other.class, taken).guessed());
        assertTrue(awaitMade(made).closed.await(10, TimeUnit.SECONDS));
    }

    @Test
    void take_loadFailed_failureHandedOver() {
        // Given an early load that fails
        EarlyLoad<Loaded> early = new EarlyLoad<>();
        early.start(
                BUILTIN,
                p -> {
                    throw new IllegalStateException("adaptserve.model.device: no GPU");
                },
                "test-load");
        // When it is taken, then joining it throws that failure, for the lifecycle to report as today
        EarlyLoad.Early<Loaded> taken = early.take(BUILTIN);
        CompletionException e = assertThrows(
                CompletionException.class,
                () -> ((EarlyLoad.Early.Same<Loaded>) taken).result().join());
        assertInstanceOf(IllegalStateException.class, e.getCause());
    }

    @Test
    void take_nothingStarted_none() {
        assertInstanceOf(EarlyLoad.Early.None.class, new EarlyLoad<Loaded>().take(BUILTIN));
        assertFalse(BUILTIN.equals(OTHER));
    }

    private static Loaded awaitMade(AtomicReference<Loaded> made) throws InterruptedException {
        for (int step = 0; step < 1000 && made.get() == null; step++) {
            Thread.sleep(10);
        }
        return made.get();
    }
}
