package ai.adaptserve.function.settings;

import ai.adaptserve.model.placement.ComputeDType;
import ai.adaptserve.model.placement.DeviceRequest;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.runtime.configuration.MemorySize;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/**
 * Checks {@link AdaptServeConfig} when the application starts, before the model is loaded: a bad value stops
 * start-up with a message naming its key, rather than failing on the first request.
 */
@ApplicationScoped
public class ConfigValidator {

    private static final Logger LOG = Logger.getLogger(ConfigValidator.class);

    static final String QUARKUS_MAX_BODY = "quarkus.http.limits.max-body-size";

    private final AdaptServeConfig config;
    private final Config rawConfig;

    ConfigValidator(AdaptServeConfig config, Config rawConfig) {
        this.config = config;
        this.rawConfig = rawConfig;
    }

    void onStart(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event) {
        Optional<Long> httpLimit =
                rawConfig.getOptionalValue(QUARKUS_MAX_BODY, MemorySize.class).map(MemorySize::asLongValue);
        validate(config, httpLimit);
        warnDeprecated(config);
    }

    /** Throws a {@link ConfigurationException} listing every problem of {@code config}, each naming its key. */
    public static void validate(AdaptServeConfig config, Optional<Long> httpMaxBodyBytes) {
        List<Problem> problems = problems(config, httpMaxBodyBytes);
        if (!problems.isEmpty()) {
            Set<String> keys = new LinkedHashSet<>();
            StringBuilder message = new StringBuilder("Invalid AdaptServe configuration:");
            for (Problem p : problems) {
                keys.add(p.key());
                message.append("\n  ").append(p.key()).append(": ").append(p.message());
            }
            throw new ConfigurationException(message.toString(), keys);
        }
    }

    /** Keys still accepted that no longer do anything. */
    private static void warnDeprecated(AdaptServeConfig config) {
        if (config.adapters().parsedCacheBytes().isPresent()) {
            LOG.warn("adaptserve.adapters.parsed-cache-bytes is no longer used and is ignored: parsed adapters are held"
                    + " once, by the adapter cache's memory tier (adaptserve.cache.memory.max-bytes)");
        }
    }

    /** One bad setting. */
    public record Problem(String key, String message) {}

    /** Every problem of {@code config}; empty when it is valid. */
    public static List<Problem> problems(AdaptServeConfig config, Optional<Long> httpMaxBodyBytes) {
        List<Problem> out = new ArrayList<>();
        String p = "adaptserve.";

        config.model().path().ifPresentOrElse(dir -> checkCheckpoint(dir, out), () -> checkCacheDir(config, out));
        if (config.model().device() == DeviceRequest.CPU
                && config.model().dtype().orElse(null) == ComputeDType.BF16) {
            out.add(new Problem(p + "model.dtype", "bf16 is not supported on the CPU (adaptserve.model.device=cpu)"));
        }
        config.model().routerThreshold().ifPresent(t -> {
            if (!(t >= 0 && t <= 1)) {
                out.add(new Problem(p + "model.router-threshold", "must be between 0 and 1, was " + t));
            }
        });
        config.model().experts().ifPresent(dir -> {
            if (!Files.isDirectory(dir)) {
                out.add(new Problem(p + "model.experts", "is not a directory: " + dir));
            }
        });
        config.model().router().ifPresent(file -> {
            if (!Files.isRegularFile(file)) {
                out.add(new Problem(p + "model.router", "is not a file: " + file));
            }
        });

        AdaptServeConfig.Limits limits = config.limits();
        atLeast(out, p + "limits.max-body-bytes", limits.maxBodyBytes(), 64);
        between(out, p + "limits.max-uri-bytes", limits.maxUriBytes(), 256, 65_536);
        between(out, p + "limits.max-header-bytes", limits.maxHeaderBytes(), 1024, 65_536);
        httpMaxBodyBytes.ifPresent(http -> {
            if (limits.maxBodyBytes() >= http) {
                out.add(new Problem(
                        p + "limits.max-body-bytes",
                        "must be below " + QUARKUS_MAX_BODY + " (" + http + " bytes), was " + limits.maxBodyBytes()
                                + "; raise " + QUARKUS_MAX_BODY + " too"));
            }
        });
        atLeast(out, p + "limits.max-prompt-chars", limits.maxPromptChars(), 1);
        atLeast(out, p + "limits.max-tokens", limits.maxTokens(), 1);
        atLeast(out, p + "limits.max-samples", limits.maxSamples(), 1);
        atLeast(out, p + "limits.max-examples", limits.maxExamples(), 2);
        atLeast(out, p + "limits.max-example-chars", limits.maxExampleChars(), 1);
        atLeast(out, p + "limits.max-document-chars", limits.maxDocumentChars(), 1);

        AdaptServeConfig.Defaults defaults = config.defaults();
        int maxTokens = defaults.maxTokens();
        if (maxTokens < 1 || maxTokens > limits.maxTokens()) {
            out.add(new Problem(
                    p + "defaults.max-tokens",
                    "must be between 1 and adaptserve.limits.max-tokens (" + limits.maxTokens() + "), was "
                            + maxTokens));
        }
        temperature(out, p + "defaults.temperature", defaults.temperature());
        temperature(out, p + "defaults.sampling-temperature", defaults.samplingTemperature());
        float topP = defaults.topP();
        if (!(topP > 0 && topP <= 1)) {
            out.add(new Problem(p + "defaults.top-p", "must be in (0, 1], was " + topP));
        }

        AdaptServeConfig.Batch batch = config.batch();
        atLeast(out, p + "batch.max-concurrent", batch.maxConcurrent(), 1);
        atLeast(out, p + "batch.max-queued", batch.maxQueued(), 0);
        notNegative(out, p + "batch.queue-timeout", batch.queueTimeout());
        notNegative(out, p + "batch.retry-after", batch.retryAfter());
        AdaptServeConfig.Engine engine = config.engine();
        atLeast(out, p + "engine.kv-bytes", engine.kvBytes().asLongValue(), 1);
        atLeast(out, p + "engine.max-rows", engine.maxRows(), 1);
        atLeast(out, p + "engine.max-sequence-tokens", engine.maxSequenceTokens(), 2);
        atLeast(out, p + "engine.prefill-chunk", engine.prefillChunk(), 1);
        notNegative(out, p + "engine.request-deadline", engine.requestDeadline());
        atLeast(out, p + "engine.stream-buffer-events", engine.streamBufferEvents(), 1);
        atLeast(
                out,
                p + "engine.prepared-adapter-bytes",
                engine.preparedAdapterBytes().asLongValue(),
                0);

        AdaptServeConfig.Ttt ttt = config.ttt();
        atLeast(out, p + "ttt.rank", ttt.rank(), 1);
        positive(out, p + "ttt.alpha", ttt.alpha());
        positive(out, p + "ttt.learning-rate", ttt.learningRate());
        atLeast(out, p + "ttt.steps", ttt.steps(), 1);
        atLeast(out, p + "ttt.batch-size", ttt.batchSize(), 1);
        atLeast(out, p + "ttt.relabels", ttt.relabels(), 0);
        atLeast(out, p + "ttt.orders", ttt.orders(), 1);
        targets(out, p + "ttt.targets", ttt.targets());
        if (!ttt.maxWallTime().isPositive()) {
            out.add(new Problem(p + "ttt.max-wall-time", "must be positive, was " + ttt.maxWallTime()));
        }
        notNegative(out, p + "ttt.wait-timeout", ttt.waitTimeout());
        atLeast(out, p + "ttt.max-concurrent", ttt.maxConcurrent(), 1);
        atLeast(out, p + "ttt.max-queued", ttt.maxQueued(), 0);
        atLeast(out, p + "ttt.max-running-per-tenant", ttt.maxRunningPerTenant(), 1);
        atLeast(out, p + "ttt.document.chunk-tokens", ttt.document().chunkTokens(), 1);
        atLeast(out, p + "ttt.document.passes", ttt.document().passes(), 1);
        atLeast(out, p + "ttt.document.max-steps", ttt.document().maxSteps(), 1);
        if (!ttt.document().maxWallTime().isPositive()) {
            out.add(new Problem(
                    p + "ttt.document.max-wall-time",
                    "must be positive, was " + ttt.document().maxWallTime()));
        }
        AdaptServeConfig.Cem cem = config.cem();
        atLeast(out, p + "cem.population", cem.population(), 2);
        atLeast(out, p + "cem.iterations", cem.iterations(), 1);
        if (!(cem.eliteRatio() > 0 && cem.eliteRatio() <= 1)) {
            out.add(new Problem(p + "cem.elite-ratio", "must be in (0, 1], was " + cem.eliteRatio()));
        }
        if (!(cem.initialStd() > 0) || Double.isInfinite(cem.initialStd())) {
            out.add(new Problem(p + "cem.initial-std", "must be a positive number, was " + cem.initialStd()));
        }
        return out;
    }

    private static void checkCheckpoint(Path dir, List<Problem> out) {
        String key = "adaptserve.model.path";
        if (!Files.exists(dir)) {
            out.add(new Problem(key, "no such directory: " + dir));
        } else if (!Files.isDirectory(dir)) {
            out.add(new Problem(key, "not a directory: " + dir));
        } else if (!Files.isRegularFile(dir.resolve("config.json"))) {
            out.add(new Problem(key, dir + " has no config.json; expected a Hugging Face checkpoint directory"));
        }
    }

    private static void checkCacheDir(AdaptServeConfig config, List<Problem> out) {
        String key = "adaptserve.model.cache-dir";
        Path dir = config.model().cacheDir().toAbsolutePath();
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            out.add(new Problem(key, "not a directory: " + dir));
            return;
        }
        Path existing = dir;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
            out.add(new Problem(
                    key, "cannot create or write " + dir + " (" + existing + " is not a writable directory)"));
        }
    }

    /** The HTTP server answers past 64 KiB itself (quarkus.http.limits.*), with an empty body. */
    private static void between(List<Problem> out, String key, long value, long min, long max) {
        if (value < min || value > max) {
            out.add(new Problem(key, "must be between " + min + " and " + max + ", was " + value));
        }
    }

    private static void atLeast(List<Problem> out, String key, long value, long min) {
        if (value < min) {
            out.add(new Problem(key, "must be at least " + min + ", was " + value));
        }
    }

    /** The names of {@code adaptserve.ttt.targets}: matrices of a layer, not the head (that is {@code ttt.head}). */
    static final List<String> TARGET_NAMES = List.of("q", "k", "v", "o", "gate", "up", "down");

    private static void targets(List<Problem> out, String key, List<String> targets) {
        if (targets.isEmpty()) {
            out.add(new Problem(key, "must name at least one matrix of " + TARGET_NAMES));
        }
        for (String t : targets) {
            if (!TARGET_NAMES.contains(t)) {
                out.add(new Problem(
                        key,
                        "unknown matrix '" + t + "'; known: " + String.join(", ", TARGET_NAMES)
                                + (t.equals("head") ? " (the head is adaptserve.ttt.head=true)" : "")));
            }
        }
        if (targets.size() != new LinkedHashSet<>(targets).size()) {
            out.add(new Problem(key, "names a matrix twice: " + targets));
        }
    }

    private static void positive(List<Problem> out, String key, float value) {
        if (!(value > 0) || Float.isInfinite(value)) {
            out.add(new Problem(key, "must be a finite number > 0, was " + value));
        }
    }

    private static void temperature(List<Problem> out, String key, float value) {
        if (!(value >= 0) || Float.isInfinite(value)) {
            out.add(new Problem(key, "must be a finite number >= 0, was " + value));
        }
    }

    private static void notNegative(List<Problem> out, String key, Duration value) {
        if (value.isNegative()) {
            out.add(new Problem(key, "must not be negative, was " + value));
        }
    }
}
