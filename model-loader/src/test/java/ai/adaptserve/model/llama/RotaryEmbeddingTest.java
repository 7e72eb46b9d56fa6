package ai.adaptserve.model.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.config.ModelConfig;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Llama 3's rope_scaling: long wavelengths slowed by the factor, short ones kept, the middle blended. */
class RotaryEmbeddingTest {

    static ModelConfig config(Optional<ModelConfig.RopeScaling> scaling) {
        return new ModelConfig(
                "LlamaForCausalLM",
                300,
                1024,
                2048,
                1,
                8,
                8,
                128,
                1e-5,
                500000.0,
                scaling,
                false,
                false,
                131072,
                Optional.of(1),
                List.of(2),
                "float32");
    }

    /** The rotation angle of frequency i at position 1 is the inverse frequency itself. */
    static double[] invFreq(ModelConfig cfg) {
        float[][] t = new RotaryEmbedding(cfg).tables(new int[] {1});
        double[] f = new double[cfg.headDim() / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = Math.atan2(t[1][i], t[0][i]);
        }
        return f;
    }

    @Test
    void tables_llama3Scaling_keepsHighSlowsLowBlendsMiddle() {
        var scaling = new ModelConfig.RopeScaling(8.0, 1.0, 4.0, 8192);
        double[] base = invFreq(config(Optional.empty()));
        double[] scaled = invFreq(config(Optional.of(scaling)));
        int kept = 0;
        int slowed = 0;
        int blended = 0;
        for (int i = 0; i < base.length; i++) {
            double wavelen = 2 * Math.PI / base[i];
            if (wavelen < 8192 / 4.0) {
                assertEquals(base[i], scaled[i], 1e-6, "high frequency " + i + " must not change");
                kept++;
            } else if (wavelen > 8192 / 1.0) {
                assertEquals(base[i] / 8, scaled[i], 1e-7, "low frequency " + i + " must be divided by 8");
                slowed++;
            } else {
                assertTrue(scaled[i] < base[i] && scaled[i] > base[i] / 8, "medium frequency " + i);
                blended++;
            }
        }
        assertTrue(kept > 0 && slowed > 0 && blended > 0, kept + "/" + slowed + "/" + blended);
    }

    @Test
    void tables_position0_isIdentityRotation() {
        float[][] t = new RotaryEmbedding(config(Optional.empty())).tables(new int[] {0});
        for (int i = 0; i < t[0].length; i++) {
            assertEquals(1f, t[0][i]);
            assertEquals(0f, t[1][i]);
        }
    }
}
