package ai.adaptserve.model.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpreterFactory;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import java.util.Collection;
import java.util.Map;

/**
 * Interpreters that print {@code {{ value }}} as Python's {@code str(value)}, as Jinja2 does: {@code True} and
 * {@code False}, lists as {@code ['a', 'b']}, dicts as {@code {'k': 1}}. Jinjava prints Java's {@code toString()}
 * ({@code true}, {@code [a, b]}). A missing value prints as nothing in both.
 */
final class PythonOutput implements InterpreterFactory {
    private static final int MAX_DEPTH = 64;

    @Override
    public JinjavaInterpreter newInstance(JinjavaInterpreter orig) {
        return new Interpreter(orig);
    }

    @Override
    public JinjavaInterpreter newInstance(Jinjava application, Context context, JinjavaConfig renderConfig) {
        return new Interpreter(application, context, renderConfig);
    }

    private static final class Interpreter extends JinjavaInterpreter {
        Interpreter(JinjavaInterpreter orig) {
            super(orig);
        }

        Interpreter(Jinjava application, Context context, JinjavaConfig config) {
            super(application, context, config);
        }

        @Override
        public String getAsString(Object object) {
            if (object instanceof Boolean
                    || object instanceof Collection<?>
                    || object instanceof Map<?, ?>
                    || object instanceof Double
                    || object instanceof Float) {
                StringBuilder out = new StringBuilder();
                str(out, object, 0);
                return out.toString();
            }
            return super.getAsString(object);
        }
    }

    /** Python's {@code str()} of a value. */
    static void str(StringBuilder out, Object v, int depth) {
        if (v instanceof CharSequence s) {
            out.append(s);
        } else {
            repr(out, v, depth);
        }
    }

    /** Python's {@code repr()} of a value. */
    static void repr(StringBuilder out, Object v, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("value nested deeper than " + MAX_DEPTH);
        }
        if (v == null) {
            out.append("None");
        } else if (v instanceof Boolean b) {
            out.append(b ? "True" : "False");
        } else if (v instanceof Double || v instanceof Float) {
            out.append(PythonJson.pythonFloat(((Number) v).doubleValue()));
        } else if (v instanceof CharSequence s) {
            string(out, s.toString());
        } else if (v instanceof Map<?, ?> m) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    out.append(", ");
                }
                first = false;
                repr(out, e.getKey(), depth + 1);
                out.append(": ");
                repr(out, e.getValue(), depth + 1);
            }
            out.append('}');
        } else if (v instanceof Collection<?> c) {
            out.append('[');
            boolean first = true;
            for (Object o : c) {
                if (!first) {
                    out.append(", ");
                }
                first = false;
                repr(out, o, depth + 1);
            }
            out.append(']');
        } else {
            out.append(v);
        }
    }

    private static void string(StringBuilder out, String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        out.append(quote);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c == quote) {
                        out.append('\\').append(c);
                    } else if (c < 0x20 || c == 0x7f) {
                        out.append(String.format("\\x%02x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append(quote);
    }
}
