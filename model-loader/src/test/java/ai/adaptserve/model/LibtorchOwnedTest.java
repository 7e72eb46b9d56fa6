package ai.adaptserve.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** A copied-in array must not keep a Java direct buffer alive while it lives (see the class comment). */
class LibtorchOwnedTest {
    private static final int VALUES = 4 << 20; // 16 MiB of F32

    @Test
    void copy_hasTheValues_andHoldsNoJavaDirectBufferWhileItLives() throws InterruptedException {
        float[] values = new float[VALUES];
        for (int i = 0; i < values.length; i += 4099) {
            values[i] = i * 0.5f;
        }
        try (NDManager m = NDManager.newBaseManager()) {
            long before = settledDirectBytes();
            NDArray copy = LibtorchOwned.copyOf(m, values, new Shape(VALUES));
            // The buffer DJL filled is garbage now; once collected, direct memory is back where it was although the
            // copy is still reachable (with DJL's create it would stay 16 MiB higher until the array object died).
            long after = settledDirectBytes();
            assertTrue(
                    after - before < 4L * VALUES / 2,
                    "direct buffers grew by " + (after - before) + " bytes while the copy lives");
            assertArrayEquals(values, copy.toFloatArray());
            assertTrue(m.getManagedArrays().contains(copy), "the copy belongs to the given manager");
        }
    }

    /** Direct-buffer bytes after collections, once two readings a little apart agree (the cleaner runs on its own). */
    private static long settledDirectBytes() throws InterruptedException {
        long last = -1;
        for (int i = 0; i < 50; i++) {
            System.gc();
            Thread.sleep(100);
            long now = directBytes();
            if (now == last) {
                return now;
            }
            last = now;
        }
        return last;
    }

    private static long directBytes() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct"))
                .mapToLong(BufferPoolMXBean::getMemoryUsed)
                .sum();
    }
}
