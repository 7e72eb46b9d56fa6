package ai.adaptserve.model.reference;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.TestModels;
import ai.adaptserve.model.config.ModelConfig;
import ai.adaptserve.model.llama.RotaryEmbedding;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@link RotaryEmbedding}'s tables against {@link Naive#ropeInvFreq}: for each position and frequency {@code i},
 * {@code cos} and {@code sin} of {@code position · invFreq[i]} at index {@code i} and again at {@code i + d/2} (the
 * rotate-half layout), with and without Llama 3's frequency scaling, at positions up to 100 000. Tolerance 1e-6: the
 * tables are F32 (6e-8 relative), the angles are computed in double on both sides.
 */
class RotaryReferenceTest {
    static final double TOLERANCE = 1e-6;

    static final int[] POSITIONS = {0, 1, 2, 7, 63, 255, 4096, 100_000};

    /** Llama 3.1 8B's rotary settings: θ = 500000, head 128, factor 8, low 1, high 4, original context 8192. */
    static ModelConfig llama31() {
        return new ModelConfig(
                "LlamaForCausalLM",
                300,
                1024,
                2048,
                1,
                8,
                2,
                128,
                1e-5,
                500000.0,
                Optional.of(new ModelConfig.RopeScaling(8.0, 1.0, 4.0, 8192)),
                false,
                false,
                131072,
                Optional.of(1),
                List.of(2),
                "float32");
    }

    @Test
    void tables_matchTheDefinition_forEveryConfigCovered() {
        double worst = 0;
        for (ModelConfig cfg : List.of(
                TestModels.tinyLlama(false, false),
                TestModels.tinyQwen2(),
                TestModels.tinyLlama3(),
                ReferenceForwardTest.llama3Scaled(),
                llama31())) {
            double[] inv = Naive.ropeInvFreq(cfg);
            float[][] t = new RotaryEmbedding(cfg).tables(POSITIONS);
            int d = cfg.headDim();
            for (int p = 0; p < POSITIONS.length; p++) {
                for (int i = 0; i < d / 2; i++) {
                    double angle = POSITIONS[p] * inv[i];
                    for (int idx : new int[] {i, i + d / 2}) {
                        double dc = Math.abs(t[0][p * d + idx] - Math.cos(angle));
                        double ds = Math.abs(t[1][p * d + idx] - Math.sin(angle));
                        worst = Math.max(worst, Math.max(dc, ds));
                        assertTrue(
                                dc < TOLERANCE && ds < TOLERANCE,
                                "head_dim " + d + " θ " + cfg.ropeTheta() + " " + cfg.ropeScaling()
                                        + ": position " + POSITIONS[p] + " index " + idx + " differs by "
                                        + Math.max(dc, ds));
                    }
                }
            }
        }
        System.out.printf("rotary tables against the definition: worst %.3g (tolerance %.0e)%n", worst, TOLERANCE);
    }
}
