package ai.adaptserve.model.ttt;

import ai.adaptserve.model.prompt.Demonstration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * An invertible rewrite of a few-shot task, applied alike to every input and output, as the ARC test-time-training
 * study augments its tasks: if {@code f} is the task, the augmented task is {@code a ∘ f ∘ a⁻¹}, still a function the
 * demonstrations define, and an answer to it is mapped back by {@link #invert}.
 */
public sealed interface Augmentation {

    /** A short name for tables and votes: {@code id}, {@code rev}, {@code relabel-3}. */
    String name();

    /** Rewrites one string (an input or an output). */
    String apply(String s);

    /** Maps an answer to the augmented task back to the original one. */
    String invert(String s);

    default Demonstration apply(Demonstration e) {
        return new Demonstration(apply(e.input()), apply(e.output()));
    }

    default List<Demonstration> apply(List<Demonstration> demos) {
        return demos.stream().map(this::apply).toList();
    }

    /** The task as it is. */
    record Identity() implements Augmentation {
        @Override
        public String name() {
            return "id";
        }

        @Override
        public String apply(String s) {
            return s;
        }

        @Override
        public String invert(String s) {
            return s;
        }
    }

    /** Every input and output read backwards. */
    record Reverse() implements Augmentation {
        @Override
        public String name() {
            return "rev";
        }

        @Override
        public String apply(String s) {
            return new StringBuilder(s).reverse().toString();
        }

        @Override
        public String invert(String s) {
            return apply(s);
        }
    }

    /**
     * A consistent relabelling of colours: the digits 1 to 9 permuted, 0 (the background) kept. Only offered for
     * 1-D rows, where colours are names, not numbers.
     */
    record Relabel(String name, Map<Character, Character> forward, Map<Character, Character> backward)
            implements Augmentation {
        public Relabel {
            forward = Collections.unmodifiableMap(new TreeMap<>(forward));
            backward = Collections.unmodifiableMap(new TreeMap<>(backward));
        }

        /** A seeded permutation of 1..9 that moves at least one colour. */
        public static Relabel colours(int index, Random rnd) {
            List<Character> to = new ArrayList<>();
            for (char c = '1'; c <= '9'; c++) {
                to.add(c);
            }
            do {
                Collections.shuffle(to, rnd);
            } while (to.equals(List.of('1', '2', '3', '4', '5', '6', '7', '8', '9')));
            Map<Character, Character> fwd = new TreeMap<>();
            Map<Character, Character> back = new TreeMap<>();
            for (int i = 0; i < 9; i++) {
                char from = (char) ('1' + i);
                fwd.put(from, to.get(i));
                back.put(to.get(i), from);
            }
            return new Relabel("relabel-" + index, fwd, back);
        }

        @Override
        public String apply(String s) {
            return map(s, forward);
        }

        @Override
        public String invert(String s) {
            return map(s, backward);
        }

        private static String map(String s, Map<Character, Character> m) {
            StringBuilder out = new StringBuilder(s.length());
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                out.append(m.getOrDefault(c, c));
            }
            return out.toString();
        }
    }

    /**
     * The augmentations that suit a task: always the identity (first) and the reversal; for 1-D rows (every
     * demonstration's input and output only digits; decided on the demonstrations alone, so that every query on the
     * same demonstrations shares one adapter) also {@code relabels} colour permutations. Letters are not relabelled: sort, Caesar
     * and addition depend on the order of the alphabet, so a relabelled task would be a different, harder one.
     */
    static List<Augmentation> suitedTo(List<Demonstration> demos, int relabels, long seed) {
        List<Augmentation> out = new ArrayList<>(List.of(new Identity(), new Reverse()));
        if (!demos.isEmpty() && demos.stream().allMatch(e -> isRow(e.input()) && isRow(e.output()))) {
            Random rnd = new Random(seed);
            for (int i = 1; i <= relabels; i++) {
                out.add(Relabel.colours(i, rnd));
            }
        }
        return List.copyOf(out);
    }

    /** Whether {@code s} is a 1-D row of colour digits. */
    static boolean isRow(String s) {
        return !s.isEmpty() && s.chars().allMatch(c -> c >= '0' && c <= '9');
    }
}
