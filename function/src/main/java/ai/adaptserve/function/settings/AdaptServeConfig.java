package ai.adaptserve.function.settings;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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

    /** The decode engine: one batched decode loop over preallocated keys and values, shared by every request. */
    Engine engine();

    /** Test-time training: the LoRA trained on a request's {@code examples} or {@code document}. */
    Ttt ttt();

    /** Adapters once they are in the cache. */
    Adapters adapters();

    /** API keys, the tenant each one acts for, and how fast each key may call. */
    Auth auth();

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

        /**
         * A directory of SVF expert z-vectors, {@code <family>.safetensors}; by default {@code experts/} beside the
         * checkpoint, if there is one. Without experts no request is routed to one.
         */
        Optional<Path> experts();

        /** The task router's file; by default {@code router.safetensors} beside the checkpoint, if there is one. */
        Optional<Path> router();

        /**
         * The router's confidence threshold, 0 to 1, instead of the one stored with it: below it a prompt gets no
         * expert and the base model answers.
         */
        Optional<Double> routerThreshold();
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

        /** Most {@code examples} one request may carry. */
        @WithDefault("32")
        int maxExamples();

        /** Longest {@code input} or {@code output} of one example, in characters. */
        @WithDefault("2048")
        int maxExampleChars();

        /** Longest {@code document}, in characters; a longer one is answered with 413. */
        @WithDefault("65536")
        int maxDocumentChars();
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

    /**
     * The decode engine of the served checkpoint: one thread steps every running row together; a request waits (at
     * most {@code adaptserve.batch.max-queued} of them, for at most {@code adaptserve.batch.queue-timeout}) until its
     * samples' slots are free. {@code adaptserve.batch.max-concurrent} applies only to a served model that is not a
     * checkpoint (tests).
     */
    interface Engine {
        /**
         * Byte budget of the keys and values of all rows, preallocated at start-up: {@code slots = min(max-rows,
         * kv-bytes / bytes of one row of max-sequence-tokens positions)}. A request with more samples than slots is
         * answered 413.
         */
        @WithDefault("256M")
        MemorySize kvBytes();

        /** Most rows (samples of all requests) decoded at once. */
        @WithDefault("32")
        int maxRows();

        /** Positions of one row, prompt plus completion; capped at the model's context. */
        @WithDefault("2048")
        int maxSequenceTokens();

        /** Prompt tokens prefilled per engine step while other rows decode, so a long prompt does not stall them. */
        @WithDefault("256")
        int prefillChunk();

        /** Longest time a request may run in the engine; past it its rows end and it is answered 408. */
        @WithDefault("120s")
        Duration requestDeadline();
    }

    /**
     * Test-time training. Every value except {@code max-wall-time} and {@code wait-timeout} is part of the adapter's
     * id: changing one trains new adapters rather than reusing the old ones.
     */
    interface Ttt {
        /** LoRA rank of every target matrix. */
        @WithDefault("4")
        int rank();

        /** LoRA alpha; the update is scaled by alpha / rank. */
        @WithDefault("8")
        float alpha();

        /** AdamW learning rate. */
        @WithDefault("0.005")
        float learningRate();

        /** Most optimizer steps of one training (examples: one step per mini-batch; document: one per chunk). */
        @WithDefault("12")
        int steps();

        /** Examples per optimizer step. */
        @WithDefault("8")
        int batchSize();

        /**
         * Matrices of every layer that get a LoRA: {@code q}, {@code k}, {@code v}, {@code o}, {@code gate},
         * {@code up}, {@code down}.
         */
        @WithDefault("q,k,v,o,gate,up,down")
        List<String> targets();

        /** Also put a LoRA on the output head. */
        @WithDefault("false")
        boolean head();

        /** Seed of the LoRA initialisation and of the mini-batch order. */
        @WithDefault("0")
        long seed();

        /**
         * Colour relabellings added to the training set when the demonstrations are 1-D rows of digits (examples
         * only; reversal is always added).
         */
        @WithDefault("2")
        int relabels();

        /** Orders of the in-context demonstrations per leave-one-out task (examples only). */
        @WithDefault("2")
        int orders();

        /**
         * A safety net: a training still running after this long (setup included) is stopped and fails (503
         * {@code training_timeout}), and nothing is cached, because the adapter's id promises {@code steps} steps.
         * Not part of the id.
         */
        @WithDefault("60s")
        Duration maxWallTime();

        /**
         * How long a request waits for its adapter to be trained (here or on another instance) before it is answered
         * 503 with {@code Retry-After}; the training goes on and its adapter is cached. Not part of the id.
         */
        @WithDefault("120s")
        Duration waitTimeout();

        /**
         * Trainings run at the same time on this instance; more wait for a free trainer (their requests wait up to
         * {@code wait-timeout}). Training steps take turns on the engine anyway, so more than a few only adds memory.
         * Not part of the id.
         */
        @WithDefault("2")
        int maxConcurrent();

        /**
         * Right after the model loads, run one training step and one adapted forward pass (result discarded), so that
         * the first request that trains does not pay the engine's one-time set-up of autograd (seconds on CPU).
         */
        @WithDefault("true")
        boolean warmUp();

        /** Document test-time training. */
        Document document();

        /** Document test-time training (next-token prediction on the document, chunk by chunk). */
        interface Document {
            /** Tokens per chunk; one optimizer step each. */
            @WithDefault("64")
            int chunkTokens();

            /** Passes over the document (within {@code adaptserve.ttt.steps}). */
            @WithDefault("1")
            int passes();
        }
    }

    /** Adapters once they are in the cache. */
    interface Adapters {
        /**
         * No longer used, accepted so that old configurations still start (with a warning): parsed adapters are held by
         * the cache's memory tier, once, bounded by {@code adaptserve.cache.memory.max-bytes} (deprecated).
         */
        Optional<MemorySize> parsedCacheBytes();
    }

    /** API keys, the tenant each one acts for, and how fast each key may call. */
    interface Auth {
        /**
         * The API keys, one line per key: {@code <tenant> <sha256-hex-of-key> [admin]}; {@code #} starts a comment,
         * blank lines are skipped; read at start-up, and a malformed line stops it. When set, every request to the API
         * needs {@code Authorization: Bearer <key>} and acts for the key's tenant ({@code X-Tenant} counts for admin
         * keys only). When absent, the service is open and {@code X-Tenant} picks the tenant.
         */
        Optional<Path> keysFile();

        /** Requests per second one key may make, on average; past that it is answered 429 with {@code Retry-After}. */
        @WithDefault("10")
        double ratePerSecond();

        /** Requests one key may make at once before {@code rate-per-second} applies (its token bucket's size). */
        @WithDefault("20")
        int burst();
    }
}
