package ai.adaptserve.lab.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The figures of an evaluation: exact match per strategy and per family, the mean wall time per task, and the
 * router's accuracy (on tasks of a training family: the label is the family; on the others: the share it sent to
 * none). Printed as Markdown tables and written as JSON.
 */
public final class EvaluationReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Correct answers out of a total. */
    public record Count(int correct, int total) {
        public double accuracy() {
            return total == 0 ? 0 : (double) correct / total;
        }

        public Count plus(boolean ok) {
            return new Count(correct + (ok ? 1 : 0), total + 1);
        }

        /** {@code 12/40 (30%)}. */
        public String cell() {
            return String.format(Locale.ROOT, "%d/%d (%.0f%%)", correct, total, 100 * accuracy());
        }
    }

    /**
     * @param known routed tasks of a training family
     * @param routedRight of those, routed to their family
     * @param unknown routed tasks of no training family
     * @param unknownNone of those, routed to none
     */
    public record Routing(int known, int routedRight, int unknown, int unknownNone) {}

    private final List<Strategy> strategies;
    private final List<Evaluation.TaskResult> rows;

    public EvaluationReport(List<Strategy> strategies, List<Evaluation.TaskResult> results) {
        this.strategies = List.copyOf(strategies);
        this.rows = List.copyOf(results);
    }

    /** Exact match of {@code s} over every task. */
    public Count overall(Strategy s) {
        Count c = new Count(0, 0);
        for (Evaluation.TaskResult row : rows) {
            c = c.plus(row.correct(s));
        }
        return c;
    }

    /** Exact match of {@code s} per family, families in name order. */
    public Map<String, Count> perFamily(Strategy s) {
        Map<String, Count> out = new TreeMap<>();
        for (Evaluation.TaskResult row : rows) {
            out.merge(
                    row.family(),
                    new Count(0, 0).plus(row.correct(s)),
                    (a, b) -> new Count(a.correct() + b.correct(), a.total() + b.total()));
        }
        return out;
    }

    /** Mean wall time per task of {@code s}, in milliseconds. */
    public double meanMillis(Strategy s) {
        return rows.stream()
                .mapToDouble(row -> row.millis().getOrDefault(s, 0.0))
                .average()
                .orElse(0);
    }

    public Routing routing() {
        int known = 0;
        int right = 0;
        int unknown = 0;
        int none = 0;
        for (Evaluation.TaskResult row : rows) {
            Evaluation.TaskResult r = row;
            if (r.route().isEmpty()) {
                continue;
            }
            if (r.task().trainingFamily().isPresent()) {
                known++;
                if (r.route()
                        .get()
                        .label()
                        .equals(java.util.Optional.of(r.task().family()))) {
                    right++;
                }
            } else {
                unknown++;
                if (r.route().get().label().isEmpty()) {
                    none++;
                }
            }
        }
        return new Routing(known, right, unknown, none);
    }

    /** Markdown: one row per family (and all), one column per strategy; then time per task and routing. */
    public String tables() {
        StringBuilder md = new StringBuilder("| family |");
        strategies.forEach(s -> md.append(' ').append(s.label()).append(" |"));
        md.append("\n| --- |");
        strategies.forEach(s -> md.append(" --- |"));
        md.append('\n');
        Map<String, Map<Strategy, Count>> byFamily = new TreeMap<>();
        for (Strategy s : strategies) {
            perFamily(s)
                    .forEach((f, c) ->
                            byFamily.computeIfAbsent(f, k -> new TreeMap<>()).put(s, c));
        }
        byFamily.forEach((f, counts) -> {
            md.append("| ").append(f).append(" |");
            strategies.forEach(s -> md.append(' ').append(counts.get(s).cell()).append(" |"));
            md.append('\n');
        });
        md.append("| **all** |");
        strategies.forEach(s -> md.append(" **").append(overall(s).cell()).append("** |"));
        md.append("\n| mean time per task |");
        strategies.forEach(s -> md.append(String.format(Locale.ROOT, " %.0f ms |", meanMillis(s))));
        md.append('\n');
        Routing r = routing();
        if (r.known() + r.unknown() > 0) {
            md.append(String.format(
                    Locale.ROOT,
                    "%nrouting: %d/%d tasks of a training family routed to it (%.1f%%); %d/%d tasks of no training"
                            + " family routed to none%n",
                    r.routedRight(),
                    r.known(),
                    r.known() == 0 ? 0 : 100.0 * r.routedRight() / r.known(),
                    r.unknownNone(),
                    r.unknown()));
        }
        return md.toString();
    }

    /** The machine-readable summary; {@code context} (file, model, command, settings) is copied in first. */
    public ObjectNode json(Map<String, Object> context, boolean withTasks) {
        ObjectNode root = JSON.createObjectNode();
        context.forEach((k, v) -> root.set(k, JSON.valueToTree(v)));
        ObjectNode strat = root.putObject("strategies");
        for (Strategy s : strategies) {
            ObjectNode n = strat.putObject(s.label());
            Count c = overall(s);
            n.put("correct", c.correct()).put("total", c.total()).put("accuracy", c.accuracy());
            n.put("mean_ms", meanMillis(s));
            ObjectNode fams = n.putObject("families");
            perFamily(s)
                    .forEach((f, fc) -> fams.putObject(f)
                            .put("correct", fc.correct())
                            .put("total", fc.total())
                            .put("accuracy", fc.accuracy()));
        }
        Routing r = routing();
        if (r.known() + r.unknown() > 0) {
            root.putObject("routing")
                    .put("known", r.known())
                    .put("correct", r.routedRight())
                    .put("accuracy", r.known() == 0 ? 0 : (double) r.routedRight() / r.known())
                    .put("unknown", r.unknown())
                    .put("unknown_to_none", r.unknownNone());
        }
        if (withTasks) {
            ArrayNode tasks = root.putArray("tasks");
            for (Evaluation.TaskResult row : rows) {
                Evaluation.TaskResult t = row;
                ObjectNode n = tasks.addObject();
                n.put("id", t.task().id())
                        .put("family", t.family())
                        .put("expected", t.task().output());
                ObjectNode a = n.putObject("answers");
                t.answers().forEach((s, ans) -> a.put(s.label(), ans));
                t.route()
                        .ifPresent(rt -> n.putObject("route")
                                .put("label", rt.label().orElse("none"))
                                .put("best", rt.best())
                                .put("confidence", rt.confidence()));
                t.tttLastLoss().ifPresent(l -> n.put("ttt_last_loss", l));
            }
        }
        return root;
    }
}
