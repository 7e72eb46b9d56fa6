package ai.adaptserve.lab.tasks;

import ai.adaptserve.model.prompt.Demonstration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Builds tasks from {@link Operation}s, and the train / validation / test splits of the training families.
 *
 * <p>Every task has {@value #MIN_DEMOS}–{@value #MAX_DEMOS} demonstrations with distinct inputs, and a test input
 * that is none of them; the function changes every one of these inputs (no identity pairs), and the demos make the
 * test answerable. Families take turns, so every split is balanced across them.
 *
 * <p>Held-out splits are disjoint from the earlier ones in two ways: no two tasks share (family, test input,
 * demonstrations), and no held-out test input occurs with the same family and parameters anywhere in an earlier
 * split, neither as a test input nor as a demonstration.
 */
public final class TaskGenerator {
    public static final int MIN_DEMOS = 3;
    public static final int MAX_DEMOS = 4;
    private static final int ATTEMPTS = 500;

    private final Set<String> contentKeys = new HashSet<>();
    private final Set<String> earlierInputs = new HashSet<>();

    /**
     * One task of {@code op}, or empty when no fitting inputs turned up (the caller draws new parameters).
     *
     * @param queryAllowed a further condition on the test input
     */
    public static Optional<FewShotTask> task(String id, Operation op, Random random, Predicate<String> queryAllowed) {
        int demos = MIN_DEMOS + random.nextInt(MAX_DEMOS - MIN_DEMOS + 1);
        List<Demonstration> examples = new ArrayList<>(demos);
        Set<String> used = new HashSet<>();
        for (int attempt = 0; examples.size() < demos; attempt++) {
            if (attempt == ATTEMPTS) {
                return Optional.empty();
            }
            String x = op.sampleInput(random);
            String y = op.apply(x);
            if (!y.equals(x) && used.add(x)) {
                examples.add(new Demonstration(x, y));
            }
        }
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            String x = op.sampleInput(random);
            String y = op.apply(x);
            if (!y.equals(x) && !used.contains(x) && op.answerable(examples, x) && queryAllowed.test(x)) {
                return Optional.of(new FewShotTask(id, op.family(), examples, x, y, op.params()));
            }
        }
        return Optional.empty();
    }

    /** Identity of a task's content: family, test input and demonstrations (not the id). */
    public static String contentKey(FewShotTask task) {
        StringBuilder key =
                new StringBuilder().append(task.family()).append('\u0001').append(task.input());
        for (Demonstration e : task.examples()) {
            key.append('\u0001').append(e.input()).append('\u0002').append(e.output());
        }
        return key.toString();
    }

    /** One input under one function: family, parameters and the input. */
    public static String inputKey(String family, java.util.Map<String, String> params, String input) {
        return family + '\u0001' + params + '\u0001' + input;
    }

    /**
     * The next split: {@code count} tasks of the training families, ids {@code <prefix>-000001…}. A split made after
     * others is disjoint from them as described in the class comment.
     */
    public List<FewShotTask> split(String prefix, int count, Random random) {
        List<FewShotTask> out = new ArrayList<>(count);
        TaskFamily[] families = TaskFamily.values();
        for (int i = 0; i < count; i++) {
            TaskFamily family = families[i % families.length];
            String id = String.format("%s-%06d", prefix, i + 1);
            FewShotTask task = null;
            for (int attempt = 0; task == null; attempt++) {
                if (attempt == ATTEMPTS) {
                    throw new IllegalStateException("cannot find a new " + family.label() + " task for " + id
                            + "; the family's input space is exhausted for this many tasks");
                }
                Operation op = family.sample(random);
                Optional<FewShotTask> candidate =
                        task(id, op, random, x -> !earlierInputs.contains(inputKey(op.family(), op.params(), x)));
                if (candidate.isPresent() && contentKeys.add(contentKey(candidate.get()))) {
                    task = candidate.get();
                }
            }
            out.add(task);
        }
        for (FewShotTask task : out) {
            earlierInputs.add(inputKey(task.family(), task.params(), task.input()));
            for (Demonstration e : task.examples()) {
                earlierInputs.add(inputKey(task.family(), task.params(), e.input()));
            }
        }
        return out;
    }

    /** A seed for one purpose ("train", "doc-7", …) derived from the suite's seed (SplitMix64 finaliser). */
    public static long derive(long seed, String purpose) {
        long z = seed * 0x9E3779B97F4A7C15L + purpose.hashCode();
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
