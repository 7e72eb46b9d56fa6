package ai.adaptserve.load;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the k6 scripts measure, kept by the Gatling run: every answer's latency by adapter tier ({@code error} for
 * anything but a well-formed 200) and request kind, 429s, trained answers, new tasks, correctness; then the
 * thresholds of scenarios.json checked over them. Thread-safe.
 */
final class Tally {

    record Sample(String kind, String tier, int status, long ms) {}

    private final ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
    private final AtomicLong coldTasks = new AtomicLong();
    private final AtomicLong correct = new AtomicLong();
    private final AtomicLong judged = new AtomicLong();
    private final AtomicLong checks = new AtomicLong();
    private final AtomicLong checksPassed = new AtomicLong();
    private final ConcurrentLinkedQueue<String> checksFailed = new ConcurrentLinkedQueue<>();

    /** A k6-style check: counted, and named in the summary when it fails. */
    void check(String name, boolean ok) {
        checks.incrementAndGet();
        if (ok) {
            checksPassed.incrementAndGet();
        } else {
            checksFailed.add(name);
        }
    }

    void record(Sample s) {
        samples.add(s);
    }

    void coldTask() {
        coldTasks.incrementAndGet();
    }

    void judged(boolean right) {
        judged.incrementAndGet();
        if (right) {
            correct.incrementAndGet();
        }
    }

    /** The q-th percentile (0..100) by linear interpolation between closest ranks, as k6's trends do. */
    static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        double rank = q / 100 * (sorted.length - 1);
        int lo = (int) Math.floor(rank);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
    }

    private static ObjectNode stats(List<Long> ms) {
        long[] a = ms.stream().mapToLong(Long::longValue).sorted().toArray();
        ObjectNode o = ScenarioFile.JSON.createObjectNode();
        o.put("count", a.length);
        if (a.length > 0) {
            o.put("p50", percentile(a, 50));
            o.put("p95", percentile(a, 95));
            o.put("p99", percentile(a, 99));
            o.put("max", a[a.length - 1]);
        }
        return o;
    }

    /**
     * The summary (same fields as the k6 handleSummary JSON where they apply) with every threshold's result.
     *
     * @param trainingsStarted trainings the servers started during the run (METRICS_URLS), or null
     * @param expectedTrainings a storm's tasks x rounds, or null
     */
    ObjectNode summary(ScenarioFile file, Long trainingsStarted, Long expectedTrainings, double wallSeconds) {
        List<Sample> all = new ArrayList<>(samples);
        Map<String, List<Long>> byTier = new TreeMap<>();
        Map<String, Long> byKind = new TreeMap<>();
        List<Long> every = new ArrayList<>();
        long failed = 0;
        long rejected = 0;
        long trained = 0;
        long wellFormed = 0;
        for (Sample s : all) {
            every.add(s.ms());
            byTier.computeIfAbsent(s.tier(), k -> new ArrayList<>()).add(s.ms());
            byKind.merge(s.kind(), 1L, Long::sum);
            failed += s.status() >= 200 && s.status() < 300 ? 0 : 1;
            rejected += s.status() == 429 ? 1 : 0;
            trained += "trained".equals(s.tier()) ? 1 : 0;
            wellFormed += "error".equals(s.tier()) ? 0 : 1;
        }
        double errorRate = all.isEmpty() ? 0 : (double) failed / all.size();
        ObjectNode latency = ScenarioFile.JSON.createObjectNode();
        latency.set("all", stats(every));
        byTier.forEach((tier, ms) -> latency.set(tier, stats(ms)));

        ArrayNode thresholds = ScenarioFile.JSON.createArrayNode();
        boolean passed = true;
        passed &= threshold(thresholds, "error_rate", "rate <= " + file.errorRateMax(), errorRate <= file.errorRateMax());
        double checkRate = checks.get() == 0 ? 0 : (double) checksPassed.get() / checks.get();
        if (file.checksMinRate() != null) {
            passed &= threshold(
                    thresholds, "checks", "rate >= " + file.checksMinRate(), checkRate >= file.checksMinRate());
        }
        passed &= threshold(thresholds, "requests", "count > 0", !all.isEmpty());
        for (Map.Entry<String, Map<String, Double>> tier : file.latencyLimits().entrySet()) {
            ObjectNode st = (ObjectNode) latency.get(tier.getKey());
            if (st == null || st.path("count").asLong() == 0) {
                continue; // like a k6 sub-metric with no samples: nothing to judge
            }
            for (Map.Entry<String, Double> limit : tier.getValue().entrySet()) {
                double value = st.path(limit.getKey()).asDouble();
                passed &= threshold(
                        thresholds,
                        "latency_ms{tier:" + tier.getKey() + "}",
                        limit.getKey() + " < " + limit.getValue().longValue() + " (was " + Math.round(value) + ")",
                        value < limit.getValue());
            }
        }
        if (trainingsStarted != null && expectedTrainings != null) {
            passed &= threshold(
                    thresholds,
                    "trainings_started",
                    "count <= " + expectedTrainings + " (was " + trainingsStarted + ")",
                    trainingsStarted <= expectedTrainings);
        }

        ObjectNode o = ScenarioFile.JSON.createObjectNode();
        o.put("scenario", file.name());
        o.put("runner", "gatling");
        o.put("description", file.scenario().path("description").asText());
        o.put("passed", passed);
        o.set("thresholds", thresholds);
        o.put("requests", all.size());
        o.put("wall_seconds", wallSeconds);
        o.put("requests_per_second", wallSeconds > 0 ? all.size() / wallSeconds : 0);
        o.put("error_rate", errorRate);
        o.put("rejected_429", rejected);
        o.put("well_formed_answers", wellFormed);
        o.put("checks_rate", checkRate);
        ArrayNode failedChecks = o.putArray("checks_failed");
        new java.util.TreeSet<>(checksFailed).forEach(failedChecks::add);
        ObjectNode kinds = o.putObject("requests_by_kind");
        byKind.forEach(kinds::put);
        o.set("latency_ms", latency);
        ObjectNode t = o.putObject("trainings");
        t.put("distinct_new_tasks", coldTasks.get());
        if (expectedTrainings == null) {
            t.putNull("expected_trainings");
        } else {
            t.put("expected_trainings", expectedTrainings);
        }
        t.put("trained_answers", trained);
        if (trainingsStarted == null) {
            t.putNull("started_on_servers");
        } else {
            t.put("started_on_servers", trainingsStarted);
        }
        if (judged.get() > 0) {
            o.put("correct_rate", (double) correct.get() / judged.get());
        } else {
            o.putNull("correct_rate");
        }
        return o;
    }

    private static boolean threshold(ArrayNode out, String metric, String expression, boolean ok) {
        ObjectNode t = out.addObject();
        t.put("metric", metric);
        t.put("expression", expression);
        t.put("ok", ok);
        return ok;
    }

    /** The short text report printed at the end of a run. */
    static String report(ObjectNode s) {
        StringBuilder b = new StringBuilder();
        b.append(s.path("scenario").asText())
                .append(": ")
                .append(s.path("passed").asBoolean() ? "all thresholds passed" : "THRESHOLDS FAILED")
                .append('\n');
        b.append(String.format(
                "  requests %d (%.2f/s), error rate %.2f%%, 429s %d%n",
                s.path("requests").asLong(),
                s.path("requests_per_second").asDouble(),
                s.path("error_rate").asDouble() * 100,
                s.path("rejected_429").asLong()));
        b.append("  latency ms     count      p50      p95      p99      max\n");
        s.path("latency_ms").fields().forEachRemaining(e -> b.append(String.format(
                "  %-10s %9d %8.0f %8.0f %8.0f %8.0f%n",
                e.getKey(),
                e.getValue().path("count").asLong(),
                e.getValue().path("p50").asDouble(Double.NaN),
                e.getValue().path("p95").asDouble(Double.NaN),
                e.getValue().path("p99").asDouble(Double.NaN),
                e.getValue().path("max").asDouble(Double.NaN))));
        b.append("  trainings ").append(s.path("trainings")).append('\n');
        s.path("thresholds").forEach(t -> {
            if (!t.path("ok").asBoolean()) {
                b.append("  failed: ")
                        .append(t.path("metric").asText())
                        .append(' ')
                        .append(t.path("expression").asText())
                        .append('\n');
            }
        });
        return b.toString();
    }
}
