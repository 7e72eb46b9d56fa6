package ai.adaptserve.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TensorDTypeTest {

    @Test
    void names_roundTrip_andByteSizes() {
        for (TensorDType t : TensorDType.values()) {
            assertEquals(t, TensorDType.fromSafetensorsName(t.safetensorsName()));
        }
        assertEquals(4, TensorDType.F32.byteSize());
        assertEquals(2, TensorDType.BF16.byteSize());
        assertEquals(2, TensorDType.F16.byteSize());
        assertEquals(8, TensorDType.F64.byteSize());
        assertEquals(1, TensorDType.BOOL.byteSize());
        assertEquals("BF16", TensorDType.BF16.safetensorsName());
    }

    @Test
    void fromSafetensorsName_unknown_throws() {
        assertThrows(IllegalArgumentException.class, () -> TensorDType.fromSafetensorsName("F8_E4M3"));
        assertThrows(IllegalArgumentException.class, () -> TensorDType.fromSafetensorsName("f32"));
        assertThrows(IllegalArgumentException.class, () -> TensorDType.fromSafetensorsName(null));
    }

    @Test
    void tensorInfo_shapeIsDefensiveCopy_andValueEquality() {
        long[] shape = {2, 3};
        TensorInfo a = new TensorInfo("w", TensorDType.F32, shape, 0, 24);
        shape[0] = 99;
        assertArrayEquals(new long[] {2, 3}, a.shape());
        a.shape()[1] = 99;
        assertArrayEquals(new long[] {2, 3}, a.shape());
        assertEquals(6, a.elementCount());
        assertEquals(24, a.byteLength());
        assertEquals(a, new TensorInfo("w", TensorDType.F32, new long[] {2, 3}, 0, 24));
        assertEquals(a.hashCode(), new TensorInfo("w", TensorDType.F32, new long[] {2, 3}, 0, 24).hashCode());
        assertNotEquals(a, new TensorInfo("w", TensorDType.F32, new long[] {3, 2}, 0, 24));
        assertEquals(1, new TensorInfo("s", TensorDType.F32, new long[0], 0, 4).elementCount());
    }
}
