package ai.adaptserve.function.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.settings.AdaptServeConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdmissionTest {

    private static AdaptServeConfig.Batch batch(int concurrent, int queued, Duration timeout) {
        return new AdaptServeConfig.Batch() {
            @Override
            public int maxConcurrent() {
                return concurrent;
            }

            @Override
            public int maxQueued() {
                return queued;
            }

            @Override
            public Duration queueTimeout() {
                return timeout;
            }

            @Override
            public Duration retryAfter() {
                return Duration.ofMillis(1500);
            }
        };
    }

    @Test
    void admit_allSlotsTakenNoQueue_429WithRetryAfter() {
        Admission admission = new Admission(batch(1, 0, Duration.ofSeconds(5)));
        Admission.Slot held = admission.admit();

        ApiException e = assertThrows(ApiException.class, admission::admit);

        assertEquals(429, e.status());
        assertEquals("overloaded", e.code());
        assertEquals(Map.of("Retry-After", "2"), e.headers());
        held.close();
    }

    @Test
    void admit_queuedPastTimeout_429() {
        Admission admission = new Admission(batch(1, 1, Duration.ofMillis(50)));
        Admission.Slot held = admission.admit();

        assertEquals(429, assertThrows(ApiException.class, admission::admit).status());
        assertEquals(0, admission.queued());
        held.close();
    }

    @Test
    void admit_slotReleased_admitsAgain() {
        Admission admission = new Admission(batch(1, 0, Duration.ZERO));
        admission.admit().close();

        Admission.Slot again = admission.admit();
        assertEquals(1, admission.active());
        again.close();
        assertEquals(0, admission.active());
    }

    @Test
    void admit_queuedUntilSlotFree_admitted() throws Exception {
        Admission admission = new Admission(batch(1, 1, Duration.ofSeconds(10)));
        Admission.Slot held = admission.admit();
        Thread releaser = new Thread(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            held.close();
        });
        releaser.start();

        Admission.Slot waited = admission.admit();
        assertEquals(1, admission.active());
        waited.close();
        releaser.join();
    }
}
