package ai.adaptserve.load;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.Supplier;

/**
 * Request content, ported line by line from load-tests/lib/tasks.ts (same order of draws from {@link Rng}): prompts
 * for the built-in model's experts, novel few-shot tasks (digit rows with a recolouring rule) and synthetic documents.
 */
final class Tasks {
    private Tasks() {}

    private static final String LETTERS = "abcdefghijklmnopqrstuvwxyz";

    record Example(String input, String output) {}

    /** An expert's prompt in the arrow phrasing, and its answer (null when it cannot be known). */
    record ExpertPrompt(String family, String prompt, String expected) {}

    record FewShotTask(NovelRule rule, List<Example> examples, String prompt, String expected) {}

    record Document(String document, String question) {}

    private static String letters(Rng r, int min, int max) {
        StringBuilder s = new StringBuilder();
        for (int i = r.between(min, max); i > 0; i--) {
            s.append(r.pick(LETTERS));
        }
        return s.toString();
    }

    private static String colour(Rng r) {
        return String.valueOf(r.between(1, 9));
    }

    static String objectsRow(Rng r, int min, int max, int reserve, Supplier<String> colours) {
        int n = r.between(min, max);
        String[] row = new String[n];
        Arrays.fill(row, "0");
        int i = r.between(0, 2);
        int objects = 0;
        while (objects < 3) {
            int length = r.between(1, 3);
            if (i + length > n - reserve) {
                break;
            }
            String c = colours.get();
            for (int m = i; m < i + length; m++) {
                row[m] = c;
            }
            objects++;
            i += length + r.between(1, 3);
        }
        if (objects == 0) {
            row[r.between(0, n - reserve - 1)] = colours.get();
        }
        return String.join("", row);
    }

    private static String pairsRow(Rng r, int min, int max) {
        int n = r.between(min, max);
        String[] row = new String[n];
        Arrays.fill(row, "0");
        int i = r.between(0, 1);
        String previous = "0";
        for (int pairs = 0; pairs < 2; pairs++) {
            int gapMax = Math.min(4, n - i - 2);
            if (gapMax < 1) {
                break;
            }
            int gap = r.between(1, gapMax);
            String c = colour(r);
            while (c.equals(previous)) {
                c = colour(r);
            }
            row[i] = c;
            row[i + gap + 1] = c;
            previous = c;
            i += gap + 2 + r.between(1, 2);
        }
        return String.join("", row);
    }

    private static String rotate(String s, int k) {
        int m = k % s.length();
        return s.substring(m) + s.substring(0, m);
    }

    private static String caesar(String s, int k) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(c >= 'a' && c <= 'z' ? (char) ('a' + ((c - 'a' + k) % 26)) : c);
        }
        return b.toString();
    }

    static String reverse(String s) {
        return new StringBuilder(s).reverse().toString();
    }

    static String gravity(String row) {
        return row.replaceAll("[1-9]", "") + row.replace("0", "");
    }

    private static String fill(String row) {
        char[] out = row.toCharArray();
        int previous = -1;
        for (int j = 0; j < row.length(); j++) {
            if (row.charAt(j) == '0') {
                continue;
            }
            if (previous >= 0 && row.charAt(previous) == row.charAt(j)) {
                for (int m = previous + 1; m < j; m++) {
                    out[m] = row.charAt(j);
                }
            }
            previous = j;
        }
        return new String(out);
    }

    private static ExpertPrompt arrow(String family, String tag, String input, String expected) {
        return new ExpertPrompt(family, tag + ": " + input + " -> ", expected);
    }

    static ExpertPrompt expertPrompt(Rng r, String family, int rowMin, int rowMax) {
        switch (family) {
            case "reverse": {
                String s = letters(r, 3, 8);
                return arrow(family, family, s, reverse(s));
            }
            case "sort": {
                String s = letters(r, 3, 8);
                char[] c = s.toCharArray();
                Arrays.sort(c);
                return arrow(family, family, s, new String(c));
            }
            case "rotate": {
                String s = letters(r, 3, 8);
                int k = r.between(1, 3);
                return arrow(family, "rotate " + k, s, rotate(s, k));
            }
            case "caesar": {
                String s = letters(r, 3, 8);
                int k = r.between(1, 3);
                return arrow(family, "caesar " + k, s, caesar(s, k));
            }
            case "upper": {
                String s = letters(r, 3, 8);
                return arrow(family, family, s, s.toUpperCase());
            }
            case "dedup": {
                String s = letters(r, 3, 8);
                LinkedHashSet<Character> seen = new LinkedHashSet<>();
                for (char c : s.toCharArray()) {
                    seen.add(c);
                }
                StringBuilder b = new StringBuilder();
                seen.forEach(b::append);
                return arrow(family, family, s, b.toString());
            }
            case "add": {
                int a = r.between(0, 99);
                int b = r.between(0, 99);
                return arrow(family, family, a + "+" + b, String.valueOf(a + b));
            }
            case "shift": {
                int k = r.between(1, 2);
                String row = objectsRow(r, rowMin, rowMax, k, () -> colour(r));
                return arrow(family, "shift " + k, row, "0".repeat(k) + row.substring(0, row.length() - k));
            }
            case "mirror": {
                String row = objectsRow(r, rowMin, rowMax, 0, () -> colour(r));
                return arrow(family, family, row, reverse(row));
            }
            case "recolour": {
                String from = colour(r);
                String to = colour(r);
                while (to.equals(from)) {
                    to = colour(r);
                }
                String row = objectsRow(r, rowMin, rowMax, 0, () -> r.next() < 0.6 ? from : colour(r));
                return arrow(family, "recolour " + from + ">" + to, row, row.replace(from, to));
            }
            case "fill": {
                String row = pairsRow(r, rowMin, rowMax);
                return arrow(family, family, row, fill(row));
            }
            case "gravity": {
                String row = objectsRow(r, rowMin, rowMax, 0, () -> colour(r));
                return arrow(family, family, row, gravity(row));
            }
            case "substitute":
                return arrow(family, family, letters(r, 3, 6), null);
            default:
                throw new IllegalArgumentException("no prompt generator for the family " + family);
        }
    }

    /** Recolour one colour, then maybe let the colours fall right or mirror the row. */
    record NovelRule(String from, String to, String then) {
        String apply(String row) {
            String recoloured = row.replace(from, to);
            return switch (then) {
                case "gravity" -> gravity(recoloured);
                case "mirror" -> reverse(recoloured);
                default -> recoloured;
            };
        }

        String row(Rng rr, int min, int max) {
            for (; ; ) {
                String candidate = objectsRow(rr, min, max, 0, () -> rr.next() < 0.5 ? from : colour(rr));
                if (candidate.contains(from)) {
                    return candidate;
                }
            }
        }
    }

    static NovelRule novelRule(Rng r) {
        String from = colour(r);
        String to = colour(r);
        while (to.equals(from)) {
            to = colour(r);
        }
        String then = r.pick(List.of("none", "gravity", "mirror"));
        return new NovelRule(from, to, then);
    }

    static FewShotTask novelTask(String seed, int demos, int rowMin, int rowMax) {
        Rng r = new Rng(seed);
        NovelRule rule = novelRule(r);
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < demos; i++) {
            String input = rule.row(r, rowMin, rowMax);
            examples.add(new Example(input, rule.apply(input)));
        }
        String prompt = rule.row(r, rowMin, rowMax);
        return new FewShotTask(rule, examples, prompt, rule.apply(prompt));
    }

    private static final List<String> WORDS = List.of(
            "amber", "birch", "cobalt", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "juniper",
            "kestrel", "lagoon", "meadow", "nickel", "orchid", "pepper", "quartz", "raven", "saffron", "tundra");

    private static String pad2(int v) {
        return v < 10 ? "0" + v : String.valueOf(v);
    }

    static Document documentFor(String seed, int chars) {
        Rng r = new Rng(seed);
        List<String> facts = new ArrayList<>();
        int length = 0;
        while (length < chars) {
            String route = r.pick(WORDS) + "-" + r.between(10, 99);
            int dock = r.between(1, 40);
            int hour = r.between(5, 22);
            int minute = r.between(0, 59);
            String fact = "The courier on route " + route + " leaves dock " + dock + " at " + pad2(hour) + ":"
                    + pad2(minute) + ".";
            facts.add(fact);
            length += fact.length() + 1;
        }
        String asked = r.pick(facts).replaceAll(" leaves dock .*$", "");
        return new Document(String.join(" ", facts), asked + " leaves dock");
    }
}
