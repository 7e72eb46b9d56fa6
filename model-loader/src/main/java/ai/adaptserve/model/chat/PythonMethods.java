package ai.adaptserve.model.chat;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;
import jinjava.javax.el.ELResolver;
import jinjava.javax.el.MethodNotFoundException;

/**
 * Method calls in chat templates with Python's meaning. Jinjava calls Java methods by name, so {@code s.strip()}
 * happened to work while {@code s.startswith(x)}, {@code s.lstrip()} or {@code s.upper()} did not, {@code
 * s.split('.')} split on a regular expression, and {@code s.repeat(2000000000)} allocated what it was asked to.
 * This resolver comes first: on a string it runs Python's {@code str} methods (those templates use) and refuses
 * every other name; on a list or a dict it allows only Python's read-only methods, as the immutable sandbox that
 * Hugging Face renders templates in does. Calls on other objects (Jinjava's filters, tests, loop and namespace
 * objects) go on to Jinjava's own resolvers.
 */
final class PythonMethods extends ELResolver {
    private static final Set<String> DICT_METHODS = Set.of("items", "keys", "values", "get");
    private static final Set<String> LIST_METHODS = Set.of("index", "count");

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (base == null || method == null) {
            return null;
        }
        String name = method.toString();
        Object[] args = params == null ? new Object[0] : params;
        if (base instanceof CharSequence s) {
            Object result = str(s.toString(), name, args);
            context.setPropertyResolved(true);
            return result;
        }
        if (base instanceof Map<?, ?> && !DICT_METHODS.contains(name)) {
            throw new MethodNotFoundException("dict method '" + name + "' is not available in chat templates");
        }
        if (base instanceof Collection<?> && !LIST_METHODS.contains(name)) {
            throw new MethodNotFoundException("list method '" + name + "' is not available in chat templates");
        }
        if (base instanceof Collection<?> c) {
            Object result = list(new ArrayList<>(c), name, args);
            context.setPropertyResolved(true);
            return result;
        }
        return null; // not ours: Jinjava's resolvers decide
    }

    private static Object list(List<?> l, String name, Object[] args) {
        need(name, args, 1, 1);
        return switch (name) {
            case "index" -> {
                int i = l.indexOf(args[0]);
                if (i < 0) {
                    throw new ELException("list.index(x): x not in list");
                }
                yield (long) i;
            }
            default ->
                l.stream()
                        .filter(x -> x == null ? args[0] == null : x.equals(args[0]))
                        .count();
        };
    }

    private static Object str(String s, String name, Object[] args) {
        return switch (name) {
            case "strip" -> strip(s, chars(name, args), true, true);
            case "lstrip" -> strip(s, chars(name, args), true, false);
            case "rstrip" -> strip(s, chars(name, args), false, true);
            case "startswith" -> {
                need(name, args, 1, 1);
                yield affixes(name, args[0]).stream().anyMatch(s::startsWith);
            }
            case "endswith" -> {
                need(name, args, 1, 1);
                yield affixes(name, args[0]).stream().anyMatch(s::endsWith);
            }
            case "split" -> {
                need(name, args, 0, 2);
                String sep = args.length > 0 && args[0] != null ? args[0].toString() : null;
                int max = args.length > 1 ? Math.toIntExact(number(name, args[1])) : -1;
                yield split(s, sep, max);
            }
            case "splitlines" -> {
                need(name, args, 0, 0);
                yield splitLines(s);
            }
            case "upper" -> noArgs(name, args, s.toUpperCase(Locale.ROOT));
            case "lower" -> noArgs(name, args, s.toLowerCase(Locale.ROOT));
            case "capitalize" ->
                noArgs(
                        name,
                        args,
                        s.isEmpty()
                                ? s
                                : s.substring(0, s.offsetByCodePoints(0, 1)).toUpperCase(Locale.ROOT)
                                        + s.substring(s.offsetByCodePoints(0, 1))
                                                .toLowerCase(Locale.ROOT));
            case "title" -> noArgs(name, args, title(s));
            case "replace" -> {
                need(name, args, 2, 3);
                long count = args.length > 2 ? number(name, args[2]) : -1;
                yield replace(s, text(name, args[0]), text(name, args[1]), count);
            }
            case "find" -> {
                need(name, args, 1, 1);
                yield (long) s.indexOf(text(name, args[0]));
            }
            case "count" -> {
                need(name, args, 1, 1);
                yield count(s, text(name, args[0]));
            }
            case "join" -> {
                need(name, args, 1, 1);
                List<String> parts = new ArrayList<>();
                for (Object o : iterable(name, args[0])) {
                    parts.add(String.valueOf(o));
                }
                yield String.join(s, parts);
            }
            case "isspace" -> noArgs(name, args, !s.isEmpty() && s.codePoints().allMatch(PythonMethods::isSpace));
            case "isdigit" -> noArgs(name, args, !s.isEmpty() && s.codePoints().allMatch(Character::isDigit));
            case "isalpha" -> noArgs(name, args, !s.isEmpty() && s.codePoints().allMatch(Character::isLetter));
            case "isalnum" -> noArgs(name, args, !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit));
            case "islower" ->
                noArgs(name, args, s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(Locale.ROOT)));
            case "isupper" ->
                noArgs(name, args, s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(Locale.ROOT)));
            default ->
                throw new MethodNotFoundException("string method '" + name + "' is not available in chat templates");
        };
    }

    /** Python's {@code str.isspace} for one code point. */
    static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        while (left && start < end && stripped(s.charAt(start), chars)) {
            start++;
        }
        while (right && end > start && stripped(s.charAt(end - 1), chars)) {
            end--;
        }
        return s.substring(start, end);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    static List<String> split(String s, String sep, int max) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (max >= 0 && out.size() == max) {
                    out.add(strip(s.substring(i), null, false, true));
                    break;
                }
                int j = i;
                while (j < n && !isSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw new ELException("split: empty separator");
        }
        int from = 0;
        while (max < 0 || out.size() < max) {
            int at = s.indexOf(sep, from);
            if (at < 0) {
                break;
            }
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static List<String> splitLines(String s) {
        List<String> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\r'
                    || c == '\n'
                    || c == 0x0b
                    || c == 0x0c
                    || c == 0x1c
                    || c == 0x1d
                    || c == 0x1e
                    || c == 0x85
                    || c == 0x2028
                    || c == 0x2029) {
                out.add(s.substring(start, i));
                i += c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n' ? 2 : 1;
                start = i;
            } else {
                i++;
            }
        }
        if (start < s.length()) {
            out.add(s.substring(start));
        }
        return out;
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean cased = Character.isLetter(c);
            out.append(cased ? (previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c)) : c);
            previousCased = cased;
        }
        return out.toString();
    }

    private static String replace(String s, String old, String replacement, long count) {
        if (count < 0) {
            return s.replace(old, replacement);
        }
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (long done = 0; done < count; done++) {
            int at = old.isEmpty() ? (from <= s.length() ? from : -1) : s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            out.append(s, from, at).append(replacement);
            if (old.isEmpty()) {
                if (at < s.length()) {
                    out.append(s.charAt(at));
                }
                from = at + 1;
            } else {
                from = at + old.length();
            }
        }
        if (from <= s.length()) {
            out.append(s.substring(from));
        }
        return out.toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1L;
        }
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static List<String> affixes(String name, Object arg) {
        List<String> out = new ArrayList<>();
        if (arg instanceof CharSequence c) {
            out.add(c.toString());
        } else {
            for (Object o : iterable(name, arg)) {
                out.add(text(name, o));
            }
        }
        return out;
    }

    private static Iterable<?> iterable(String name, Object arg) {
        if (arg instanceof Iterable<?> it) {
            return it;
        }
        if (arg instanceof Object[] a) {
            return List.of(a);
        }
        throw new ELException(name + "() needs a list, got " + typeName(arg));
    }

    private static String chars(String name, Object[] args) {
        need(name, args, 0, 1);
        return args.length == 0 || args[0] == null ? null : text(name, args[0]);
    }

    private static String text(String name, Object arg) {
        if (arg instanceof CharSequence c) {
            return c.toString();
        }
        throw new ELException(name + "() needs a string, got " + typeName(arg));
    }

    private static long number(String name, Object arg) {
        if (arg instanceof Number n) {
            return n.longValue();
        }
        throw new ELException(name + "() needs a number, got " + typeName(arg));
    }

    private static Object noArgs(String name, Object[] args, Object result) {
        need(name, args, 0, 0);
        return result;
    }

    private static void need(String name, Object[] args, int min, int max) {
        if (args.length < min || args.length > max) {
            throw new ELException(
                    name + "() takes " + (min == max ? min : min + " to " + max) + " arguments, got " + args.length);
        }
    }

    private static String typeName(Object o) {
        if (o == null) {
            return "none";
        }
        if (o instanceof Map<?, ?>) {
            return "a dict";
        }
        if (o instanceof Collection<?>) {
            return "a list";
        }
        if (o instanceof Number) {
            return "a number";
        }
        return "a " + o.getClass().getSimpleName();
    }

    // Property access is left to Jinjava's resolvers.

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
