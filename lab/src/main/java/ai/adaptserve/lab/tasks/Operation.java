package ai.adaptserve.lab.tasks;

import ai.adaptserve.model.prompt.Demonstration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * A task function with its per-task parameters bound (for example {@code rotate} with k = 2): what every
 * demonstration and the test pair of one task apply. It also knows how to draw inputs that suit it, and whether a
 * test input can be answered from given demonstrations (a substitution table is only known for letters the demos
 * show).
 */
public final class Operation {
    private final String family;
    private final Map<String, String> params;
    private final UnaryOperator<String> function;
    private final Function<Random, String> inputs;
    private final BiPredicate<List<Demonstration>, String> answerable;

    public Operation(
            String family,
            Map<String, String> params,
            UnaryOperator<String> function,
            Function<Random, String> inputs,
            BiPredicate<List<Demonstration>, String> answerable) {
        this.family = Objects.requireNonNull(family, "family");
        this.params = Collections.unmodifiableMap(new TreeMap<>(params));
        this.function = Objects.requireNonNull(function, "function");
        this.inputs = Objects.requireNonNull(inputs, "inputs");
        this.answerable = Objects.requireNonNull(answerable, "answerable");
    }

    public Operation(
            String family,
            Map<String, String> params,
            UnaryOperator<String> function,
            Function<Random, String> inputs) {
        this(family, params, function, inputs, (demos, input) -> true);
    }

    /** The family label recorded in task files. */
    public String family() {
        return family;
    }

    /** The bound parameters, sorted by name. */
    public Map<String, String> params() {
        return params;
    }

    public String apply(String input) {
        return function.apply(input);
    }

    /** A random input suited to this operation (not necessarily one it changes). */
    public String sampleInput(Random random) {
        return inputs.apply(random);
    }

    /** Whether the answer for {@code input} follows from {@code demos} (plus, at most, the family's name). */
    public boolean answerable(List<Demonstration> demos, String input) {
        return answerable.test(demos, input);
    }

    /** The same operation under another family label (used for the novel split's out-of-range parameters). */
    public Operation relabel(String newFamily) {
        return new Operation(newFamily, params, function, inputs, answerable);
    }

    /**
     * This operation, then {@code next}: parameters are prefixed with each part's family ({@code caesar.k}); inputs
     * come from {@code inputs}, redrawn until both steps change the string so that each part shows in the demos.
     */
    public Operation then(Operation next, String composedFamily, Function<Random, String> composedInputs) {
        Map<String, String> merged = new TreeMap<>();
        params.forEach((k, v) -> merged.put(family + "." + k, v));
        next.params.forEach((k, v) -> merged.put(next.family + "." + k, v));
        UnaryOperator<String> composed = s -> next.apply(apply(s));
        Function<Random, String> drawn = random -> {
            for (int attempt = 0; attempt < 1000; attempt++) {
                String x = composedInputs.apply(random);
                String mid = apply(x);
                if (!mid.equals(x) && !next.apply(mid).equals(mid)) {
                    return x;
                }
            }
            throw new IllegalStateException("no input changed by both steps of " + composedFamily);
        };
        return new Operation(
                composedFamily,
                merged,
                composed,
                drawn,
                (demos, input) -> answerable(demos, input) && next.answerable(demos, input));
    }

    @Override
    public String toString() {
        return params.isEmpty() ? family : family + params;
    }
}
