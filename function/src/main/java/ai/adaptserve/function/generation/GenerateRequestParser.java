package ai.adaptserve.function.generation;

import ai.adaptserve.function.adaptation.AdapterService;
import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.api.ErrorCodes;
import ai.adaptserve.function.settings.AdaptServeConfig;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns a {@code POST /v1/generate} body into a {@link GenerateRequest}, or a 400/413 whose message names the
 * offending field. Strict on purpose: unknown fields, duplicate fields, trailing data and values of the wrong JSON
 * type (a string for a number, a fraction for an integer) are refused rather than guessed at.
 */
public final class GenerateRequestParser {

    static final Set<String> FIELDS = Set.of(
            "prompt",
            "examples",
            "document",
            "task",
            "adapter",
            "max_tokens",
            "temperature",
            "top_p",
            "stop",
            "seed",
            "samples",
            "vote",
            "stream");

    static final float MAX_TEMPERATURE = 2f;
    static final int MAX_STOP_STRINGS = 4;
    static final int MAX_STOP_CHARS = 64;
    private static final Pattern TASK = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");
    private static final int ECHO_CHARS = 40;
    public static final String AUTO = "auto";
    public static final String NONE = "none";
    public static final String CEM = "cem";

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final AdaptServeConfig.Limits limits;

    public GenerateRequestParser(AdaptServeConfig.Limits limits) {
        this.limits = limits;
    }

    /** A JSON body as a validated request, or a 400/413 {@link ApiException} naming the field. */
    public GenerateRequest parse(byte[] body) {
        return parse(readJson(body));
    }

    /** The body as JSON, or a 400 saying where it is malformed. */
    public static JsonNode readJson(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new ApiException(400, ErrorCodes.INVALID_JSON, malformed(e));
        } catch (IOException e) {
            throw new ApiException(400, ErrorCodes.INVALID_JSON, "the request body could not be read as JSON");
        }
        if (root == null || root.isMissingNode()) {
            throw new ApiException(400, ErrorCodes.INVALID_JSON, "the request body is empty; send a JSON object");
        }
        return root;
    }

    /** A request already read as JSON (the OpenAI-compatible routes translate theirs into this shape). */
    public GenerateRequest parse(JsonNode root) {
        if (!root.isObject()) {
            throw ApiException.invalid("the request body must be a JSON object, got " + describe(root));
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw ApiException.invalid("unknown field " + quote(name) + "; known fields are "
                        + String.join(", ", FIELDS.stream().sorted().toList()));
            }
        }

        String prompt = prompt(root.get("prompt"));
        List<GenerateRequest.Example> examples = examples(root.get("examples"));
        String document = document(optionalString(root, "document"));
        String task = optionalString(root, "task");
        if (task != null && !TASK.matcher(task).matches()) {
            throw ApiException.invalid(
                    "task must be 1 to 64 letters, digits, '_', '-', '.' or ':', got " + quote(task));
        }
        String adapter = optionalString(root, "adapter");
        if (adapter == null) {
            adapter = AUTO;
        } else if (!adapter.equals(AUTO)
                && !adapter.equals(NONE)
                && !adapter.equals(CEM)
                && !AdapterService.isId(adapter)) {
            throw new ApiException(
                    400,
                    ErrorCodes.ADAPTER_NOT_FOUND,
                    "adapter " + quote(adapter) + " not found: it must be \"auto\", \"none\", \"cem\" or an adapter"
                            + " id (sha256: followed by 64 lower-case hex digits)");
        }
        if (adapter.equals(CEM) && examples.size() < 2) {
            throw ApiException.invalid("adapter \"cem\" searches a mixture of experts on the examples: it needs at"
                    + " least 2 examples, got " + examples.size());
        }
        if (adapter.equals(CEM) && document != null) {
            throw new ApiException(
                    400,
                    ErrorCodes.UNSUPPORTED,
                    "adapter \"cem\" and document: the mixture search uses examples only; send \"adapter\":"
                            + " \"none\" to use the document in context");
        }
        if (adapter.equals(AUTO) && examples.size() == 1) {
            throw ApiException.invalid("examples: test-time training needs at least 2 examples, got 1; send"
                    + " \"adapter\": \"none\" to use a single example in context only");
        }
        if (adapter.equals(AUTO) && examples.size() >= 2 && document != null) {
            throw new ApiException(
                    400,
                    ErrorCodes.UNSUPPORTED,
                    "examples and document: test-time training on both at once is not supported; send one of them,"
                            + " or \"adapter\": \"none\" to use both in context");
        }
        Integer maxTokens = optionalInt(root, "max_tokens", 1, limits.maxTokens());
        Float temperature = optionalFloat(root, "temperature");
        if (temperature != null && !(temperature >= 0 && temperature <= MAX_TEMPERATURE)) {
            throw ApiException.invalid("temperature must be between 0 and " + MAX_TEMPERATURE + ", got " + temperature);
        }
        Float topP = optionalFloat(root, "top_p");
        if (topP != null && !(topP > 0 && topP <= 1)) {
            throw ApiException.invalid("top_p must be greater than 0 and at most 1, got " + topP);
        }
        List<String> stop = stop(root.get("stop"));
        Long seed = optionalLong(root, "seed");
        Integer samples = optionalInt(root, "samples", 1, limits.maxSamples());
        String voteName = optionalString(root, "vote");
        Vote vote = voteName == null
                ? Vote.MAJORITY
                : Vote.fromJson(voteName)
                        .orElseThrow(() -> ApiException.invalid(
                                "vote must be one of " + Vote.names() + ", got " + quote(voteName)));
        if (vote.needsExamples() && examples.isEmpty()) {
            throw ApiException.invalid("vote " + quote(vote.json()) + " needs examples: it "
                    + (vote == Vote.VERIFIER
                            ? "scores each answer on the request's examples"
                            : "asks the examples and prompt under invertible transforms")
                    + "; send examples or another vote");
        }
        if (vote == Vote.AUGMENTED && samples != null && samples != 1) {
            throw ApiException.invalid("samples must be 1 with vote \"augmented\" (one answer per transform and order"
                    + " of the examples), got " + samples);
        }
        JsonNode streamNode = present(root.get("stream"));
        if (streamNode != null && !streamNode.isBoolean()) {
            throw ApiException.invalid("stream must be a boolean, got " + describe(streamNode));
        }
        boolean stream = streamNode != null && streamNode.booleanValue();
        return new GenerateRequest(
                prompt,
                examples,
                document,
                task,
                adapter,
                maxTokens,
                temperature,
                topP,
                stop,
                seed,
                samples == null ? 1 : samples,
                vote,
                stream);
    }

    private String prompt(JsonNode node) {
        node = present(node);
        if (node == null) {
            throw ApiException.invalid("prompt is required");
        }
        if (!node.isTextual()) {
            throw ApiException.invalid("prompt must be a string, got " + describe(node));
        }
        String prompt = node.textValue();
        if (prompt.isBlank()) {
            throw ApiException.invalid("prompt must not be blank");
        }
        if (prompt.length() > limits.maxPromptChars()) {
            throw new ApiException(
                    413,
                    ErrorCodes.PROMPT_TOO_LONG,
                    "prompt is " + prompt.length() + " characters; the limit is " + limits.maxPromptChars());
        }
        return prompt;
    }

    private List<GenerateRequest.Example> examples(JsonNode node) {
        node = present(node);
        if (node == null) {
            return List.of();
        }
        if (!node.isArray()) {
            throw ApiException.invalid("examples must be an array of {input, output} objects, got " + describe(node));
        }
        if (node.size() > limits.maxExamples()) {
            throw ApiException.invalid(
                    "examples has " + node.size() + " items; at most " + limits.maxExamples() + " are allowed");
        }
        List<GenerateRequest.Example> out = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            String where = "examples[" + i + "]";
            JsonNode example = node.get(i);
            if (!example.isObject()) {
                throw ApiException.invalid(
                        where + " must be an object with input and output, got " + describe(example));
            }
            for (Iterator<String> names = example.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!name.equals("input") && !name.equals("output")) {
                    throw ApiException.invalid(
                            "unknown field " + quote(where + "." + name) + "; an example has input and output");
                }
            }
            String input = exampleText(example.get("input"), where + ".input");
            String output = exampleText(example.get("output"), where + ".output");
            if (output.indexOf('\n') >= 0 || output.indexOf('\r') >= 0) {
                throw ApiException.invalid(
                        where + ".output must not contain a line break: an answer ends at the first one");
            }
            out.add(new GenerateRequest.Example(input, output));
        }
        return out;
    }

    private String exampleText(JsonNode node, String field) {
        String s = requiredString(node, field);
        if (s.length() > limits.maxExampleChars()) {
            throw ApiException.invalid(
                    field + " is " + s.length() + " characters; the limit is " + limits.maxExampleChars());
        }
        requireUnicode(s, field);
        return s;
    }

    private String document(String document) {
        if (document == null) {
            return null;
        }
        if (document.isEmpty()) {
            throw ApiException.invalid("document must not be empty");
        }
        if (document.length() > limits.maxDocumentChars()) {
            throw new ApiException(
                    413,
                    ErrorCodes.DOCUMENT_TOO_LONG,
                    "document is " + document.length() + " characters; the limit is " + limits.maxDocumentChars());
        }
        requireUnicode(document, "document");
        return document;
    }

    /** Refuses text with an unpaired surrogate (JSON escapes allow one; it has no UTF-8 form to hash or tokenize). */
    private static void requireUnicode(String s, String field) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw ApiException.invalid(field + " is not valid Unicode: unpaired surrogate at character " + i);
            }
        }
    }

    private static List<String> stop(JsonNode node) {
        node = present(node);
        if (node == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (node.isTextual()) {
            out.add(stopString(node, "stop"));
        } else if (node.isArray()) {
            if (node.size() > MAX_STOP_STRINGS) {
                throw ApiException.invalid(
                        "stop has " + node.size() + " strings; at most " + MAX_STOP_STRINGS + " are allowed");
            }
            for (int i = 0; i < node.size(); i++) {
                out.add(stopString(node.get(i), "stop[" + i + "]"));
            }
        } else {
            throw ApiException.invalid("stop must be a string or an array of strings, got " + describe(node));
        }
        return out;
    }

    private static String stopString(JsonNode node, String field) {
        if (!node.isTextual()) {
            throw ApiException.invalid(field + " must be a string, got " + describe(node));
        }
        String s = node.textValue();
        if (s.isEmpty() || s.length() > MAX_STOP_CHARS) {
            throw ApiException.invalid(field + " must be 1 to " + MAX_STOP_CHARS + " characters long");
        }
        return s;
    }

    private static String requiredString(JsonNode node, String field) {
        node = present(node);
        if (node == null) {
            throw ApiException.invalid(field + " is required");
        }
        if (!node.isTextual()) {
            throw ApiException.invalid(field + " must be a string, got " + describe(node));
        }
        return node.textValue();
    }

    private static String optionalString(JsonNode root, String field) {
        JsonNode node = present(root.get(field));
        if (node == null) {
            return null;
        }
        if (!node.isTextual()) {
            throw ApiException.invalid(field + " must be a string, got " + describe(node));
        }
        return node.textValue();
    }

    private static Integer optionalInt(JsonNode root, String field, int min, int max) {
        JsonNode node = present(root.get(field));
        if (node == null) {
            return null;
        }
        if (!node.isIntegralNumber()) {
            throw ApiException.invalid(field + " must be an integer, got " + describe(node));
        }
        if (!node.canConvertToInt() || node.intValue() < min || node.intValue() > max) {
            throw ApiException.invalid(
                    field + " must be between " + min + " and " + max + ", got " + echo(node.asText()));
        }
        return node.intValue();
    }

    private static Long optionalLong(JsonNode root, String field) {
        JsonNode node = present(root.get(field));
        if (node == null) {
            return null;
        }
        if (!node.isIntegralNumber()) {
            throw ApiException.invalid(field + " must be an integer, got " + describe(node));
        }
        if (!node.canConvertToLong()) {
            throw ApiException.invalid(field + " must fit in a signed 64-bit integer, got " + echo(node.asText()));
        }
        return node.longValue();
    }

    private static Float optionalFloat(JsonNode root, String field) {
        JsonNode node = present(root.get(field));
        if (node == null) {
            return null;
        }
        if (!node.isNumber()) {
            throw ApiException.invalid(field + " must be a number, got " + describe(node));
        }
        double value = node.doubleValue();
        if (!Double.isFinite(value) || Math.abs(value) > Float.MAX_VALUE) {
            throw ApiException.invalid(field + " must be a finite number, got " + echo(node.asText()));
        }
        return (float) value;
    }

    /** The node, or null when the field is absent or JSON null (both mean: use the default). */
    private static JsonNode present(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? null : node;
    }

    private static String describe(JsonNode node) {
        JsonNodeType type = node.getNodeType();
        return switch (type) {
            case STRING -> "a string";
            case NUMBER ->
                node.isIntegralNumber() ? "the integer " + echo(node.asText()) : "the number " + echo(node.asText());
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case NULL, MISSING -> "null";
            case BINARY -> "binary data";
        };
    }

    private static String malformed(JsonProcessingException e) {
        JsonLocation where = e.getLocation();
        String what = e.getOriginalMessage();
        if (e instanceof StreamConstraintsException) {
            // Jackson's text here names its own configuration methods; say what it means instead.
            what = "it nests too deeply or holds a value that is too long";
        }
        if (what == null) {
            what = "unreadable";
        }
        what = what.lines().findFirst().orElse(what);
        what = withoutParserSettings(what);
        if (what.length() > 200) {
            what = what.substring(0, 200) + "…";
        }
        String at = where == null ? "" : " at line " + where.getLineNr() + ", column " + where.getColumnNr();
        return "the request body is not valid JSON" + at + ": " + what;
    }

    /**
     * Jackson's text for some malformed input ends by naming the parser setting that would accept it ("JSON spec does
     * not allow numbers to have plus signs: enable `JsonReadFeature.ALLOW_LEADING_PLUS_SIGN_FOR_NUMBERS` to allow"),
     * which the client cannot change: that part goes (found by GenerateRequestParserFuzzTest). Any other mention of
     * one of Jackson's settings or types left over turns the whole text into a plain one.
     */
    static String withoutParserSettings(String what) {
        String plain = JACKSON_SETTING_HINT.matcher(what).replaceAll("");
        return JACKSON_NAME.matcher(plain).find() ? "it is not well-formed JSON" : plain;
    }

    /** ": enable `X` to allow", "(consider enabling `X` to allow …)", "(not recognized as one since Feature 'X' …)". */
    private static final Pattern JACKSON_SETTING_HINT = Pattern.compile(":? *enable `[^`]*` to allow"
            + "| *\\(consider enabling `[^`]*`.*"
            + "| *\\(not recognized as one since Feature '[A-Z_]+' not enabled for parser\\)"
            + "|[ .]*You can disable the check via `[^`]*`");

    /** A Java name in backquotes, as Jackson writes them: `JsonReadFeature.X`, `java.math.BigInteger`. */
    private static final Pattern JACKSON_NAME = Pattern.compile("`[A-Za-z_$][\\w$]*(\\.[\\w$]+)+(\\(\\))?`");

    static String quote(String s) {
        return "\"" + echo(s) + "\"";
    }

    private static String echo(String s) {
        return s.length() <= ECHO_CHARS ? s : s.substring(0, ECHO_CHARS) + "…";
    }
}
