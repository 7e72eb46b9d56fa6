package ai.adaptserve.function.openai;

import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.api.ErrorCodes;
import ai.adaptserve.function.settings.AdaptServeConfig;
import ai.adaptserve.model.chat.ChatMessage;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads an OpenAI-style body strictly, naming the field of every error (in the error's {@code param}). Fields that
 * change what OpenAI would answer and that this server cannot honour ({@code tools}, {@code logit_bias}, penalties,
 * {@code echo}, …) are refused rather than ignored; fields that only label the request ({@code user}, {@code
 * metadata}, {@code store}, {@code service_tier}) are accepted and ignored. AdaptServe's own fields ({@code
 * examples}, {@code document}, {@code adapter}, {@code vote}, {@code task}) pass through to the generate path, which
 * checks them as {@code POST /v1/generate} does.
 */
final class OpenAiRequestParser {

    static final int MAX_TOP = 20;
    static final int MAX_TOP_COMPLETIONS = 5;

    /** Decoding fields with the same name and meaning as in {@code POST /v1/generate}. */
    private static final Set<String> SHARED = Set.of("temperature", "top_p", "stop", "seed");
    /** AdaptServe's fields, sent by OpenAI clients as extra body. */
    private static final Set<String> ADAPTSERVE = Set.of("examples", "document", "vote", "task");

    private static final Set<String> IGNORED = Set.of("user", "metadata", "store", "service_tier");
    private static final Set<String> COMMON = Set.of(
            "model",
            "n",
            "max_tokens",
            "stream",
            "stream_options",
            "logprobs",
            "adapter",
            "presence_penalty",
            "frequency_penalty",
            "logit_bias");
    private static final Set<String> CHAT_ONLY = Set.of(
            "messages",
            "max_completion_tokens",
            "top_logprobs",
            "tools",
            "tool_choice",
            "functions",
            "function_call",
            "parallel_tool_calls",
            "response_format",
            "modalities",
            "audio",
            "prediction",
            "reasoning_effort",
            "web_search_options");
    private static final Set<String> COMPLETION_ONLY = Set.of("prompt", "echo", "suffix", "best_of");

    private final AdaptServeConfig.Limits limits;

    OpenAiRequestParser(AdaptServeConfig.Limits limits) {
        this.limits = limits;
    }

    OpenAiRequest parse(JsonNode root, boolean chat) {
        if (!root.isObject()) {
            throw ApiException.invalid(null, "the request body must be a JSON object");
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            boolean known = SHARED.contains(name)
                    || ADAPTSERVE.contains(name)
                    || IGNORED.contains(name)
                    || COMMON.contains(name)
                    || (chat ? CHAT_ONLY : COMPLETION_ONLY).contains(name);
            if (!known) {
                throw ApiException.invalid(name, "unknown field \"" + echo(name) + "\"");
            }
        }
        refuseUnsupported(root, chat);
        String model = requiredString(root, "model");
        ObjectNode generate = JsonNodeFactory.instance.objectNode();
        for (String f : SHARED) {
            copy(root, generate, f);
        }
        for (String f : ADAPTSERVE) {
            copy(root, generate, f);
        }
        Integer n = optionalInt(root, "n", 1, limits.maxSamples());
        if (n != null) {
            generate.put("samples", n);
        }
        String maxField = chat && present(root, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        Integer maxTokens = optionalInt(root, maxField, 1, limits.maxTokens());
        if (maxTokens != null) {
            generate.put("max_tokens", maxTokens);
        }
        boolean stream = optionalBoolean(root, "stream");
        boolean includeUsage = false;
        if (present(root, "stream_options")) {
            JsonNode options = root.get("stream_options");
            if (!stream) {
                throw ApiException.invalid("stream_options", "stream_options is only allowed with stream true");
            }
            if (!options.isObject()) {
                throw ApiException.invalid("stream_options", "stream_options must be an object");
            }
            for (Iterator<String> names = options.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!name.equals("include_usage") && !name.equals("include_obfuscation")) {
                    throw ApiException.invalid(
                            "stream_options." + name, "unknown field \"stream_options." + echo(name) + "\"");
                }
            }
            includeUsage = optionalBoolean(options, "include_usage");
        }
        boolean logprobs;
        int top;
        if (chat) {
            logprobs = optionalBoolean(root, "logprobs");
            Integer t = optionalInt(root, "top_logprobs", 0, MAX_TOP);
            if (t != null && t > 0 && !logprobs) {
                throw ApiException.invalid("top_logprobs", "top_logprobs needs logprobs true");
            }
            top = t == null ? 0 : t;
        } else {
            Integer t = optionalInt(root, "logprobs", 0, MAX_TOP_COMPLETIONS);
            logprobs = t != null;
            top = t == null ? 0 : t;
        }
        String adapter = present(root, "adapter") ? requiredString(root, "adapter") : null;
        List<ChatMessage> messages = chat ? messages(root) : List.of();
        String prompt = chat ? null : prompt(root);
        return new OpenAiRequest(chat, model, messages, prompt, logprobs, top, stream, includeUsage, generate, adapter);
    }

    private static void refuseUnsupported(JsonNode root, boolean chat) {
        for (String f : List.of("tools", "functions")) {
            if (present(root, f) && !(root.get(f).isArray() && root.get(f).isEmpty())) {
                throw unsupported(f, f + " (tool calling) is not supported");
            }
        }
        for (String f :
                List.of("tool_choice", "function_call", "audio", "prediction", "suffix", "web_search_options")) {
            if (present(root, f)
                    && !(root.get(f).isTextual() && root.get(f).textValue().equals("none"))) {
                throw unsupported(f, f + " is not supported");
            }
        }
        if (present(root, "modalities")) {
            JsonNode m = root.get("modalities");
            if (!(m.isArray() && m.size() == 1 && "text".equals(m.get(0).asText()))) {
                throw unsupported("modalities", "modalities: only [\"text\"] is supported");
            }
        }
        if (present(root, "response_format")) {
            JsonNode rf = root.get("response_format");
            if (!(rf.isObject() && "text".equals(rf.path("type").asText()))) {
                throw unsupported("response_format", "response_format: only {\"type\": \"text\"} is supported");
            }
        }
        for (String f : List.of("presence_penalty", "frequency_penalty")) {
            if (present(root, f) && !(root.get(f).isNumber() && root.get(f).doubleValue() == 0)) {
                throw unsupported(f, f + " is not supported (only 0)");
            }
        }
        if (present(root, "logit_bias")
                && !(root.get("logit_bias").isObject() && root.get("logit_bias").isEmpty())) {
            throw unsupported("logit_bias", "logit_bias is not supported");
        }
        if (!chat && present(root, "echo") && root.get("echo").asBoolean(true)) {
            throw unsupported("echo", "echo is not supported");
        }
        if (!chat
                && present(root, "best_of")
                && !(root.get("best_of").isInt() && root.get("best_of").intValue() == 1)) {
            throw unsupported("best_of", "best_of is not supported; send n with AdaptServe's vote instead");
        }
        if (present(root, "reasoning_effort")) {
            throw unsupported("reasoning_effort", "reasoning_effort is not supported");
        }
    }

    private List<ChatMessage> messages(JsonNode root) {
        if (!present(root, "messages")) {
            throw ApiException.invalid("messages", "messages is required");
        }
        JsonNode node = root.get("messages");
        if (!node.isArray() || node.isEmpty()) {
            throw ApiException.invalid("messages", "messages must be a non-empty array of {role, content} objects");
        }
        List<ChatMessage> out = new ArrayList<>(node.size());
        long chars = 0;
        for (int i = 0; i < node.size(); i++) {
            String where = "messages[" + i + "]";
            JsonNode m = node.get(i);
            if (!m.isObject()) {
                throw ApiException.invalid(where, where + " must be an object with role and content");
            }
            String role = requiredString(m, "role", where + ".role");
            if (role.equals("developer")) {
                role = ChatMessage.SYSTEM; // OpenAI's newer name for system instructions
            }
            if (!ChatMessage.ROLES.contains(role)) {
                throw ApiException.invalid(
                        where + ".role",
                        where + ".role must be system, developer, user or assistant, got \"" + echo(role) + "\"");
            }
            String content = content(m.get("content"), where + ".content");
            chars += content.length();
            if (chars > limits.maxPromptChars()) {
                throw new ApiException(
                                413,
                                ErrorCodes.PROMPT_TOO_LONG,
                                "messages have more than " + limits.maxPromptChars() + " characters of content")
                        .about("messages");
            }
            out.add(new ChatMessage(role, content));
        }
        return out;
    }

    /** A message's content: a string, or an array of text parts (joined). */
    private static String content(JsonNode node, String field) {
        if (node == null || node.isNull()) {
            throw ApiException.invalid(field, field + " is required");
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (!node.isArray()) {
            throw ApiException.invalid(field, field + " must be a string or an array of text parts");
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < node.size(); i++) {
            JsonNode part = node.get(i);
            if (!part.isObject()
                    || !"text".equals(part.path("type").asText())
                    || !part.path("text").isTextual()) {
                throw ApiException.invalid(
                        field + "[" + i + "]",
                        field + "[" + i + "] must be {\"type\": \"text\", \"text\": …}; other parts are not supported");
            }
            text.append(part.get("text").textValue());
        }
        return text.toString();
    }

    private static String prompt(JsonNode root) {
        if (!present(root, "prompt")) {
            throw ApiException.invalid("prompt", "prompt is required");
        }
        JsonNode node = root.get("prompt");
        if (node.isArray() && node.size() == 1 && node.get(0).isTextual()) {
            return node.get(0).textValue();
        }
        if (!node.isTextual()) {
            throw ApiException.invalid(
                    "prompt", "prompt must be a string (or an array of one string): one prompt per request");
        }
        return node.textValue();
    }

    private static void copy(JsonNode from, ObjectNode to, String field) {
        if (present(from, field)) {
            to.set(field, from.get(field));
        }
    }

    private static boolean present(JsonNode root, String field) {
        JsonNode n = root.get(field);
        return n != null && !n.isNull() && !n.isMissingNode();
    }

    private static String requiredString(JsonNode root, String field) {
        return requiredString(root, field, field);
    }

    private static String requiredString(JsonNode root, String field, String name) {
        if (!present(root, field)) {
            throw ApiException.invalid(name, name + " is required");
        }
        if (!root.get(field).isTextual()) {
            throw ApiException.invalid(name, name + " must be a string");
        }
        return root.get(field).textValue();
    }

    private static boolean optionalBoolean(JsonNode root, String field) {
        if (!present(root, field)) {
            return false;
        }
        if (!root.get(field).isBoolean()) {
            throw ApiException.invalid(field, field + " must be a boolean");
        }
        return root.get(field).booleanValue();
    }

    private static Integer optionalInt(JsonNode root, String field, int min, int max) {
        if (!present(root, field)) {
            return null;
        }
        JsonNode node = root.get(field);
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < min || node.intValue() > max) {
            throw ApiException.invalid(
                    field,
                    field + " must be an integer between " + min + " and " + max + ", got " + echo(node.toString()));
        }
        return node.intValue();
    }

    private static ApiException unsupported(String field, String message) {
        return new ApiException(400, ErrorCodes.UNSUPPORTED, message).about(field);
    }

    private static String echo(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }
}
