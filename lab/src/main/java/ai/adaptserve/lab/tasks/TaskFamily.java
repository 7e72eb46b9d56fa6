package ai.adaptserve.lab.tasks;

import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * The training families: what the built-in model trains on and what the expert adapters specialise in. Each
 * family draws its per-task parameters from the training range ({@link #sample}); the novel split
 * ({@link NovelTasks}) uses values outside these ranges.
 */
public enum TaskFamily {
    REVERSE("reverse", Domain.TEXT, "the letters in reverse order", "-"),
    SORT("sort", Domain.TEXT, "the letters in alphabetical order", "-"),
    ROTATE("rotate", Domain.TEXT, "rotate left by k (`abcde` k=2 -> `cdeab`)", "k in 1..3"),
    CAESAR("caesar", Domain.TEXT, "each letter k places on, z wraps to a", "k in 1..3"),
    UPPER("upper", Domain.TEXT, "upper case", "-"),
    DEDUP("dedup", Domain.TEXT, "drop repeated letters, keeping the first of each", "-"),
    ADD("add", Domain.TEXT, "the sum of `a+b`", "a, b in 0..99"),
    SUBSTITUTE(
            "substitute",
            Domain.TEXT,
            "a letter table over `abcdef` drawn per task (no letter maps to itself); learnable only from demos",
            "table random per task"),
    SHIFT(
            "shift",
            Domain.GRID,
            "cells move k to the right; zero fill at the left (no wrap), last k cells of inputs are empty",
            "k in 1..2"),
    MIRROR("mirror", Domain.GRID, "left-right reflection of the row", "-"),
    RECOLOUR("recolour", Domain.GRID, "every cell of one colour becomes another", "from != to in 1..9 per task"),
    FILL("fill", Domain.GRID, "background between two cells of the same colour takes that colour", "-"),
    GRAVITY("gravity", Domain.GRID, "coloured cells fall to the right end, order kept", "-");

    /** What the inputs are. */
    public enum Domain {
        /** 3–8 characters (lower-case letters; {@code a+b} for add). */
        TEXT,
        /** 1-D rows of 6–12 digit cells, 0 the background. */
        GRID
    }

    public static final int ROTATE_MIN_K = 1;
    public static final int ROTATE_MAX_K = 3;
    public static final int CAESAR_MIN_K = 1;
    public static final int CAESAR_MAX_K = 3;
    public static final int SHIFT_MIN_K = 1;
    public static final int SHIFT_MAX_K = 2;
    public static final int ADD_MAX_OPERAND = 99;

    private final String label;
    private final Domain domain;
    private final String description;
    private final String parameters;

    TaskFamily(String label, Domain domain, String description, String parameters) {
        this.label = label;
        this.domain = domain;
        this.description = description;
        this.parameters = parameters;
    }

    /** The name written in task files and accepted as the API's {@code task}. */
    public String label() {
        return label;
    }

    public Domain domain() {
        return domain;
    }

    public String description() {
        return description;
    }

    /** The training range of the per-task parameters, for the suite's README. */
    public String parameters() {
        return parameters;
    }

    public static Optional<TaskFamily> byLabel(String label) {
        if (label == null) {
            return Optional.empty();
        }
        for (TaskFamily f : values()) {
            if (f.label.equals(label)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    /** This family with parameters drawn from the training range. */
    public Operation sample(Random random) {
        return switch (this) {
            case REVERSE -> Operations.reverse();
            case SORT -> Operations.sort();
            case ROTATE -> Operations.rotate(Operations.between(random, ROTATE_MIN_K, ROTATE_MAX_K));
            case CAESAR -> Operations.caesar(Operations.between(random, CAESAR_MIN_K, CAESAR_MAX_K));
            case UPPER -> Operations.upper();
            case DEDUP -> Operations.dedup();
            case ADD -> Operations.add(0, ADD_MAX_OPERAND);
            case SUBSTITUTE ->
                Operations.substitute(
                        Operations.SUBSTITUTE_ALPHABET, derangement(random, Operations.SUBSTITUTE_ALPHABET));
            case SHIFT -> Operations.shift(Operations.between(random, SHIFT_MIN_K, SHIFT_MAX_K));
            case MIRROR -> Operations.mirror();
            case RECOLOUR -> {
                char from = Operations.colour(random);
                char to;
                do {
                    to = Operations.colour(random);
                } while (to == from);
                yield Operations.recolour(from, to);
            }
            case FILL -> Operations.fill();
            case GRAVITY -> Operations.gravity();
        };
    }

    /**
     * This family with the given parameters (as recorded in a task's {@code params}), in or out of the training
     * range.
     */
    public Operation bind(Map<String, String> params) {
        return switch (this) {
            case REVERSE -> Operations.reverse();
            case SORT -> Operations.sort();
            case ROTATE -> Operations.rotate(Operations.intParam(params, "k"));
            case CAESAR -> Operations.caesar(Operations.intParam(params, "k"));
            case UPPER -> Operations.upper();
            case DEDUP -> Operations.dedup();
            case ADD -> {
                String operands = params.get("operands");
                if (operands == null) {
                    yield Operations.add(0, ADD_MAX_OPERAND);
                }
                String[] range = operands.split("-", 2);
                try {
                    yield Operations.add(Integer.parseInt(range[0]), Integer.parseInt(range[1]));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("parameter operands must read min-max: " + operands, e);
                }
            }
            case SUBSTITUTE ->
                Operations.substitute(Operations.stringParam(params, "from"), Operations.stringParam(params, "to"));
            case SHIFT -> Operations.shift(Operations.intParam(params, "k"));
            case MIRROR -> Operations.mirror();
            case RECOLOUR ->
                Operations.recolour(Operations.colourParam(params, "from"), Operations.colourParam(params, "to"));
            case FILL -> Operations.fill();
            case GRAVITY -> Operations.gravity();
        };
    }

    /** A random permutation of {@code alphabet} that moves every letter. */
    static String derangement(Random random, String alphabet) {
        char[] c = alphabet.toCharArray();
        while (true) {
            for (int i = c.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                char t = c[i];
                c[i] = c[j];
                c[j] = t;
            }
            boolean moved = true;
            for (int i = 0; i < c.length; i++) {
                if (c[i] == alphabet.charAt(i)) {
                    moved = false;
                    break;
                }
            }
            if (moved) {
                return new String(c);
            }
        }
    }
}
