package ai.adaptserve.model.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The cache of prepared adapters on its own: a hot adapter is prepared once, the byte bound evicts the least recently
 * used, and an adapter a batch still uses is not closed by its eviction, only when the batch lets go.
 */
class PreparedAdaptersTest {
    static final MatrixRef Q0 = new MatrixRef(0, TargetMatrix.Q);
    static final int IN = 8;
    static final int OUT = 6;
    static final int RANK = 2;
    /** Bytes of one adapter here: A [8, 2] and B [2, 6] as F32. */
    static final long ONE = 4L * (IN * RANK + RANK * OUT);

    static LoraAdapter lora(long seed) {
        Random r = new Random(seed);
        float[] a = new float[IN * RANK];
        float[] b = new float[RANK * OUT];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) r.nextGaussian();
        }
        return new LoraAdapter(RANK, 4f, Map.of(Q0, new LoraAdapter.Factors(IN, OUT, a, b)));
    }

    @Test
    void secondAcquire_isAHit_onTheSameTensors() {
        try (NDManager parent = NDManager.newBaseManager();
                PreparedAdapters cache = new PreparedAdapters(parent, 10 * ONE)) {
            LoraAdapter a = lora(1);
            NDArray first;
            try (PreparedAdapters.Lease l = cache.acquire(a, null)) {
                first = l.lora(Q0).a();
                assertArrayEquals(a.weights().get(Q0).a(), first.toFloatArray());
                float[] scaledB = l.lora(Q0).b().toFloatArray();
                assertEquals(a.scale() * a.weights().get(Q0).b()[3], scaledB[3], "B carries α/r");
            }
            try (PreparedAdapters.Lease l = cache.acquire(a, null)) {
                assertSame(first, l.lora(Q0).a(), "prepared once");
            }
            assertEquals(new PreparedAdapters.Stats(1, 1, 0, ONE, 1, 10 * ONE), cache.stats());
        }
    }

    @Test
    void tinyBound_evictsTheLeastRecentlyUsed() {
        try (NDManager parent = NDManager.newBaseManager();
                PreparedAdapters cache = new PreparedAdapters(parent, 2 * ONE)) {
            LoraAdapter a = lora(1);
            LoraAdapter b = lora(2);
            LoraAdapter c = lora(3);
            NDArray aTensor;
            try (PreparedAdapters.Lease l = cache.acquire(a, null)) {
                aTensor = l.lora(Q0).a();
            }
            cache.acquire(b, null).close();
            cache.acquire(a, null).close(); // a is now the most recently used
            cache.acquire(c, null).close(); // evicts b
            PreparedAdapters.Stats s = cache.stats();
            assertEquals(1, s.evictions(), s.toString());
            assertEquals(2 * ONE, s.bytes(), s.toString());
            assertFalse(aTensor.isReleased(), "a stayed");
            cache.acquire(b, null).close(); // a miss again; evicts a, which no batch holds: closed at once
            assertEquals(4, cache.stats().misses());
            assertTrue(aTensor.isReleased(), "an evicted adapter nobody uses is closed");
        }
    }

    @Test
    void adapterInUse_isNotClosedByItsEviction_onlyWhenReleased() {
        try (NDManager parent = NDManager.newBaseManager();
                PreparedAdapters cache = new PreparedAdapters(parent, ONE)) {
            LoraAdapter a = lora(1);
            PreparedAdapters.Lease running = cache.acquire(a, null);
            NDArray aTensor = running.lora(Q0).a();
            cache.acquire(lora(2), null).close(); // over the bound: a is evicted while a batch still uses it
            assertEquals(1, cache.stats().evictions());
            assertEquals(ONE, cache.stats().bytes(), "the evicted adapter is no longer counted");
            assertFalse(running.closed());
            assertFalse(aTensor.isReleased(), "still in use");
            assertArrayEquals(a.weights().get(Q0).a(), aTensor.toFloatArray(), "and still readable");
            running.close();
            assertTrue(aTensor.isReleased(), "closed once its last user let go");
        }
    }

    @Test
    void zeroBound_keepsNothing_butServesTheBatch() {
        try (NDManager parent = NDManager.newBaseManager();
                PreparedAdapters cache = new PreparedAdapters(parent, 0)) {
            LoraAdapter a = lora(1);
            NDArray t;
            try (PreparedAdapters.Lease l = cache.acquire(a, null)) {
                t = l.lora(Q0).a();
                assertFalse(t.isReleased());
            }
            assertTrue(t.isReleased());
            assertEquals(new PreparedAdapters.Stats(0, 1, 1, 0, 0, 0), cache.stats());
        }
    }
}
