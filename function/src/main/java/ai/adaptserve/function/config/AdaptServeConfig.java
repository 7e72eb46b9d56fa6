package ai.adaptserve.function.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Settings of the AdaptServe function, under the {@code adaptserve} prefix. Every value is checked at start-up by
 * {@link ConfigValidator}: a bad one stops the application with a message naming its key.
 */
@ConfigMapping(prefix = "adaptserve")
public interface AdaptServeConfig {

    /** The base model. */
    Model model();

    /** Limits on what one request may ask for. */
    Limits limits();

    /** Values used when a request leaves a decoding setting out. */
    Defaults defaults();

    /** Admission control: how many generations run at once and how many wait. */
    Batch batch();

    /** The base model. */
    interface Model {
        /**
         * A Hugging Face-format checkpoint directory (config.json, *.safetensors, tokenizer.json). When absent, the
         * built-in model is written under {@code adaptserve.model.cache-dir} and served.
         */
        Optional<Path> path();

        /** Where the built-in model is written when {@code adaptserve.model.path} is not set. */
        @WithDefault("${java.io.tmpdir}/adaptserve/builtin")
        Path cacheDir();
    }

    /** Limits on what one request may ask for. */
    interface Limits {
        /** Largest request body, in bytes; a larger one is answered with 413. */
        @WithDefault("1048576")
        long maxBodyBytes();

        /** Longest {@code prompt}, in characters; a longer one is answered with 413. */
        @WithDefault("32768")
        int maxPromptChars();

        /** Largest {@code max_tokens} a request may ask for. */
        @WithDefault("1024")
        int maxTokens();

        /** Largest {@code samples} (candidates generated for one request). */
        @WithDefault("16")
        int maxSamples();
    }

    /** Values used when a request leaves a decoding setting out. */
    interface Defaults {
        /** {@code max_tokens} when the request gives none; at most {@code adaptserve.limits.max-tokens}. */
        @WithDefault("64")
        int maxTokens();

        /** {@code temperature} when the request gives none and asks for one sample; 0 decodes greedily. */
        @WithDefault("0")
        float temperature();

        /**
         * {@code temperature} when the request gives none and asks for more than one sample (greedy candidates
         * would all be equal).
         */
        @WithDefault("0.7")
        float samplingTemperature();

        /** {@code top_p} when the request gives none; in (0, 1]. */
        @WithDefault("1")
        float topP();
    }

    /** Admission control: how many generations run at once and how many wait. */
    interface Batch {
        /** Generations allowed to run at the same time. */
        @WithDefault("4")
        int maxConcurrent();

        /** Requests allowed to wait for a free slot; past that a request is answered with 429 at once. */
        @WithDefault("16")
        int maxQueued();

        /** Longest wait for a free slot before a request is answered with 429. */
        @WithDefault("30s")
        Duration queueTimeout();

        /** The {@code Retry-After} sent with a 429, rounded up to whole seconds. */
        @WithDefault("1s")
        Duration retryAfter();
    }
}
