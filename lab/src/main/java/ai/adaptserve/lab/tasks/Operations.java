package ai.adaptserve.lab.tasks;

import ai.adaptserve.model.prompt.Demonstration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;

/**
 * The task functions (pure, total on any string of their domain), the input samplers, and the bound
 * {@link Operation}s built from them.
 *
 * <p>Text inputs are 3–8 lower-case letters. Grid inputs are 1-D rows of 6–12 cells written as digit strings
 * ({@code "0012300"}): 0 is the background, 1–9 are colours.
 */
public final class Operations {
    public static final int MIN_TEXT = 3;
    public static final int MAX_TEXT = 8;
    public static final int MIN_ROW = 6;
    public static final int MAX_ROW = 12;
    /** The letters a {@code substitute} table maps (a permutation of them with no fixed point). */
    public static final String SUBSTITUTE_ALPHABET = "abcdef";

    private Operations() {}

    // ---------------------------------------------------------------- functions: text

    /** {@code "abc" -> "cba"}. */
    public static String reverse(String s) {
        return new StringBuilder(s).reverse().toString();
    }

    /** Characters in ascending code order: {@code "cab" -> "abc"}. */
    public static String sort(String s) {
        char[] chars = s.toCharArray();
        java.util.Arrays.sort(chars);
        return new String(chars);
    }

    /** Rotate left by k: {@code rotate("abcde", 2) = "cdeab"}. */
    public static String rotate(String s, int k) {
        if (s.isEmpty()) {
            return s;
        }
        int r = Math.floorMod(k, s.length());
        return s.substring(r) + s.substring(0, r);
    }

    /** Each letter k places on in the alphabet, wrapping; other characters unchanged: {@code ("xyz", 1) -> "yza"}. */
    public static String caesar(String s, int k) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            if (c >= 'a' && c <= 'z') {
                out.append((char) ('a' + Math.floorMod(c - 'a' + k, 26)));
            } else if (c >= 'A' && c <= 'Z') {
                out.append((char) ('A' + Math.floorMod(c - 'A' + k, 26)));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    public static String upper(String s) {
        return s.toUpperCase(Locale.ROOT);
    }

    /** Drop every repeat of a character, keeping its first occurrence: {@code "abacb" -> "abc"}. */
    public static String dedup(String s) {
        StringBuilder out = new StringBuilder();
        Set<Character> seen = new HashSet<>();
        for (char c : s.toCharArray()) {
            if (seen.add(c)) {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** {@code "12+7" -> "19"}: two non-negative decimal numbers joined by {@code +}. */
    public static String add(String s) {
        int plus = s.indexOf('+');
        if (plus <= 0 || plus == s.length() - 1) {
            throw new IllegalArgumentException("not a sum: " + s);
        }
        try {
            return Long.toString(Long.parseLong(s.substring(0, plus)) + Long.parseLong(s.substring(plus + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a sum: " + s, e);
        }
    }

    /** Replace {@code from.charAt(i)} by {@code to.charAt(i)}; other characters unchanged. */
    public static String substitute(String s, String from, String to) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            int i = from.indexOf(c);
            out.append(i >= 0 ? to.charAt(i) : c);
        }
        return out.toString();
    }

    /** {@code "abcdef" -> "badcfe"}; an odd last character stays. */
    public static String swapPairs(String s) {
        char[] c = s.toCharArray();
        for (int i = 0; i + 1 < c.length; i += 2) {
            char t = c[i];
            c[i] = c[i + 1];
            c[i + 1] = t;
        }
        return new String(c);
    }

    /** {@code "abcdef" -> "adbecf"}: first half and second half alternated (an odd middle goes to the first half). */
    public static String interleave(String s) {
        int half = (s.length() + 1) / 2;
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < half; i++) {
            out.append(s.charAt(i));
            if (half + i < s.length()) {
                out.append(s.charAt(half + i));
            }
        }
        return out.toString();
    }

    /** {@code "abc" -> "aabbcc"}. */
    public static String doubleEach(String s) {
        StringBuilder out = new StringBuilder(2 * s.length());
        for (char c : s.toCharArray()) {
            out.append(c).append(c);
        }
        return out.toString();
    }

    // ---------------------------------------------------------------- functions: 1-D grids

    /**
     * Every cell moves k to the right; k background cells enter at the left and cells pushed past the right end are
     * lost (zero fill, not wrap): {@code ("0120000", 2) -> "0001200"}. Sampled inputs keep their last k cells
     * empty, so nothing is lost in generated tasks.
     */
    public static String shift(String row, int k) {
        int n = row.length();
        if (k >= n) {
            return "0".repeat(n);
        }
        return "0".repeat(k) + row.substring(0, n - k);
    }

    /** Left–right reflection of the row (the same function as {@link #reverse} on digit strings). */
    public static String mirror(String row) {
        return reverse(row);
    }

    /** Every cell of colour {@code from} becomes {@code to}. */
    public static String recolour(String row, char from, char to) {
        return row.replace(from, to);
    }

    /**
     * Two cells of the same colour with only background between them: the background between becomes that colour.
     * {@code "0300030" -> "0333330"}; {@code "0300040" -> "0300040"}.
     */
    public static String fill(String row) {
        char[] out = row.toCharArray();
        int previous = -1;
        for (int j = 0; j < row.length(); j++) {
            char c = row.charAt(j);
            if (c != '0') {
                if (previous >= 0 && row.charAt(previous) == c) {
                    for (int m = previous + 1; m < j; m++) {
                        out[m] = c;
                    }
                }
                previous = j;
            }
        }
        return new String(out);
    }

    /** Coloured cells fall to the right end, keeping their order: {@code "0102030" -> "0000123"}. */
    public static String gravity(String row) {
        StringBuilder zeros = new StringBuilder();
        StringBuilder cells = new StringBuilder();
        for (char c : row.toCharArray()) {
            (c == '0' ? zeros : cells).append(c);
        }
        return zeros.append(cells).toString();
    }

    /** The number of coloured cells as a decimal string: {@code "0302010" -> "3"}. */
    public static String count(String row) {
        int n = 0;
        for (char c : row.toCharArray()) {
            if (c != '0') {
                n++;
            }
        }
        return Integer.toString(n);
    }

    /** Runs of one colour of length 3 or more keep their ends; their inside becomes background: {@code "0333330" -> "0300030"}. */
    public static String hollow(String row) {
        char[] out = row.toCharArray();
        int i = 0;
        while (i < row.length()) {
            char c = row.charAt(i);
            int j = i;
            while (j < row.length() && row.charAt(j) == c) {
                j++;
            }
            if (c != '0' && j - i >= 3) {
                for (int m = i + 1; m < j - 1; m++) {
                    out[m] = '0';
                }
            }
            i = j;
        }
        return new String(out);
    }

    // ---------------------------------------------------------------- input samplers

    static int between(Random random, int min, int max) {
        return min + random.nextInt(max - min + 1);
    }

    /** Lower-case letters, length in [min, max]. */
    static String letters(Random random, int min, int max) {
        return fromAlphabet(random, "abcdefghijklmnopqrstuvwxyz", min, max);
    }

    static String fromAlphabet(Random random, String alphabet, int min, int max) {
        int n = between(random, min, max);
        StringBuilder out = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            out.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return out.toString();
    }

    /** 4–8 letters drawn from a pool of 2–4, so that letters repeat. */
    static String withRepeats(Random random) {
        StringBuilder pool = new StringBuilder();
        int size = between(random, 2, 4);
        while (pool.length() < size) {
            char c = (char) ('a' + random.nextInt(26));
            if (pool.indexOf(String.valueOf(c)) < 0) {
                pool.append(c);
            }
        }
        return fromAlphabet(random, pool.toString(), 4, MAX_TEXT);
    }

    static String sum(Random random, int min, int max) {
        return between(random, min, max) + "+" + between(random, min, max);
    }

    static char colour(Random random) {
        return (char) ('1' + random.nextInt(9));
    }

    /**
     * A row of 6–12 cells holding 1–3 objects (runs of 1–3 cells of one colour, apart by at least one background
     * cell), with the last {@code reserveRight} cells empty.
     */
    static String objectsRow(Random random, int reserveRight, Function<Random, Character> colours) {
        int n = between(random, MIN_ROW, MAX_ROW);
        int usable = n - reserveRight;
        char[] row = "0".repeat(n).toCharArray();
        int i = random.nextInt(3);
        int objects = 0;
        while (objects < 3) {
            int length = between(random, 1, 3);
            if (i + length > usable) {
                break;
            }
            char c = colours.apply(random);
            for (int m = i; m < i + length; m++) {
                row[m] = c;
            }
            objects++;
            i += length + between(random, 1, 3);
        }
        if (objects == 0) {
            row[random.nextInt(usable)] = colours.apply(random);
        }
        return new String(row);
    }

    /** Each cell coloured with probability {@code p}; at least one and at most {@code maxColoured} coloured cells. */
    static String scatterRow(Random random, double p, int maxColoured) {
        while (true) {
            int n = between(random, MIN_ROW, MAX_ROW);
            StringBuilder row = new StringBuilder(n);
            int coloured = 0;
            for (int i = 0; i < n; i++) {
                if (random.nextDouble() < p) {
                    row.append(colour(random));
                    coloured++;
                } else {
                    row.append('0');
                }
            }
            if (coloured >= 1 && coloured <= maxColoured) {
                return row.toString();
            }
        }
    }

    /** One or two pairs of equal colours with 1–4 background cells inside each pair; neighbouring pairs differ. */
    static String pairsRow(Random random) {
        int n = between(random, MIN_ROW, MAX_ROW);
        char[] row = "0".repeat(n).toCharArray();
        int i = random.nextInt(2);
        char previous = '0';
        for (int pairs = 0; pairs < 2; pairs++) {
            int gapMax = Math.min(4, n - i - 2);
            if (gapMax < 1) {
                break;
            }
            int gap = between(random, 1, gapMax);
            char c;
            do {
                c = colour(random);
            } while (c == previous);
            row[i] = c;
            row[i + gap + 1] = c;
            previous = c;
            i += gap + 2 + between(random, 1, 2);
        }
        return new String(row);
    }

    /** Runs of 1–5 cells, the first at least 3 long. */
    static String runsRow(Random random) {
        int n = between(random, MIN_ROW, MAX_ROW);
        char[] row = "0".repeat(n).toCharArray();
        int i = random.nextInt(2);
        boolean first = true;
        while (true) {
            int length = first ? between(random, 3, 5) : between(random, 1, 5);
            if (i + length > n) {
                break;
            }
            char c = colour(random);
            for (int m = i; m < i + length; m++) {
                row[m] = c;
            }
            first = false;
            i += length + between(random, 1, 2);
        }
        return new String(row);
    }

    // ---------------------------------------------------------------- bound operations

    private static Operation text(String family, java.util.function.UnaryOperator<String> f) {
        return new Operation(family, Map.of(), f, r -> letters(r, MIN_TEXT, MAX_TEXT));
    }

    public static Operation reverse() {
        return text("reverse", Operations::reverse);
    }

    public static Operation sort() {
        return text("sort", Operations::sort);
    }

    public static Operation rotate(int k) {
        int min = Math.max(MIN_TEXT, k + 1);
        int max = Math.max(MAX_TEXT, k + 1);
        return new Operation("rotate", Map.of("k", Integer.toString(k)), s -> rotate(s, k), r -> letters(r, min, max));
    }

    public static Operation caesar(int k) {
        return new Operation(
                "caesar", Map.of("k", Integer.toString(k)), s -> caesar(s, k), r -> letters(r, MIN_TEXT, MAX_TEXT));
    }

    public static Operation upper() {
        return text("upper", Operations::upper);
    }

    public static Operation dedup() {
        return new Operation("dedup", Map.of(), Operations::dedup, Operations::withRepeats);
    }

    /** Sums of two numbers in [min, max]; parameters recorded only outside the training range 0–99. */
    public static Operation add(int min, int max) {
        Map<String, String> params = min == 0 && max == 99 ? Map.of() : Map.of("operands", min + "-" + max);
        return new Operation("add", params, Operations::add, r -> sum(r, min, max));
    }

    /** A letter table: {@code from.charAt(i) -> to.charAt(i)}. Answerable only for letters the demos show. */
    public static Operation substitute(String from, String to) {
        if (from.length() != to.length() || from.isEmpty()) {
            throw new IllegalArgumentException("substitute table needs equal, non-empty from and to");
        }
        return new Operation(
                "substitute",
                Map.of("from", from, "to", to),
                s -> substitute(s, from, to),
                r -> fromAlphabet(r, from, MIN_TEXT, MAX_TEXT),
                Operations::lettersShown);
    }

    private static boolean lettersShown(List<Demonstration> demos, String input) {
        Set<Character> shown = new HashSet<>();
        for (Demonstration demo : demos) {
            for (char c : demo.input().toCharArray()) {
                shown.add(c);
            }
        }
        for (char c : input.toCharArray()) {
            if (!shown.contains(c)) {
                return false;
            }
        }
        return true;
    }

    public static Operation shift(int k) {
        return new Operation(
                "shift", Map.of("k", Integer.toString(k)), s -> shift(s, k), r -> objectsRow(r, k, Operations::colour));
    }

    public static Operation mirror() {
        return new Operation("mirror", Map.of(), Operations::mirror, r -> objectsRow(r, 0, Operations::colour));
    }

    public static Operation recolour(char from, char to) {
        if (from == to || from < '1' || from > '9' || to < '1' || to > '9') {
            throw new IllegalArgumentException("recolour needs two different colours 1-9");
        }
        Function<Random, Character> colours = r -> {
            if (r.nextBoolean()) {
                return from;
            }
            char c;
            do {
                c = colour(r);
            } while (c == from || c == to);
            return c;
        };
        return new Operation(
                "recolour",
                Map.of("from", String.valueOf(from), "to", String.valueOf(to)),
                s -> recolour(s, from, to),
                r -> {
                    String row;
                    do {
                        row = objectsRow(r, 0, colours);
                    } while (row.indexOf(from) < 0);
                    return row;
                });
    }

    public static Operation fill() {
        return new Operation("fill", Map.of(), Operations::fill, Operations::pairsRow);
    }

    public static Operation gravity() {
        return new Operation("gravity", Map.of(), Operations::gravity, r -> scatterRow(r, 0.35, MAX_ROW));
    }

    public static Operation swapPairs() {
        return text("swap-pairs", Operations::swapPairs);
    }

    public static Operation interleave() {
        return new Operation("interleave", Map.of(), Operations::interleave, r -> {
            int n = 2 * between(r, 2, MAX_TEXT / 2);
            return letters(r, n, n);
        });
    }

    public static Operation doubleEach() {
        return new Operation("double", Map.of(), Operations::doubleEach, r -> letters(r, MIN_TEXT, 6));
    }

    public static Operation count() {
        return new Operation("count", Map.of(), Operations::count, r -> scatterRow(r, 0.4, 9));
    }

    public static Operation hollow() {
        return new Operation("hollow", Map.of(), Operations::hollow, Operations::runsRow);
    }

    // ---------------------------------------------------------------- rebuilding a task's function

    /**
     * The function that generated {@code task}, rebuilt from its family and params: a training family
     * ({@link TaskFamily}) or a generated novel label ({@link NovelTasks}). Empty when the family is absent or
     * unknown.
     *
     * @throws IllegalArgumentException when the family is known but its params are missing or malformed
     */
    public static Optional<Operation> forTask(FewShotTask task) {
        return of(task.family(), task.params());
    }

    public static Optional<Operation> of(String family, Map<String, String> params) {
        if (family == null) {
            return Optional.empty();
        }
        Optional<TaskFamily> known = TaskFamily.byLabel(family);
        if (known.isPresent()) {
            return Optional.of(known.get().bind(params));
        }
        return NovelTasks.bind(family, params);
    }

    static int intParam(Map<String, String> params, String name) {
        String value = params.get(name);
        if (value == null) {
            throw new IllegalArgumentException("missing parameter " + name);
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("parameter " + name + " is not an integer: " + value, e);
        }
    }

    static char colourParam(Map<String, String> params, String name) {
        String value = params.get(name);
        if (value == null || value.length() != 1 || value.charAt(0) < '1' || value.charAt(0) > '9') {
            throw new IllegalArgumentException("parameter " + name + " must be a colour 1-9: " + value);
        }
        return value.charAt(0);
    }

    static String stringParam(Map<String, String> params, String name) {
        String value = params.get(name);
        if (value == null) {
            throw new IllegalArgumentException("missing parameter " + name);
        }
        return value;
    }
}
