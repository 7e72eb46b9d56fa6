package ai.adaptserve.model.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every branch of the device and dtype choice, with the GPU count as an input (this machine has no GPU). */
class PlacementRuleTest {

    private static Placement.Chosen chosen(DeviceRequest d, ComputeDType t, int gpus) {
        return assertInstanceOf(Placement.Chosen.class, PlacementRule.choose(d, Optional.ofNullable(t), gpus));
    }

    private static Placement.Refused refused(DeviceRequest d, ComputeDType t, int gpus) {
        return assertInstanceOf(Placement.Refused.class, PlacementRule.choose(d, Optional.ofNullable(t), gpus));
    }

    @Test
    void autoWithoutGpuRunsOnTheCpuInF32() {
        Placement.Chosen c = chosen(DeviceRequest.AUTO, null, 0);
        assertEquals("cpu", c.device());
        assertFalse(c.gpu());
        assertEquals(ComputeDType.F32, c.dtype());
        assertEquals(DataType.FLOAT32, c.djlType());
    }

    @Test
    void autoWithAGpuRunsOnTheFirstGpuInF16() {
        Placement.Chosen c = chosen(DeviceRequest.AUTO, null, 2);
        assertEquals("gpu0", c.device());
        assertTrue(c.gpu());
        assertEquals(ComputeDType.F16, c.dtype());
        assertEquals(DataType.FLOAT16, c.djlType());
    }

    @Test
    void gpuAskedWithNoneIsRefusedNamingTheDeviceKey() {
        Placement.Refused r = refused(DeviceRequest.GPU, null, 0);
        assertEquals("device", r.key());
        assertTrue(r.reason().contains("no GPU"), r.reason());
        // also when a dtype that a GPU would take is given: the device is the problem
        assertEquals("device", refused(DeviceRequest.GPU, ComputeDType.BF16, 0).key());
    }

    @Test
    void gpuAskedWithOneRunsThere() {
        assertEquals("gpu0", chosen(DeviceRequest.GPU, null, 1).device());
        assertEquals(
                ComputeDType.BF16,
                chosen(DeviceRequest.GPU, ComputeDType.BF16, 1).dtype());
        assertEquals(
                ComputeDType.F32, chosen(DeviceRequest.GPU, ComputeDType.F32, 1).dtype());
    }

    @Test
    void cpuAskedStaysOnTheCpuWhenAGpuIsThere() {
        Placement.Chosen c = chosen(DeviceRequest.CPU, null, 4);
        assertEquals("cpu", c.device());
        assertEquals(ComputeDType.F32, c.dtype());
    }

    @Test
    void bf16OnTheCpuIsRefusedNamingTheDtypeKey() {
        assertEquals("dtype", refused(DeviceRequest.CPU, ComputeDType.BF16, 0).key());
        assertEquals("dtype", refused(DeviceRequest.AUTO, ComputeDType.BF16, 0).key());
        assertEquals("dtype", refused(DeviceRequest.CPU, ComputeDType.BF16, 1).key());
    }

    @Test
    void f16OnTheCpuIsAllowed() {
        Placement.Chosen c = chosen(DeviceRequest.CPU, ComputeDType.F16, 0);
        assertEquals("cpu", c.device());
        assertEquals(DataType.FLOAT16, c.djlType());
    }

    @Test
    void aNegativeGpuCountIsABug() {
        assertThrows(
                IllegalArgumentException.class, () -> PlacementRule.choose(DeviceRequest.AUTO, Optional.empty(), -1));
    }

    @Test
    void theDeviceNamesAreOnesDjlParses() {
        assertEquals(
                ai.djl.Device.cpu(),
                ai.djl.Device.fromName(chosen(DeviceRequest.AUTO, null, 0).device()));
        assertEquals(
                ai.djl.Device.gpu(0),
                ai.djl.Device.fromName(chosen(DeviceRequest.AUTO, null, 1).device()));
    }
}
