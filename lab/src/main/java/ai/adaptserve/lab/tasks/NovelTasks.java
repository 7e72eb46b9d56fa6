package ai.adaptserve.lab.tasks;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * The novel split: tasks the base model never trains on, which test-time training is for. Three kinds, each
 * recorded in {@code family} with a descriptive label (not a known family; the API must not get it as a hint):
 *
 * <ul>
 *   <li>{@code novel:compose:a+b} — training family {@code a}, then {@code b} on its result, each with parameters
 *       from its training range (recorded as {@code a.k}, {@code b.from}, …);
 *   <li>{@code novel:range:f} — a training family with a parameter outside its training range: rotate k 4–5,
 *       caesar k 5–9, shift k 3–4, add with operands 100–999;
 *   <li>{@code novel:op:f} — operations absent from training: swap-pairs ({@code abcdef -> badcfe}), interleave
 *       ({@code abcdef -> adbecf}), double ({@code abc -> aabbcc}), count (coloured cells of a row as a digit),
 *       hollow (runs of 3+ cells keep only their ends).
 * </ul>
 */
public final class NovelTasks {
    public static final String PREFIX = "novel:";
    public static final int ROTATE_MIN_K = 4;
    public static final int ROTATE_MAX_K = 5;
    public static final int CAESAR_MIN_K = 5;
    public static final int CAESAR_MAX_K = 9;
    public static final int SHIFT_MIN_K = 3;
    public static final int SHIFT_MAX_K = 4;
    public static final int ADD_MIN_OPERAND = 100;
    public static final int ADD_MAX_OPERAND = 999;

    /** {@code first} then {@code second}; inputs drawn as for {@code inputsFrom}. */
    private record Composition(TaskFamily first, TaskFamily second, TaskFamily inputsFrom) {
        String label() {
            return PREFIX + "compose:" + first.label() + "+" + second.label();
        }
    }

    private static final List<Composition> COMPOSITIONS = List.of(
            new Composition(TaskFamily.REVERSE, TaskFamily.UPPER, TaskFamily.REVERSE),
            new Composition(TaskFamily.SORT, TaskFamily.DEDUP, TaskFamily.DEDUP),
            new Composition(TaskFamily.CAESAR, TaskFamily.REVERSE, TaskFamily.CAESAR),
            new Composition(TaskFamily.ROTATE, TaskFamily.UPPER, TaskFamily.ROTATE),
            new Composition(TaskFamily.RECOLOUR, TaskFamily.MIRROR, TaskFamily.RECOLOUR),
            new Composition(TaskFamily.RECOLOUR, TaskFamily.GRAVITY, TaskFamily.RECOLOUR),
            new Composition(TaskFamily.FILL, TaskFamily.MIRROR, TaskFamily.FILL),
            new Composition(TaskFamily.SHIFT, TaskFamily.RECOLOUR, TaskFamily.SHIFT));

    private static final List<TaskFamily> OUT_OF_RANGE =
            List.of(TaskFamily.ROTATE, TaskFamily.CAESAR, TaskFamily.SHIFT, TaskFamily.ADD);

    private static final List<String> NEW_OPERATIONS = List.of("swap-pairs", "interleave", "double", "count", "hollow");

    private NovelTasks() {}

    /** Every novel family label, in the order the generator takes turns over them. */
    public static List<String> families() {
        List<String> out = new ArrayList<>();
        COMPOSITIONS.forEach(c -> out.add(c.label()));
        OUT_OF_RANGE.forEach(f -> out.add(PREFIX + "range:" + f.label()));
        NEW_OPERATIONS.forEach(op -> out.add(PREFIX + "op:" + op));
        return out;
    }

    /** {@code count} novel tasks, ids {@code novel-000001…}, families taking turns; no two with equal content. */
    public static List<FewShotTask> generate(int count, Random random) {
        List<String> labels = families();
        List<FewShotTask> out = new ArrayList<>(count);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < count; i++) {
            String label = labels.get(i % labels.size());
            String id = String.format("novel-%06d", i + 1);
            FewShotTask task = null;
            for (int attempt = 0; task == null; attempt++) {
                if (attempt == 500) {
                    throw new IllegalStateException("cannot find a new " + label + " task for " + id);
                }
                Optional<FewShotTask> candidate = TaskGenerator.task(id, sample(label, random), random, x -> true);
                if (candidate.isPresent() && seen.add(TaskGenerator.contentKey(candidate.get()))) {
                    task = candidate.get();
                }
            }
            out.add(task);
        }
        return out;
    }

    /** The operation of a novel family with freshly drawn parameters. */
    public static Operation sample(String label, Random random) {
        for (Composition c : COMPOSITIONS) {
            if (c.label().equals(label)) {
                Operation first = c.first().sample(random);
                Operation second = c.second().sample(random);
                Operation inputs = c.inputsFrom() == c.first() ? first : second;
                return first.then(second, label, inputs::sampleInput);
            }
        }
        return switch (label) {
            case PREFIX + "range:rotate" ->
                Operations.rotate(Operations.between(random, ROTATE_MIN_K, ROTATE_MAX_K))
                        .relabel(label);
            case PREFIX + "range:caesar" ->
                Operations.caesar(Operations.between(random, CAESAR_MIN_K, CAESAR_MAX_K))
                        .relabel(label);
            case PREFIX + "range:shift" ->
                Operations.shift(Operations.between(random, SHIFT_MIN_K, SHIFT_MAX_K))
                        .relabel(label);
            case PREFIX + "range:add" ->
                Operations.add(ADD_MIN_OPERAND, ADD_MAX_OPERAND).relabel(label);
            default ->
                newOperation(label).orElseThrow(() -> new IllegalArgumentException("not a novel family: " + label));
        };
    }

    /** The operation of a novel family with recorded parameters; empty for labels this class does not know. */
    public static Optional<Operation> bind(String label, Map<String, String> params) {
        for (Composition c : COMPOSITIONS) {
            if (c.label().equals(label)) {
                Operation first = c.first().bind(prefixed(params, c.first().label()));
                Operation second = c.second().bind(prefixed(params, c.second().label()));
                Operation inputs = c.inputsFrom() == c.first() ? first : second;
                return Optional.of(first.then(second, label, inputs::sampleInput));
            }
        }
        String rangePrefix = PREFIX + "range:";
        if (label.startsWith(rangePrefix)) {
            return TaskFamily.byLabel(label.substring(rangePrefix.length()))
                    .filter(OUT_OF_RANGE::contains)
                    .map(f -> f.bind(params).relabel(label));
        }
        return newOperation(label);
    }

    private static Optional<Operation> newOperation(String label) {
        String opPrefix = PREFIX + "op:";
        if (!label.startsWith(opPrefix)) {
            return Optional.empty();
        }
        Operation op = switch (label.substring(opPrefix.length())) {
            case "swap-pairs" -> Operations.swapPairs();
            case "interleave" -> Operations.interleave();
            case "double" -> Operations.doubleEach();
            case "count" -> Operations.count();
            case "hollow" -> Operations.hollow();
            default -> null;
        };
        return Optional.ofNullable(op).map(o -> o.relabel(label));
    }

    private static Map<String, String> prefixed(Map<String, String> params, String family) {
        Map<String, String> out = new TreeMap<>();
        String prefix = family + ".";
        params.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }
}
