package ai.adaptserve.load;

import static io.gatling.javaapi.core.CoreDsl.*;
import static io.gatling.javaapi.http.HttpDsl.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.OpenInjectionStep;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs one scenario of load-tests/scenarios.json (environment SCENARIO) against BASE_URL with Gatling's open-model
 * injection: the k6 scripts' requests, mix, seeds and thresholds, from the same file. bin/load-test is the front end.
 *
 * <p>Environment (as the k6 scripts, plus scaling for a small machine): SCENARIO, BASE_URL, API_KEY, SEED,
 * METRICS_URLS, SUMMARY_JSON, SCENARIOS_FILE; RATE_SCALE and DURATION_SCALE multiply every arrival rate and every
 * duration; HOT_ADAPTERS overrides defaults.hot_adapters; STORM_TASKS and STORM_CLIENTS override a storm's size.
 */
public class ScenarioSimulation extends Simulation {

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    private final ScenarioFile file =
            ScenarioFile.read(Path.of(env("SCENARIOS_FILE", "../scenarios.json")), env("SCENARIO", "smoke"));
    private final JsonNode d = file.defaults();
    private final String baseUrl = env("BASE_URL", d.path("base_url").asText()).replaceAll("/+$", "");
    private final String seed = env("SEED", d.path("seed").asText());
    private final double rateScale = Double.parseDouble(env("RATE_SCALE", "1"));
    private final double durationScale = Double.parseDouble(env("DURATION_SCALE", "1"));
    private final int hotAdapters = Integer.parseInt(env("HOT_ADAPTERS", d.path("hot_adapters").asText()));
    private final List<String> metricsUrls = List.of(env("METRICS_URLS", "").split(",")).stream()
            .filter(s -> !s.isBlank())
            .toList();
    private final Path summaryFile = Path.of(env("SUMMARY_JSON", file.name() + "-summary.json"));

    private final Tally tally = new Tally();
    private final ServiceClient client = new ServiceClient(baseUrl, System.getenv("API_KEY"));
    private final AtomicLong iterations = new AtomicLong();
    private final AtomicLong stormClients = new AtomicLong();
    private final Zipf docZipf = new Zipf(
            d.path("document").path("pool").asInt(),
            d.path("document").path("zipf_exponent").asDouble());

    private volatile List<Target> targets = List.of();
    private volatile Zipf hotZipf;
    private Long trainingsBefore;
    private long startNanos;

    /** A hot target: an adapter trained in before() (requested by id) or an expert (requested by task family). */
    record Target(String adapterId, String taskSeed, String family) {}

    public ScenarioSimulation() {
        HttpProtocolBuilder protocol = http.baseUrl(baseUrl)
                .acceptHeader("application/json")
                .contentTypeHeader("application/json")
                .shareConnections();
        if (System.getenv("API_KEY") != null) {
            protocol = protocol.authorizationHeader("Bearer " + System.getenv("API_KEY"));
        }
        ScenarioBuilder scn = scenario(file.name()).exec(body());
        PopulationBuilder population = scn.injectOpen(injection());
        setUp(population)
                .protocols(protocol)
                .maxDuration(maxDuration())
                .assertions(global().failedRequests().percent().lte(file.errorRateMax() * 100));
    }

    // ------------------------------------------------------------------------------------------ before / after

    @Override
    public void before() {
        System.out.printf(
                "[load-test] %s against %s (seed %s, rate x%s, durations x%s)%n",
                file.name(), baseUrl, seed, rateScale, durationScale);
        List<Target> t = new ArrayList<>();
        file.experts().forEach(f -> t.add(new Target(null, null, f)));
        if (file.mix("hot") > 0) {
            for (int i = 0; i < hotAdapters; i++) {
                String taskSeed = seed + ":hot-adapter:" + i;
                Tasks.FewShotTask task = Tasks.novelTask(taskSeed, file.demos(), file.rowMin(), file.rowMax());
                ServiceClient.Answer a = client.generate(fewShot(task), Duration.ofMinutes(5));
                if (a.adapterId() == null) {
                    throw new IllegalStateException(
                            "setup: hot adapter " + i + " not trained (HTTP " + a.status() + ") at " + baseUrl);
                }
                t.add(new Target(a.adapterId(), taskSeed, null));
            }
        }
        Rng r = new Rng(seed + ":ranking");
        for (int i = t.size() - 1; i > 0; i--) {
            int j = (int) Math.floor(r.next() * (i + 1));
            Target x = t.get(i);
            t.set(i, t.get(j));
            t.set(j, x);
        }
        targets = List.copyOf(t);
        hotZipf = new Zipf(targets.size(), d.path("zipf_exponent").asDouble());
        trainingsBefore = metricsUrls.isEmpty() ? null : client.trainingsStarted(metricsUrls);
        startNanos = System.nanoTime();
    }

    @Override
    public void after() {
        double wall = (System.nanoTime() - startNanos) / 1e9;
        Long started = null;
        if (trainingsBefore != null) {
            Long after = client.trainingsStarted(metricsUrls);
            started = after == null ? null : after - trainingsBefore;
        }
        Long expected = "storm".equals(file.loadType()) ? (long) stormTasks() * file.load().path("rounds").asInt(1) : null;
        ObjectNode summary = tally.summary(file, started, expected, wall);
        summary.put("base_url", baseUrl);
        summary.put("seed", seed);
        summary.put("rate_scale", rateScale);
        summary.put("duration_scale", durationScale);
        summary.set("load", file.load());
        summary.set("mix", file.scenario().path("mix"));
        summary.put("finished", java.time.Instant.now().toString());
        try {
            Files.writeString(summaryFile, ScenarioFile.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(summary));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        System.out.print(Tally.report(summary));
        System.out.println("  summary: " + summaryFile.toAbsolutePath());
    }

    // ------------------------------------------------------------------------------------------ injection

    private Duration scaled(String k6Duration) {
        return Duration.ofMillis(Math.max(1000, Math.round(ScenarioFile.duration(k6Duration).toMillis() * durationScale)));
    }

    /** Arrivals per second of a k6 rate per time_unit, scaled. */
    private double perSecond(double rate) {
        double unit = ScenarioFile.duration(file.load().path("time_unit").asText("1s")).toMillis() / 1000.0;
        return rate / unit * rateScale;
    }

    private int stormTasks() {
        return Integer.parseInt(env("STORM_TASKS", file.load().path("tasks").asText()));
    }

    private int stormClients() {
        return Integer.parseInt(env("STORM_CLIENTS", file.load().path("clients_per_task").asText()));
    }

    private OpenInjectionStep[] injection() {
        JsonNode load = file.load();
        return switch (file.loadType()) {
            case "iterations" -> new OpenInjectionStep[] {atOnceUsers(load.path("clients").asInt(1))};
            case "storm" -> new OpenInjectionStep[] {atOnceUsers(stormTasks() * stormClients())};
            case "constant-rate" -> new OpenInjectionStep[] {
                constantUsersPerSec(perSecond(load.path("rate").asDouble())).during(scaled(load.path("duration").asText()))
            };
            case "ramping-rate" -> {
                List<OpenInjectionStep> steps = new ArrayList<>();
                double from = perSecond(load.path("start_rate").asDouble());
                for (JsonNode stage : load.path("stages")) {
                    double to = perSecond(stage.path("target").asDouble());
                    steps.add(rampUsersPerSec(from).to(to).during(scaled(stage.path("duration").asText())));
                    from = to;
                }
                yield steps.toArray(OpenInjectionStep[]::new);
            }
            default -> throw new IllegalArgumentException("unknown load type " + file.loadType());
        };
    }

    private Duration maxDuration() {
        JsonNode load = file.load();
        if (load.has("max_duration")) {
            return scaled(load.path("max_duration").asText()).plusMinutes(1);
        }
        // arrivals stop at the end of the last stage; let the last requests finish
        long ms = 0;
        if (load.has("duration")) {
            ms = scaled(load.path("duration").asText()).toMillis();
        }
        for (JsonNode stage : load.path("stages")) {
            ms += scaled(stage.path("duration").asText()).toMillis();
        }
        return Duration.ofMillis(ms).plus(ScenarioFile.duration(d.path("request_timeout").asText()));
    }

    // ------------------------------------------------------------------------------------------ requests

    private ChainBuilder body() {
        return switch (file.loadType()) {
            case "iterations" -> new Smoke(this).chain();
            case "storm" -> stormChain();
            default -> exec(this::drawFromMix).exec(generate());
        };
    }

    /** Client v sends task v mod tasks of each round; a task's first client counts it (cold-storm.ts). */
    private ChainBuilder stormChain() {
        return exec(s -> s.set("client", stormClients.getAndIncrement()))
                .repeat(file.load().path("rounds").asInt(1), "round")
                .on(exec(s -> {
                            long v = s.getLong("client");
                            int round = s.getInt("round");
                            boolean first = v < stormTasks();
                            return cold(s, seed + ":storm:" + round + ":" + (v % stormTasks()), first);
                        })
                        .exec(generate()));
    }

    /** One request drawn from the scenario's mix (workload.ts iterate). */
    private Session drawFromMix(Session s) {
        long i = iterations.getAndIncrement();
        Rng r = new Rng(seed + ":" + file.name() + ":" + i);
        double hot = file.mix("hot");
        double cold = file.mix("cold");
        double total = hot + cold + file.mix("document");
        double u = r.next() * total;
        if (u < hot) {
            return hot(s, r);
        } else if (u < hot + cold) {
            return cold(s, seed + ":cold:" + file.name() + ":" + i, true);
        }
        Tasks.Document doc = Tasks.documentFor(
                seed + ":document:" + docZipf.sample(r), d.path("document").path("chars").asInt());
        return request(s, "document", json("prompt", doc.question(), "document", doc.document()), null);
    }

    private Session hot(Session s, Rng r) {
        Target t = targets.get(hotZipf.sample(r));
        if (t.family() != null) {
            Tasks.ExpertPrompt p = Tasks.expertPrompt(r, t.family(), file.rowMin(), file.rowMax());
            return request(s, "hot", json("prompt", p.prompt(), "task", t.family()), p.expected());
        }
        Tasks.NovelRule rule = Tasks.novelRule(new Rng(t.taskSeed()));
        String input = rule.row(r, file.rowMin(), file.rowMax());
        return request(s, "hot", json("prompt", input, "adapter", t.adapterId()), rule.apply(input));
    }

    Session cold(Session s, String taskSeed, boolean count) {
        Tasks.FewShotTask task = Tasks.novelTask(taskSeed, file.demos(), file.rowMin(), file.rowMax());
        if (count) {
            tally.coldTask();
        }
        return request(s, "cold", fewShot(task), task.expected());
    }

    ObjectNode fewShot(Tasks.FewShotTask task) {
        ObjectNode o = json("prompt", task.prompt());
        var ex = o.putArray("examples");
        task.examples().forEach(e -> ex.addObject().put("input", e.input()).put("output", e.output()));
        return o;
    }

    ObjectNode json(String... kv) {
        ObjectNode o = ScenarioFile.JSON.createObjectNode();
        for (int i = 0; i < kv.length; i += 2) {
            o.put(kv[i], kv[i + 1]);
        }
        return o;
    }

    /** Puts the next request into the session: its kind (the Gatling request name), body and expected answer. */
    Session request(Session s, String kind, ObjectNode body, String expected) {
        if (!body.has("max_tokens")) {
            body.put("max_tokens", d.path("max_tokens").asInt());
        }
        return s.set("kind", kind)
                .set("body", body.toString())
                .set("expected", expected == null ? "" : expected)
                .set("t0", System.nanoTime());
    }

    /** POST /v1/generate with the session's request; then the answer is tallied (client.ts generate). */
    ChainBuilder generate() {
        return exec(http("#{kind}")
                        .post("/v1/generate")
                        .body(StringBody("#{body}"))
                        .check(
                                status().saveAs("status"),
                                bodyString().saveAs("response"),
                                responseTimeInMillis().saveAs("rt"),
                                status().is(200)))
                .exec(this::tallyAnswer);
    }

    private Session tallyAnswer(Session s) {
        int status = s.contains("status") ? s.getInt("status") : 0;
        long ms = s.contains("rt")
                ? s.getLong("rt")
                : Math.round((System.nanoTime() - s.getLong("t0")) / 1e6);
        ServiceClient.Answer a = ServiceClient.parse(status, s.contains("response") ? s.getString("response") : null);
        String kind = s.getString("kind");
        tally.record(new Tally.Sample(kind, a.tier(), status, ms));
        String expected = s.getString("expected");
        if (!expected.isEmpty() && a.text() != null) {
            tally.judged(a.text().trim().equals(expected));
        }
        tally.check("status 200", status == 200);
        tally.check("answer has text and adapter tier", !"error".equals(a.tier()));
        return s.remove("status")
                .remove("response")
                .remove("rt")
                .set("answerTier", a.tier())
                .set("answerId", a.adapterId() == null ? "" : a.adapterId())
                .set("answerTrainMs", a.trainMs());
    }

    Tally tally() {
        return tally;
    }

    JsonNode defaults() {
        return d;
    }

    String seed() {
        return seed;
    }

    ScenarioFile file() {
        return file;
    }
}
