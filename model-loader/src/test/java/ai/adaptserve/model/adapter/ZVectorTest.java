package ai.adaptserve.model.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ZVectorTest {
    static final MatrixRef L0 = new MatrixRef(0, TargetMatrix.GATE);
    static final MatrixRef L1 = new MatrixRef(1, TargetMatrix.GATE);

    static ZVector z(float a, float b) {
        return new ZVector(Map.of(L0, new float[] {a, a}, L1, new float[] {b, b}), false);
    }

    @Test
    void mix_oneAlphaPerExpert_isTheWeightedSum() {
        ZVector m = ZVector.mix(List.of(z(1, 2), z(3, 4)), new float[][] {{0.25f}, {0.5f}});
        assertArrayEquals(new float[] {1.75f, 1.75f}, m.z().get(L0));
        assertArrayEquals(new float[] {2.5f, 2.5f}, m.z().get(L1));
    }

    @Test
    void mix_alphaPerExpertAndLayer_usesEachLayersAlpha() {
        ZVector m = ZVector.mix(List.of(z(1, 1), z(2, 2)), new float[][] {{1f, 0f}, {0f, 1f}});
        assertArrayEquals(new float[] {1f, 1f}, m.z().get(L0));
        assertArrayEquals(new float[] {2f, 2f}, m.z().get(L1));
    }

    @Test
    void mix_mismatchedExperts_areRejected() {
        ZVector other = new ZVector(Map.of(L0, new float[] {1, 1}), false);
        var e = assertThrows(
                IllegalArgumentException.class, () -> ZVector.mix(List.of(z(1, 1), other), new float[][] {{1}, {1}}));
        assertTrue(e.getMessage().contains("expert 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ZVector.mix(List.of(z(1, 1)), new float[][] {{1}, {1}}));
    }

    @Test
    void constructor_nonFiniteValue_namesMatrix() {
        var e = assertThrows(
                IllegalArgumentException.class, () -> new ZVector(Map.of(L1, new float[] {1, Float.NaN}), false));
        assertTrue(e.getMessage().contains("z.1.gate"), e.getMessage());
    }

    @Test
    void scaledSigma_preserveSum_keepsTheSumOfSingularValues() {
        float[] sigma = {4, 2, 1};
        ZVector zv = new ZVector(Map.of(L0, new float[] {2, 0.5f, 1}), true);
        float[] s = RowAdapterBatch.scaledSigma(sigma, zv, L0);
        assertEquals(7.0, s[0] + s[1] + s[2], 1e-5);
        assertEquals(8f / 1f, s[0] / s[1], 1e-5); // σ ⊙ z = (8, 1, 1): its ratios are kept
    }
}
