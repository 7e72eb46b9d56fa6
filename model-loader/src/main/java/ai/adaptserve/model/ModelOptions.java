package ai.adaptserve.model;

import ai.adaptserve.model.adapter.TargetMatrix;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * How to hold a loaded model.
 *
 * @param computeType F32 on CPU (BF16 crashes this DJL/PyTorch pair on CPU, F16 is slower); F16 on GPU hosts
 * @param device DJL device name: {@code cpu}, {@code gpu}, {@code gpu(1)}; empty for the engine's default
 * @param svdTargets matrices factored for z-vectors (Transformer² uses the MLP; attention is an option)
 * @param svdCacheDir where SVD factors are kept; empty for the checkpoint directory, or a per-user cache
 *     directory when the checkpoint directory is not writable
 */
public record ModelOptions(
        DataType computeType, String device, Set<TargetMatrix> svdTargets, Optional<Path> svdCacheDir) {
    public ModelOptions {
        if (computeType != DataType.FLOAT32 && computeType != DataType.FLOAT16 && computeType != DataType.BFLOAT16) {
            throw new IllegalArgumentException("computeType must be float32, float16 or bfloat16, was " + computeType);
        }
        if (svdTargets.isEmpty()) {
            throw new IllegalArgumentException("svdTargets must name at least one matrix");
        }
        svdTargets = Set.copyOf(EnumSet.copyOf(svdTargets));
    }

    public static ModelOptions defaults() {
        return new ModelOptions(DataType.FLOAT32, "", TargetMatrix.MLP, Optional.empty());
    }

    public ModelOptions withSvdCacheDir(Path dir) {
        return new ModelOptions(computeType, device, svdTargets, Optional.of(dir));
    }

    public ModelOptions withSvdTargets(Set<TargetMatrix> targets) {
        return new ModelOptions(computeType, device, targets, svdCacheDir);
    }
}
