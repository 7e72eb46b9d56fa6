package ai.adaptserve.model.generate;

import java.util.List;

/**
 * Decoding settings for one prompt.
 *
 * @param maxTokens most tokens to generate (at least 1)
 * @param temperature 0 means greedy; otherwise logits are divided by it before sampling
 * @param topP nucleus mass in (0, 1]; 1 disables the cut
 * @param stop strings that end generation; the stop string itself is not returned
 * @param seed seed of this prompt's sampler, so equal requests give equal answers
 * @param listener hears each token as it is chosen (streaming, cancellation); {@link TokenListener#NONE} by default
 */
public record GenerationParams(
        int maxTokens, float temperature, float topP, List<String> stop, long seed, TokenListener listener) {

    public GenerationParams(int maxTokens, float temperature, float topP, List<String> stop, long seed) {
        this(maxTokens, temperature, topP, stop, seed, TokenListener.NONE);
    }

    public GenerationParams {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1, was " + maxTokens);
        }
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, was " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], was " + topP);
        }
        stop = stop == null ? List.of() : List.copyOf(stop);
        listener = listener == null ? TokenListener.NONE : listener;
    }

    /** These settings with {@code listener} hearing the tokens. */
    public GenerationParams withListener(TokenListener listener) {
        return new GenerationParams(maxTokens, temperature, topP, stop, seed, listener);
    }

    public static GenerationParams greedy(int maxTokens) {
        return new GenerationParams(maxTokens, 0f, 1f, List.of(), 0L);
    }

    /**
     * The seed of sample {@code sample} of a request seeded {@code seed}: sample 0 the seed as it is, the others
     * well-mixed seeds derived from it (SplitMix64), as the service and the lab's eval both draw them.
     */
    public static long sampleSeed(long seed, int sample) {
        if (sample == 0) {
            return seed;
        }
        long z = seed + sample * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
