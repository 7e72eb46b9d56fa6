package ai.adaptserve.lab.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The arguments of the project's command-line tools: {@code --name value} options and {@code --flag} switches. Every
 * problem is an {@link IllegalArgumentException} whose message names the option, for the tool to print with its
 * usage.
 */
public final class CommandArgs {
    private final Map<String, String> values;

    private CommandArgs(Map<String, String> values) {
        this.values = values;
    }

    /** Parses {@code args}; anything that is neither a known option nor a known flag is refused. */
    public static CommandArgs parse(String[] args, List<String> options, List<String> flags) {
        Map<String, String> v = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (flags.contains(a)) {
                v.put(a, "true");
            } else if (options.contains(a)) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + " needs a value");
                }
                v.put(a, args[++i]);
            } else {
                throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        return new CommandArgs(v);
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public boolean flag(String name) {
        return values.containsKey(name);
    }

    public Optional<String> string(String name) {
        return Optional.ofNullable(values.get(name));
    }

    public String required(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException(name + " is required");
        }
        return v;
    }

    public Path requiredPath(String name) {
        return Path.of(required(name));
    }

    public Optional<Path> path(String name) {
        return string(name).map(Path::of);
    }

    public long longArg(String name, long dflt) {
        if (!values.containsKey(name)) {
            return dflt;
        }
        try {
            return Long.parseLong(values.get(name));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, was " + values.get(name), e);
        }
    }

    public int intArg(String name, int dflt, int min) {
        if (!values.containsKey(name)) {
            return dflt;
        }
        int x;
        try {
            x = Integer.parseInt(values.get(name));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, was " + values.get(name), e);
        }
        if (x < min) {
            throw new IllegalArgumentException(name + " must be >= " + min + ", was " + x);
        }
        return x;
    }

    public double doubleArg(String name, double dflt, double min) {
        if (!values.containsKey(name)) {
            return dflt;
        }
        double x;
        try {
            x = Double.parseDouble(values.get(name));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, was " + values.get(name), e);
        }
        if (!(x >= min) || Double.isInfinite(x)) {
            throw new IllegalArgumentException(name + " must be a number >= " + min + ", was " + x);
        }
        return x;
    }

    /**
     * What a command's {@code main} does with its exit code: returns normally on 0 (the JVM ends when its work does)
     * and ends the JVM with the code otherwise, so that scripts see the failure.
     */
    public static void exitWith(int code) {
        if (code != 0) {
            System.exit(code);
        }
    }
}
