package ai.adaptserve.model.placement;

import java.util.Optional;

/**
 * Chooses the device and compute type from the configuration and the number of GPUs libtorch sees. Pure: the GPU
 * count is an input, so every branch is tested on a CPU-only machine.
 *
 * <ul>
 *   <li>{@code auto}: the first GPU when there is one, else the CPU;
 *   <li>{@code gpu} with no GPU: refused (a GPU fleet silently serving from the CPU is an outage that looks healthy);
 *   <li>no dtype given: F16 on a GPU (half the memory and traffic of F32, tensor cores), F32 on the CPU;
 *   <li>BF16 on the CPU: refused, because the CPU build of libtorch this service ships (2.7.1 through DJL 0.35.0)
 *       crashes the JVM on BF16 tensors on the CPU (docs/design.md), which is why BF16 checkpoints are widened to F32;
 *   <li>F16 on the CPU: allowed (it works, but is slower than F32 there).
 * </ul>
 */
public final class PlacementRule {

    private PlacementRule() {}

    /**
     * @param device what was asked
     * @param dtype what was asked; empty for the device's default
     * @param gpus GPUs libtorch sees ({@code Engine#getGpuCount}); 0 on a CPU host or with the CPU build
     */
    public static Placement choose(DeviceRequest device, Optional<ComputeDType> dtype, int gpus) {
        if (gpus < 0) {
            throw new IllegalArgumentException("gpus must be >= 0, was " + gpus);
        }
        if (device == DeviceRequest.GPU && gpus == 0) {
            return new Placement.Refused(
                    "device",
                    "gpu was asked for but libtorch sees no GPU (no NVIDIA driver, no CUDA build of libtorch:"
                            + " PYTORCH_FLAVOR, or no libcudart on LD_LIBRARY_PATH); set it to auto or cpu to"
                            + " run on the CPU");
        }
        boolean onGpu = device != DeviceRequest.CPU && gpus > 0;
        ComputeDType type = dtype.orElse(onGpu ? ComputeDType.F16 : ComputeDType.F32);
        if (!onGpu && type == ComputeDType.BF16) {
            return new Placement.Refused(
                    "dtype",
                    "bf16 is not supported on the CPU (BF16 tensors crash the JVM with the CPU libtorch);"
                            + " use f32 (or f16) there, bf16 on a GPU only");
        }
        String asked = device.name().toLowerCase() + "/"
                + dtype.map(t -> t.name().toLowerCase()).orElse("default");
        String where = onGpu ? "gpu0" : "cpu";
        return new Placement.Chosen(
                where, type, "asked " + asked + ", " + gpus + " GPU(s) seen: " + where + " in " + type.name());
    }
}
