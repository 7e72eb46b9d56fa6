package ai.adaptserve.model.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code tojson} filter as Hugging Face defines it for chat templates: Python's {@code json.dumps(value,
 * ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)}. Jinjava's own filter writes
 * Jackson's compact form ({@code {"a":1}}), so a template that serializes tool definitions or arguments would
 * render differently from the prompt the model was trained on ({@code {"a": 1}}).
 */
final class PythonJson implements Filter {
    private static final int MAX_DEPTH = 64;

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        return dumps(var, null, false, null, null);
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
        boolean sortKeys = Boolean.TRUE.equals(kwargs.get("sort_keys"));
        String itemSep = null;
        String keySep = null;
        if (kwargs.get("separators") instanceof List<?> seps && seps.size() == 2) {
            itemSep = String.valueOf(seps.get(0));
            keySep = String.valueOf(seps.get(1));
        }
        Integer n = indent == null ? null : Math.toIntExact(((Number) indent).longValue());
        return dumps(var, n, sortKeys, itemSep, keySep);
    }

    /** {@code json.dumps} with {@code ensure_ascii=False}; default separators as Python chooses them. */
    static String dumps(Object value, Integer indent, boolean sortKeys, String itemSep, String keySep) {
        String items = itemSep != null ? itemSep : indent == null ? ", " : ",";
        String keys = keySep != null ? keySep : ": ";
        StringBuilder out = new StringBuilder();
        write(out, value, indent, sortKeys, items, keys, 0);
        return out.toString();
    }

    private static void write(
            StringBuilder out, Object v, Integer indent, boolean sort, String items, String keys, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("tojson: value nested deeper than " + MAX_DEPTH);
        }
        if (v == null) {
            out.append("null");
        } else if (v instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (v instanceof Double || v instanceof Float) {
            out.append(pythonFloat(((Number) v).doubleValue()));
        } else if (v instanceof Number n) {
            out.append(n instanceof BigDecimal d ? d.toPlainString() : n.toString());
        } else if (v instanceof CharSequence s) {
            string(out, s.toString());
        } else if (v instanceof Map<?, ?> m) {
            Map<?, ?> map = sort ? new TreeMap<>(m) : m;
            if (map.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!first) {
                    out.append(items);
                }
                first = false;
                newline(out, indent, depth + 1);
                string(out, String.valueOf(e.getKey()));
                out.append(keys);
                write(out, e.getValue(), indent, sort, items, keys, depth + 1);
            }
            newline(out, indent, depth);
            out.append('}');
        } else if (v instanceof Iterable<?> || v instanceof Object[]) {
            List<Object> list = new ArrayList<>();
            if (v instanceof Object[] a) {
                list.addAll(List.of(a));
            } else {
                ((Iterable<?>) v).forEach(list::add);
            }
            if (list.isEmpty()) {
                out.append("[]");
                return;
            }
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    out.append(items);
                }
                newline(out, indent, depth + 1);
                write(out, list.get(i), indent, sort, items, keys, depth + 1);
            }
            newline(out, indent, depth);
            out.append(']');
        } else {
            string(out, v.toString());
        }
    }

    private static void newline(StringBuilder out, Integer indent, int depth) {
        if (indent != null) {
            out.append('\n').append(" ".repeat(Math.max(0, indent) * depth));
        }
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** Python's {@code repr(float)} for the values JSON can carry (NaN and infinities as Python writes them). */
    static String pythonFloat(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        BigDecimal shortest = new BigDecimal(Double.toString(d)); // shortest digits that round-trip, as Python
        double abs = Math.abs(d);
        if (abs >= 1e-4 && abs < 1e16) {
            String plain = shortest.stripTrailingZeros().toPlainString();
            return plain.contains(".") ? plain : plain + ".0";
        }
        BigDecimal unscaled = shortest.stripTrailingZeros();
        String digits = unscaled.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - unscaled.scale();
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return (d < 0 ? "-" : "") + mantissa + "e" + (exponent < 0 ? "-" : "+")
                + String.format("%02d", Math.abs(exponent));
    }
}
