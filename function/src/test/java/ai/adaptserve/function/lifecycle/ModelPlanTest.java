package ai.adaptserve.function.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.placement.ComputeDType;
import ai.adaptserve.model.placement.DeviceRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model's plan as guessed in {@code main}, before Quarkus's configuration exists. */
class ModelPlanTest {

    private static final Map<String, String> TMP = Map.of("java.io.tmpdir", "/var/tmp");

    @TempDir
    Path workingDir;

    @Test
    void guess_nothingSet_builtinModelUnderTheDefaultCacheDir() {
        // Given no adaptserve.model.* anywhere, when the plan is guessed, then it is the configuration's defaults
        assertEquals(
                Optional.of(new ModelPlan(
                        Optional.empty(),
                        Path.of("/var/tmp/adaptserve/builtin"),
                        Optional.empty(),
                        Optional.empty(),
                        DeviceRequest.AUTO,
                        Optional.empty())),
                ModelPlan.guess(TMP, Map.of(), workingDir));
    }

    @Test
    void guess_environmentAndProperties_propertyWinsAsInSmallRyeConfig() {
        // Given a path in both, a cache dir and a dtype in the environment, a device as a property
        Map<String, String> properties = Map.of(
                "java.io.tmpdir", "/var/tmp",
                "adaptserve.model.path", "/models/a",
                "adaptserve.model.device", "cpu");
        Map<String, String> env = Map.of(
                "ADAPTSERVE_MODEL_PATH", "/models/b",
                "ADAPTSERVE_MODEL_CACHE_DIR", "/cache",
                "ADAPTSERVE_MODEL_EXPERTS", "/experts",
                "ADAPTSERVE_MODEL_DTYPE", "F16");
        // When the plan is guessed, then the property wins and the rest comes from the environment
        assertEquals(
                Optional.of(new ModelPlan(
                        Optional.of(Path.of("/models/a")),
                        Path.of("/cache"),
                        Optional.of(Path.of("/experts")),
                        Optional.empty(),
                        DeviceRequest.CPU,
                        Optional.of(ComputeDType.F16))),
                ModelPlan.guess(properties, env, workingDir));
    }

    @Test
    void guess_emptyValue_unsetAsInSmallRyeConfig() {
        // Given an empty path, when the plan is guessed, then it is the built-in model
        assertEquals(
                Optional.empty(),
                ModelPlan.guess(TMP, Map.of("ADAPTSERVE_MODEL_PATH", " "), workingDir)
                        .orElseThrow()
                        .path());
    }

    @Test
    void guess_whatOnlyQuarkusCanResolve_noGuess() throws IOException {
        // Given values or sources only Quarkus's configuration resolves, when the plan is guessed, then there is none
        assertTrue(ModelPlan.guess(Map.of("adaptserve.model.path", "${HOME}/m"), Map.of(), workingDir)
                .isEmpty());
        assertTrue(ModelPlan.guess(TMP, Map.of("ADAPTSERVE_MODEL_DEVICE", "tpu"), workingDir)
                .isEmpty());
        assertTrue(ModelPlan.guess(TMP, Map.of("ADAPTSERVE_MODEL_DTYPE", "f8"), workingDir)
                .isEmpty());
        assertTrue(ModelPlan.guess(Map.of("%prod.adaptserve.model.path", "/m"), Map.of(), workingDir)
                .isEmpty());
        assertTrue(ModelPlan.guess(TMP, Map.of("_PROD_ADAPTSERVE_MODEL_PATH", "/m"), workingDir)
                .isEmpty());
        assertTrue(ModelPlan.guess(TMP, Map.of("QUARKUS_CONFIG_LOCATIONS", "/etc/a.properties"), workingDir)
                .isEmpty());
        assertTrue(ModelPlan.guess(TMP, Map.of(), workingDir).isPresent());
        Files.writeString(workingDir.resolve(".env"), "ADAPTSERVE_MODEL_PATH=/m\n");
        assertTrue(ModelPlan.guess(TMP, Map.of(), workingDir).isEmpty());
    }
}
