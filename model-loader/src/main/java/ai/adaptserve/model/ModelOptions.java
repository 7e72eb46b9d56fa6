package ai.adaptserve.model;

import ai.adaptserve.model.adapter.TargetMatrix;
import ai.djl.ndarray.types.DataType;
import io.soabase.recordbuilder.core.RecordBuilder;
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
@RecordBuilder
public record ModelOptions(
        DataType computeType, String device, Set<TargetMatrix> svdTargets, Optional<Path> svdCacheDir)
        implements ModelOptionsBuilder.With {
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

    /**
     * The generated {@code withSvdCacheDir(Optional)} for a directory that is there. Hand-written: it wraps the value
     * rather than copying one field, and record-builder adds such concrete setters to its builder only, not to withers.
     */
    public ModelOptions withSvdCacheDir(Path dir) {
        return withSvdCacheDir(Optional.of(dir));
    }
}
