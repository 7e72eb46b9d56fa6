package ai.adaptserve.model.chat;

import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.tree.ExpressionNode;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.tree.parse.ExpressionToken;
import com.hubspot.jinjava.tree.parse.NoteToken;
import com.hubspot.jinjava.tree.parse.TagToken;
import com.hubspot.jinjava.tree.parse.TextToken;
import com.hubspot.jinjava.tree.parse.Token;
import com.hubspot.jinjava.tree.parse.TokenScanner;
import com.hubspot.jinjava.tree.parse.UnclosedToken;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The template source as Jinja2 would read it, and what the template uses: Jinja2's newline handling and {@code
 * lstrip_blocks} rebuilt on Jinjava's tokens, and the filters and tests the template names (Jinjava renders an unknown
 * one as nothing, so they are checked before use). Loop filters are refused: Jinjava reads them differently.
 */
final class JinjaSource {
    private static final Pattern FILTER_USE = Pattern.compile("\\|\\s*([A-Za-z_][A-Za-z0-9_]*)");
    private static final Pattern TEST_USE = Pattern.compile("\\bis\\s+(?:not\\s+)?([A-Za-z_][A-Za-z0-9_]*)");

    private JinjaSource() {}

    /**
     * Jinja2's lexer turns every newline sequence of the source into {@code \n} and, with {@code
     * keep_trailing_newline=False}, drops one newline at the very end of the source.
     */
    static String jinja2Source(String template) {
        String s = template.replace("\r\n", "\n").replace('\r', '\n');
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    /**
     * Jinja2's {@code lstrip_blocks}: spaces and tabs from the start of a line up to a block tag or comment are
     * removed; elsewhere ({@code {{ x }} {% if %}}) they stay. Jinjava's option strips them before every tag, which
     * would join words a template separates. Works on Jinjava's own tokens, so only text between tags changes.
     */
    static String lstripBlocks(String source, JinjavaConfig config) {
        List<Token> tokens = new ArrayList<>();
        new TokenScanner(source, config).forEachRemaining(tokens::add);
        StringBuilder out = new StringBuilder(source.length());
        for (int i = 0; i < tokens.size(); i++) {
            String image = tokens.get(i).getImage();
            boolean beforeBlock = i + 1 < tokens.size()
                    && (tokens.get(i + 1) instanceof TagToken || tokens.get(i + 1) instanceof NoteToken)
                    && !tokens.get(i + 1).getImage().startsWith("{%+");
            if (tokens.get(i) instanceof TextToken && !(tokens.get(i) instanceof UnclosedToken) && beforeBlock) {
                int k = image.length();
                while (k > 0 && (image.charAt(k - 1) == ' ' || image.charAt(k - 1) == '\t')) {
                    k--;
                }
                boolean lineStart = k == 0 ? i == 0 : image.charAt(k - 1) == '\n';
                if (lineStart) {
                    image = image.substring(0, k);
                }
            }
            out.append(image);
        }
        return out.toString();
    }

    static void collectNames(Node node, Set<String> filters, Set<String> tests, String source) {
        String expression = null;
        if (node instanceof ExpressionNode && node.getMaster() instanceof ExpressionToken t) {
            expression = t.getExpr();
        } else if (node instanceof TagNode tag) {
            expression = tag.getHelpers();
            if ("for".equals(tag.getName()) && hasLoopFilter(expression)) {
                // Jinjava reads "for x in xs if c" as "for x in (xs if c)": every item, not the filtered ones.
                throw ChatTemplate.invalid(
                        source,
                        "chat_template line " + node.getLineNumber() + ": loop filters ({% for x in xs if test %}) are"
                                + " not supported by this engine; use selectattr/rejectattr or an if inside the loop");
            }
            if ("filter".equals(tag.getName())) {
                expression = "|" + expression.strip();
            }
        }
        if (expression != null) {
            String code = withoutStrings(expression);
            Matcher f = FILTER_USE.matcher(code);
            while (f.find()) {
                filters.add(f.group(1));
            }
            Matcher t = TEST_USE.matcher(code);
            while (t.find()) {
                tests.add(t.group(1));
            }
        }
        for (Node child : node.getChildren()) {
            collectNames(child, filters, tests, source);
        }
    }

    /** Whether a for tag's helpers end in a loop filter: an {@code if} at the top level with no {@code else}. */
    static boolean hasLoopFilter(String helpers) {
        String code = withoutStrings(helpers);
        int depth = 0;
        boolean pendingIf = false;
        Matcher m = Pattern.compile("[()\\[\\]{}]|\\b(?:if|else)\\b").matcher(code);
        while (m.find()) {
            switch (m.group()) {
                case "(", "[", "{" -> depth++;
                case ")", "]", "}" -> depth--;
                case "if" -> pendingIf |= depth == 0;
                default -> {
                    if (depth == 0) {
                        pendingIf = false;
                    }
                }
            }
        }
        return pendingIf;
    }

    /** The expression with its string literals blanked, so that "a|b" inside quotes is not taken for a filter. */
    static String withoutStrings(String expression) {
        StringBuilder out = new StringBuilder(expression.length());
        char quote = 0;
        for (int i = 0; i < expression.length(); i++) {
            char c = expression.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                    out.append(c);
                }
            } else {
                if (c == '\'' || c == '"') {
                    quote = c;
                }
                out.append(c);
            }
        }
        return out.toString();
    }
}
