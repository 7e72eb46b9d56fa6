package ai.adaptserve.model.llama;

import ai.adaptserve.model.config.ModelConfig;

/**
 * Rotary position frequencies, Hugging Face's "rotate half" layout, with Llama 3's frequency scaling when the
 * checkpoint asks for it. Tables are computed in Java (double precision) and handed to the engine per step.
 */
public final class RotaryEmbedding {
    private final double[] invFreq;
    private final int headDim;

    public RotaryEmbedding(ModelConfig cfg) {
        this.headDim = cfg.headDim();
        int half = headDim / 2;
        invFreq = new double[half];
        for (int i = 0; i < half; i++) {
            invFreq[i] = 1.0 / Math.pow(cfg.ropeTheta(), (2.0 * i) / headDim);
        }
        cfg.ropeScaling().ifPresent(rs -> {
            // transformers' _compute_llama3_parameters
            double lowWavelen = rs.originalMaxPositionEmbeddings() / rs.lowFreqFactor();
            double highWavelen = rs.originalMaxPositionEmbeddings() / rs.highFreqFactor();
            for (int i = 0; i < half; i++) {
                double wavelen = 2 * Math.PI / invFreq[i];
                if (wavelen > lowWavelen) {
                    invFreq[i] = invFreq[i] / rs.factor();
                } else if (wavelen >= highWavelen) {
                    double smooth = (rs.originalMaxPositionEmbeddings() / wavelen - rs.lowFreqFactor())
                            / (rs.highFreqFactor() - rs.lowFreqFactor());
                    invFreq[i] = (1 - smooth) * invFreq[i] / rs.factor() + smooth * invFreq[i];
                }
            }
        });
    }

    /** cos and sin for each position, {@code [positions.length, headDim]} flattened, each half repeated. */
    public float[][] tables(int[] positions) {
        float[] cos = new float[positions.length * headDim];
        float[] sin = new float[positions.length * headDim];
        int half = headDim / 2;
        for (int p = 0; p < positions.length; p++) {
            for (int i = 0; i < half; i++) {
                double angle = positions[p] * invFreq[i];
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                int base = p * headDim;
                cos[base + i] = c;
                cos[base + i + half] = c;
                sin[base + i] = s;
                sin[base + i + half] = s;
            }
        }
        return new float[][] {cos, sin};
    }
}
