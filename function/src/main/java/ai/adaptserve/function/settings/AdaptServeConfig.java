package ai.adaptserve.function.settings;

import ai.adaptserve.model.placement.ComputeDType;
import ai.adaptserve.model.placement.DeviceRequest;
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

    /** The CEM search over expert mixtures ({@code "adapter": "cem"}). */
    Cem cem();

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

        /**
         * Where the model runs: {@code auto} (the first GPU when libtorch sees one, else the CPU), {@code cpu}, or
         * {@code gpu} (no GPU is then a start-up error). A GPU needs the CUDA build of libtorch (docs/deploy.md).
         */
        @WithDefault("auto")
        DeviceRequest device();

        /**
         * The weights' compute type: {@code f32}, {@code f16} or {@code bf16}. Absent: f16 on a GPU, f32 on the CPU.
         * {@code bf16} is refused on the CPU (BF16 tensors crash the CPU libtorch).
         */
        Optional<ComputeDType> dtype();
    }

    /** Limits on what one request may ask for. */
    interface Limits {
        /** Largest request body, in bytes; a larger one is answered with 413. */
        @WithDefault("1048576")
        long maxBodyBytes();

        /**
         * Longest request target (path and query), in bytes; a longer one is answered with 414. At most 65536, the
         * HTTP server's own limit ({@code quarkus.http.limits.max-initial-line-length}).
         */
        @WithDefault("8192")
        int maxUriBytes();

        /**
         * Largest sum of the request's header names and values, in bytes; a larger one is answered with 431. At most
         * 65536, the HTTP server's own limit ({@code quarkus.http.limits.max-header-size}).
         */
        @WithDefault("16384")
        int maxHeaderBytes();

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

        /**
         * Events a streaming response may hold unwritten. The engine's thread only hands tokens to the stream's own
         * writer; a client that falls this far behind has its generation cancelled (its rows end and free their
         * slots, as when it disconnects) and, if it is still there, gets an {@code error} event {@code
         * client_too_slow} after what was queued.
         */
        @WithDefault("256")
        int streamBufferEvents();

        /**
         * Bytes of adapters prepared for the forward pass (a LoRA's factors, a z-vector's scaled singular values, as
         * tensors) kept across requests, least recently used out first; an adapter a running row uses is closed only
         * once its rows are done. 0 prepares each adapter per batch.
         */
        @WithDefault("64M")
        MemorySize preparedAdapterBytes();
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
         * Trainings waiting for a free trainer on this instance; when every trainer is busy and this many wait, a
         * request that needs a new training is answered 429 {@code overloaded} with {@code Retry-After} at once. A
         * waiting training holds neither the fleet lock nor its wall-time budget. Not part of the id.
         */
        @WithDefault("8")
        int maxQueued();

        /**
         * Trainings of one tenant running at the same time on this instance (requests without a tenant share one);
         * a tenant at its limit waits in the queue while other tenants' trainings run. Not part of the id.
         */
        @WithDefault("2")
        int maxRunningPerTenant();

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

            /**
             * Passes over the document: a document gets {@code chunks × passes} optimizer steps (not
             * {@code adaptserve.ttt.steps}), so all of it is learnt.
             */
            @WithDefault("2")
            int passes();

            /**
             * Most optimizer steps one document may need ({@code chunks × passes}); a document that needs more is
             * refused with 413 {@code document_too_long} naming {@code document}, before anything is trained. The
             * default covers 64K one-byte tokens at the default chunk length and passes. Not part of the id.
             */
            @WithDefault("2048")
            int maxSteps();

            /**
             * A document's training still running after this long is stopped and fails (503 {@code training_timeout},
             * nothing cached); it replaces {@code adaptserve.ttt.max-wall-time} for documents, which need more steps
             * than examples. Not part of the id.
             */
            @WithDefault("5m")
            Duration maxWallTime();
        }
    }

    /**
     * Transformer²'s few-shot strategy ({@code "adapter": "cem"}): a cross-entropy-method search over the mixture
     * weights of the experts' z-vectors, scored on the request's leave-one-out examples. Every value is part of the
     * id of the mixture it finds.
     */
    interface Cem {
        /** Candidate mixtures per iteration. */
        @WithDefault("8")
        int population();

        /** Iterations of the search (its wall time is bounded by {@code adaptserve.ttt.max-wall-time}). */
        @WithDefault("4")
        int iterations();

        /** Share of each iteration's best candidates that set the next mean and spread, in (0, 1]. */
        @WithDefault("0.25")
        double eliteRatio();

        /** Starting standard deviation of every mixture weight (the mean starts at the uniform mixture). */
        @WithDefault("0.3")
        double initialStd();

        /** Seed of the candidates. */
        @WithDefault("0")
        long seed();
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
