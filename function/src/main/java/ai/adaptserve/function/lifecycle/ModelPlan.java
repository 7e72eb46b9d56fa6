package ai.adaptserve.function.lifecycle;

import ai.adaptserve.function.settings.AdaptServeConfig;
import ai.adaptserve.model.placement.ComputeDType;
import ai.adaptserve.model.placement.DeviceRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What loading the base model needs from the configuration ({@code adaptserve.model.*}): with it the load needs no
 * CDI bean, so {@link Main} can start it before Quarkus has read its configuration ({@link #guess}), and
 * {@link ModelLifecycle} keeps that load only if the configuration Quarkus then reads asks for the same one.
 *
 * @param path the checkpoint directory; absent: the built-in model under {@code cacheDir}
 * @param cacheDir where the built-in model is written
 * @param experts the experts' directory, if not the checkpoint's own
 * @param router the router's file, if not the checkpoint's own
 * @param device where the model runs
 * @param dtype the weights' compute type, if not the device's default
 */
record ModelPlan(
        Optional<Path> path,
        Path cacheDir,
        Optional<Path> experts,
        Optional<Path> router,
        DeviceRequest device,
        Optional<ComputeDType> dtype) {

    private static final String PREFIX = "adaptserve.model.";

    /** The plan the configuration asks for. */
    static ModelPlan of(AdaptServeConfig.Model config) {
        return new ModelPlan(
                config.path(), config.cacheDir(), config.experts(), config.router(), config.device(), config.dtype());
    }

    /** What a log line calls the model. */
    String source() {
        return path.map(Path::toString).orElse("the built-in model (" + cacheDir + ")");
    }

    /**
     * The plan Quarkus's configuration will most likely give, read before it exists: from the system properties, then
     * the environment ({@code ADAPTSERVE_MODEL_PATH} …), then the defaults ({@link AdaptServeConfig.Model}); the
     * application's own application.properties repeats those defaults. Empty when another source Quarkus reads
     * could decide (a {@code .env} or {@code config/application.properties} in {@code workingDir}, extra config
     * locations, a profile-specific {@code adaptserve.model.*} key) or a value is not plain (an expression, an
     * unknown device): then the load waits for the configuration, as without a guess. A wrong guess costs a second
     * load, never a wrong model: {@link ModelLifecycle} compares it with {@link #of} the real configuration.
     */
    static Optional<ModelPlan> guess(Map<String, String> properties, Map<String, String> env, Path workingDir) {
        if (Files.exists(workingDir.resolve(".env"))
                || Files.exists(workingDir.resolve("config").resolve("application.properties"))
                || properties.containsKey("quarkus.config.locations")
                || properties.containsKey("smallrye.config.locations")
                || env.containsKey("QUARKUS_CONFIG_LOCATIONS")
                || env.containsKey("SMALLRYE_CONFIG_LOCATIONS")
                || properties.keySet().stream().anyMatch(k -> k.startsWith("%") && k.contains(PREFIX))
                || env.keySet().stream().anyMatch(k -> k.startsWith("_") && k.contains("_ADAPTSERVE_MODEL_"))) {
            return Optional.empty();
        }
        Map<String, Optional<String>> values = new java.util.HashMap<>();
        for (String key : new String[] {"path", "cache-dir", "experts", "router", "device", "dtype"}) {
            Optional<String> value = value(properties, env, key);
            if (value.isPresent() && value.get().contains("${")) {
                return Optional.empty();
            }
            values.put(key, value);
        }
        Optional<DeviceRequest> device = parse(values.get("device").orElse("auto"), DeviceRequest.class);
        Optional<ComputeDType> dtype = values.get("dtype").flatMap(v -> parse(v, ComputeDType.class));
        if (device.isEmpty() || (values.get("dtype").isPresent() && dtype.isEmpty())) {
            return Optional.empty();
        }
        Path cacheDir = values.get("cache-dir")
                .map(Path::of)
                .orElse(Path.of(properties.getOrDefault("java.io.tmpdir", "/tmp"), "adaptserve", "builtin"));
        return Optional.of(new ModelPlan(
                values.get("path").map(Path::of),
                cacheDir,
                values.get("experts").map(Path::of),
                values.get("router").map(Path::of),
                device.get(),
                dtype));
    }

    /** A key's value as SmallRye Config reads it: the system property first, then the environment; empty is unset. */
    private static Optional<String> value(Map<String, String> properties, Map<String, String> env, String key) {
        String property = properties.get(PREFIX + key);
        String value = property != null
                ? property
                : env.get((PREFIX + key)
                        .toUpperCase(Locale.ROOT)
                        .replace('.', '_')
                        .replace('-', '_'));
        return Optional.ofNullable(value).map(String::trim).filter(v -> !v.isEmpty());
    }

    /** An enum constant by name, as the configuration's converter accepts it (any case, {@code -} for {@code _}). */
    private static <E extends Enum<E>> Optional<E> parse(String value, Class<E> type) {
        String name = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (E constant : type.getEnumConstants()) {
            if (constant.name().equals(name)) {
                return Optional.of(constant);
            }
        }
        return Optional.empty();
    }
}
