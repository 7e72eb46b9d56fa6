package ai.adaptserve.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * load-tests/scenarios.json, the one file the k6 scripts read too: defaults, thresholds (with a scenario's overrides
 * merged over them) and the scenario's load and mix.
 */
record ScenarioFile(JsonNode root, String name, JsonNode scenario) {

    static final ObjectMapper JSON = new ObjectMapper();

    static ScenarioFile read(Path file, String name) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
        JsonNode s = root.path("scenarios").path(name);
        if (s.isMissingNode()) {
            List<String> names = new ArrayList<>();
            root.path("scenarios").fieldNames().forEachRemaining(names::add);
            throw new IllegalArgumentException("no scenario " + name + " in " + file + " (there are " + names + ")");
        }
        return new ScenarioFile(root, name, s);
    }

    JsonNode defaults() {
        return root.path("defaults");
    }

    JsonNode load() {
        return scenario.path("load");
    }

    String loadType() {
        return load().path("type").asText();
    }

    double mix(String kind) {
        return scenario.path("mix").path(kind).asDouble(0);
    }

    List<String> experts() {
        List<String> out = new ArrayList<>();
        defaults().path("experts").forEach(n -> out.add(n.asText()));
        return out;
    }

    int rowMin() {
        return defaults().path("task").path("row_min").asInt();
    }

    int rowMax() {
        return defaults().path("task").path("row_max").asInt();
    }

    int demos() {
        return defaults().path("task").path("demos").asInt();
    }

    /** The error rate allowed: the scenario's, else the file's. */
    double errorRateMax() {
        JsonNode own = scenario.path("thresholds").path("error_rate_max");
        return own.isNumber() ? own.asDouble() : root.path("thresholds").path("error_rate_max").asDouble();
    }

    /** Least share of well-formed 200 answers, when the scenario sets one (k6's checks rate). */
    Double checksMinRate() {
        JsonNode own = scenario.path("thresholds").path("checks_min_rate");
        return own.isNumber() ? own.asDouble() : null;
    }

    /** tier -> {p95, p99} in ms: the file's limits with the scenario's per-tier overrides merged over them. */
    Map<String, Map<String, Double>> latencyLimits() {
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        merge(out, root.path("thresholds").path("latency_ms"));
        merge(out, scenario.path("thresholds").path("latency_ms"));
        return out;
    }

    private static void merge(Map<String, Map<String, Double>> out, JsonNode tiers) {
        for (Iterator<Map.Entry<String, JsonNode>> it = tiers.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> tier = it.next();
            Map<String, Double> limits = out.computeIfAbsent(tier.getKey(), k -> new LinkedHashMap<>());
            tier.getValue().fields().forEachRemaining(e -> limits.put(e.getKey(), e.getValue().asDouble()));
        }
    }

    /** A k6 duration ("10s", "5m", "4h", "1m30s", "500ms"). */
    static Duration duration(String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)").matcher(text);
        double ms = 0;
        int end = 0;
        while (m.find()) {
            if (m.start() != end) {
                break;
            }
            double v = Double.parseDouble(m.group(1));
            ms += switch (m.group(2)) {
                case "ms" -> v;
                case "s" -> v * 1000;
                case "m" -> v * 60_000;
                default -> v * 3_600_000;
            };
            end = m.end();
        }
        if (end != text.length() || end == 0) {
            throw new IllegalArgumentException("not a duration: " + text);
        }
        return Duration.ofMillis(Math.round(ms));
    }
}
