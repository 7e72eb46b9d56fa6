package ai.adaptserve.model.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.adapter.LoraAdapter;
import ai.adaptserve.model.config.ModelConfig;
import ai.adaptserve.model.tokenizer.ByteTokenizer;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The reference checked on its own, against values worked out by hand from the definitions (the full forward pass is
 * also checked against Jlama, in {@code JlamaCrossCheckTest}). Broken on purpose, the reference failed here and against
 * Jlama: the rotary rotation reversed, query heads sharing KV heads by {@code h % kvHeads}; singular values sorted
 * ascending failed here (Jlama has no SVF to catch it).
 */
class NaiveTest {

    @Test
    void rmsNorm_ofThreeFour_isDividedByTheRootMeanSquare() {
        // mean(x²) = (9 + 16) / 2 = 12.5
        double[] y = Naive.rmsNorm(new double[] {3, 4}, new double[] {1, 2}, 0);
        assertArrayEquals(new double[] {3 / Math.sqrt(12.5), 2 * 4 / Math.sqrt(12.5)}, y, 1e-15);
        double[] withEps = Naive.rmsNorm(new double[] {3, 4}, new double[] {1, 1}, 0.5);
        assertEquals(3 / Math.sqrt(13), withEps[0], 1e-15);
    }

    @Test
    void rope_rotatesDimensionIWithIPlusHalf() {
        // head 4, θ = 100: inverse frequencies 1 and 100^(-1/2) = 0.1
        double[] inv = {1, 0.1};
        double[] y = Naive.rope(new double[] {1, 0, 0, 0}, 2, inv);
        // x₀ = 1 pairs with index 2: (cos 2, ·, sin 2, ·)
        assertArrayEquals(new double[] {Math.cos(2), 0, Math.sin(2), 0}, y, 1e-15);
        y = Naive.rope(new double[] {0, 0, 0, 1}, 3, inv);
        // x₃ = 1 is the second half of pair 1: rotate_half gives (·, -x₃, ·, x₁), angle 0.3
        assertArrayEquals(new double[] {0, -Math.sin(0.3), 0, Math.cos(0.3)}, y, 1e-15);
        assertArrayEquals(new double[] {5, 6, 7, 8}, Naive.rope(new double[] {5, 6, 7, 8}, 0, inv), 0);
    }

    static ModelConfig rope(int headDim, double theta, Optional<ModelConfig.RopeScaling> scaling) {
        return new ModelConfig(
                "LlamaForCausalLM",
                ByteTokenizer.VOCAB,
                headDim,
                8,
                1,
                1,
                1,
                headDim,
                1e-5,
                theta,
                scaling,
                false,
                false,
                256,
                Optional.empty(),
                List.of(),
                "float32");
    }

    @Test
    void ropeInvFreq_llama3Scaling_byHand() {
        // head 8, θ = 10000: 1, 0.1, 0.01, 0.001; wavelengths 2π/f = 6.28, 62.8, 628, 6283.
        double[] plain = Naive.ropeInvFreq(rope(8, 10000, Optional.empty()));
        assertArrayEquals(new double[] {1, 0.1, 0.01, 0.001}, plain, 1e-15);
        // factor 8, low 1, high 4, original 64: wavelength < 64/4 = 16 kept, > 64/1 = 64 divided by 8,
        // in between blended with smooth = (64/λ - 1) / (4 - 1).
        double[] scaled = Naive.ropeInvFreq(rope(8, 10000, Optional.of(new ModelConfig.RopeScaling(8, 1, 4, 64))));
        double smooth = (64 / (2 * Math.PI / 0.1) - 1) / 3;
        assertArrayEquals(new double[] {1, (1 - smooth) * 0.1 / 8 + smooth * 0.1, 0.01 / 8, 0.001 / 8}, scaled, 1e-15);
    }

    @Test
    void attention_firstPositionSeesOnlyItself_andZeroQueriesAverageThePast() {
        // 2 query heads over 1 KV head, head 2, three positions
        double[][] k = {{1, 0}, {0, 1}, {1, 1}};
        double[][] v = {{1, 2}, {3, 4}, {5, 6}};
        double[][] q = {{7, -3, 2, 9}, {0, 0, 0, 0}, {0, 0, 0, 0}};
        double[][] out = Naive.attention(q, k, v, 2, 1, 2);
        assertArrayEquals(new double[] {1, 2, 1, 2}, out[0], 1e-15);
        assertArrayEquals(new double[] {2, 3, 2, 3}, out[1], 1e-15);
        assertArrayEquals(new double[] {3, 4, 3, 4}, out[2], 1e-15);
        // one query that only likes key 0: position 2 puts weight e^s on it, 1 on each other
        double[][] q2 = {{0, 0}, {0, 0}, {20, 0}};
        double[][] k2 = {{1, 0}, {0, 1}, {0, 0}};
        double[] o = Naive.attention(q2, k2, v, 1, 1, 2)[2];
        double e = Math.exp(20 / Math.sqrt(2));
        assertEquals((e * 1 + 3 + 5) / (e + 2), o[0], 1e-12);
    }

    @Test
    void attention_queryHeadReadsItsGroupsKvHead() {
        // 4 query heads over 2 KV heads: heads 0, 1 read KV head 0; heads 2, 3 read KV head 1
        double[][] q = {{0, 0, 0, 0}};
        double[][] k = {{0, 0}};
        double[][] v = {{10, 20}};
        assertArrayEquals(new double[] {10, 10, 20, 20}, Naive.attention(q, k, v, 4, 2, 1)[0], 0);
    }

    @Test
    void silu_isXTimesSigmoid() {
        assertEquals(0, Naive.silu(0), 0);
        assertEquals(2 / (1 + Math.exp(-2)), Naive.silu(2), 1e-15);
    }

    @Test
    void svd_reconstructsWithOrthonormalFactors_tallAndWide() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int[] shape : new int[][] {{9, 5}, {5, 9}, {6, 6}}) {
            double[][] a = new double[shape[0]][shape[1]];
            for (double[] row : a) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = rnd.nextDouble() - 0.5;
                }
            }
            Naive.Svd f = Naive.svd(a);
            int r = Math.min(shape[0], shape[1]);
            assertEquals(r, f.sigma().length);
            for (int i = 1; i < r; i++) {
                assertTrue(f.sigma()[i] <= f.sigma()[i - 1], "descending");
            }
            double[][] back = Naive.compose(f, f.sigma());
            for (int i = 0; i < shape[0]; i++) {
                assertArrayEquals(a[i], back[i], 1e-12);
            }
            double[][] utu = Naive.matmul(Naive.transpose(f.u()), f.u());
            double[][] vtv = Naive.matmul(Naive.transpose(f.v()), f.v());
            for (int i = 0; i < r; i++) {
                for (int j = 0; j < r; j++) {
                    assertEquals(i == j ? 1 : 0, utu[i][j], 1e-12);
                    assertEquals(i == j ? 1 : 0, vtv[i][j], 1e-12);
                }
            }
        }
    }

    @Test
    void svf_ofADiagonalMatrix_scalesItsEntries() {
        // W = diag(4, 2, 1) is its own SVD; z = (2, 0.5, 1) gives diag(8, 1, 1); keeping Σσ = 7 scales by 7/10
        double[][] w = {{4, 0, 0}, {0, 2, 0}, {0, 0, 1}};
        double[][] plain = Naive.svf(Naive.svd(w), new double[] {2, 0.5, 1}, false);
        double[][] kept = Naive.svf(Naive.svd(w), new double[] {2, 0.5, 1}, true);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                double expected = i != j ? 0 : new double[] {8, 1, 1}[i];
                assertEquals(expected, plain[i][j], 1e-12);
                assertEquals(expected * 0.7, kept[i][j], 1e-12);
            }
        }
    }

    @Test
    void lora_addsAlphaOverRankTimesTheTransposedProduct() {
        // W 2x3 ([out][in]); A [in=3, r=1] = (1, 2, 3); B [r=1, out=2] = (10, 20); α = 4, r = 1: ΔW[o][i] = 4 B[o] A[i]
        double[][] w = {{1, 0, 0}, {0, 1, 0}};
        LoraAdapter.Factors f = new LoraAdapter.Factors(3, 2, new float[] {1, 2, 3}, new float[] {10, 20});
        double[][] y = Naive.lora(w, f, 1, 4);
        assertArrayEquals(new double[] {1 + 40, 80, 120}, y[0], 0);
        assertArrayEquals(new double[] {80, 1 + 160, 240}, y[1], 0);
    }
}
