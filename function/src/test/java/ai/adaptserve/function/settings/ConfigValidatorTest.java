package ai.adaptserve.function.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.placement.ComputeDType;
import ai.adaptserve.model.placement.DeviceRequest;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad configuration stops start-up with a message naming the key; the defaults are valid. Only the values each test
 * gives are read: no system property or ADAPTSERVE_* environment variable of the machine running the tests.
 */
class ConfigValidatorTest {

    @TempDir
    Path tmp;

    private AdaptServeConfig config(Map<String, String> values) {
        Map<String, String> all = new HashMap<>();
        all.put("adaptserve.model.cache-dir", tmp.resolve("builtin").toString());
        all.putAll(values);
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .addDefaultInterceptors()
                .withConverter(Duration.class, 200, new DurationConverter())
                .withConverter(MemorySize.class, 200, new MemorySizeConverter())
                .withSources(new PropertiesConfigSource(all, "test", 500))
                .withMapping(AdaptServeConfig.class)
                .build();
        return config.getConfigMapping(AdaptServeConfig.class);
    }

    private static List<String> keys(AdaptServeConfig config) {
        return ConfigValidator.problems(config, Optional.of(16L << 20)).stream()
                .map(ConfigValidator.Problem::key)
                .toList();
    }

    @Test
    void problems_defaults_none() {
        AdaptServeConfig config = config(Map.of());
        assertEquals(List.of(), ConfigValidator.problems(config, Optional.of(16L << 20)));
        assertEquals(1 << 20, config.limits().maxBodyBytes());
        assertEquals(4, config.batch().maxConcurrent());
        assertEquals(Duration.ofSeconds(30), config.batch().queueTimeout());
    }

    @Test
    void problems_bf16OnTheCpu_namesDtypeKey_f16AndGpuBf16Pass() {
        assertEquals(
                List.of("adaptserve.model.dtype"),
                keys(config(Map.of("adaptserve.model.device", "cpu", "adaptserve.model.dtype", "bf16"))));
        assertEquals(
                List.of(), keys(config(Map.of("adaptserve.model.device", "cpu", "adaptserve.model.dtype", "f16"))));
        // Whether a GPU is there is known once libtorch is loaded (PlacementRule); here only the stated combination.
        assertEquals(
                List.of(), keys(config(Map.of("adaptserve.model.device", "gpu", "adaptserve.model.dtype", "bf16"))));
    }

    @Test
    void config_deviceAndDtype_parsedFromLowerCase() {
        AdaptServeConfig config = config(Map.of("adaptserve.model.device", "gpu", "adaptserve.model.dtype", "f16"));
        assertEquals(DeviceRequest.GPU, config.model().device());
        assertEquals(Optional.of(ComputeDType.F16), config.model().dtype());
        assertEquals(DeviceRequest.AUTO, config(Map.of()).model().device());
        assertEquals(Optional.empty(), config(Map.of()).model().dtype());
    }

    @Test
    void validate_missingModelPath_failsNamingKey() {
        AdaptServeConfig config =
                config(Map.of("adaptserve.model.path", tmp.resolve("nope").toString()));
        ConfigurationException e =
                assertThrows(ConfigurationException.class, () -> ConfigValidator.validate(config, Optional.empty()));
        assertTrue(e.getMessage().contains("adaptserve.model.path"), e.getMessage());
        assertTrue(e.getConfigKeys().contains("adaptserve.model.path"));
    }

    @Test
    void problems_modelPathWithoutConfigJson_namesKey() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("empty-checkpoint"));
        assertEquals(List.of("adaptserve.model.path"), keys(config(Map.of("adaptserve.model.path", dir.toString()))));
    }

    @Test
    void problems_modelPathWithConfigJson_none() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("checkpoint"));
        Files.writeString(dir.resolve("config.json"), "{}");
        assertEquals(List.of(), keys(config(Map.of("adaptserve.model.path", dir.toString()))));
    }

    @Test
    void problems_cacheDirIsAFile_namesKey() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertEquals(
                List.of("adaptserve.model.cache-dir"),
                keys(config(Map.of("adaptserve.model.cache-dir", file.toString()))));
    }

    @Test
    void problems_negativeLimits_nameEachKey() {
        AdaptServeConfig config = config(Map.of(
                "adaptserve.limits.max-prompt-chars", "-1",
                "adaptserve.limits.max-body-bytes", "-5",
                "adaptserve.batch.max-concurrent", "0",
                "adaptserve.batch.queue-timeout", "-1s"));
        List<String> keys = keys(config);
        assertTrue(keys.contains("adaptserve.limits.max-prompt-chars"), keys.toString());
        assertTrue(keys.contains("adaptserve.limits.max-body-bytes"), keys.toString());
        assertTrue(keys.contains("adaptserve.batch.max-concurrent"), keys.toString());
        assertTrue(keys.contains("adaptserve.batch.queue-timeout"), keys.toString());
    }

    @Test
    void problems_defaultMaxTokensAboveLimit_namesKey() {
        AdaptServeConfig config =
                config(Map.of("adaptserve.limits.max-tokens", "16", "adaptserve.defaults.max-tokens", "64"));
        assertEquals(List.of("adaptserve.defaults.max-tokens"), keys(config));
    }

    @Test
    void problems_topPOutOfRange_namesKey() {
        assertEquals(List.of("adaptserve.defaults.top-p"), keys(config(Map.of("adaptserve.defaults.top-p", "0"))));
    }

    @Test
    void problems_bodyLimitNotBelowHttpLimit_namesKey() {
        AdaptServeConfig config = config(Map.of("adaptserve.limits.max-body-bytes", Long.toString(16L << 20)));
        assertEquals(List.of("adaptserve.limits.max-body-bytes"), keys(config));
    }

    @Test
    void problems_defaults_tttTrainsQuickly() {
        AdaptServeConfig.Ttt ttt = config(Map.of()).ttt();
        assertEquals(4, ttt.rank());
        assertEquals(12, ttt.steps());
        assertEquals(List.of("q", "k", "v", "o", "gate", "up", "down"), ttt.targets());
        // Folded into adaptserve.cache.memory.max-bytes: accepted, unused, no default.
        assertTrue(config(Map.of()).adapters().parsedCacheBytes().isEmpty());
    }

    @Test
    void problems_badTtt_nameEachKey() {
        AdaptServeConfig config = config(Map.of(
                "adaptserve.ttt.rank", "0",
                "adaptserve.ttt.learning-rate", "-1",
                "adaptserve.ttt.targets", "q,head",
                "adaptserve.ttt.max-wall-time", "0s",
                "adaptserve.ttt.document.chunk-tokens", "0",
                "adaptserve.limits.max-examples", "1"));
        assertEquals(
                List.of(
                        "adaptserve.limits.max-examples",
                        "adaptserve.ttt.rank",
                        "adaptserve.ttt.learning-rate",
                        "adaptserve.ttt.targets",
                        "adaptserve.ttt.max-wall-time",
                        "adaptserve.ttt.document.chunk-tokens"),
                keys(config));
    }
}
