package ai.adaptserve.model.chat;

import ai.adaptserve.model.chat.ChatTemplateException.Reason;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reading a checkpoint's tokenizer_config.json (and chat_template.jinja): the template and the special tokens. */
final class TokenizerConfigFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerConfigFile() {}

    static JsonNode readConfig(Path file) {
        try {
            long size = Files.size(file);
            if (size > ChatTemplate.MAX_CONFIG_BYTES) {
                throw ChatTemplate.invalid(
                        file.toString(), "is " + size + " bytes; the limit is " + ChatTemplate.MAX_CONFIG_BYTES);
            }
            JsonNode root = JSON.readTree(file.toFile());
            if (root == null || !root.isObject()) {
                throw ChatTemplate.invalid(file.toString(), "is not a JSON object");
            }
            return root;
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new ChatTemplateException(
                    Reason.INVALID_TEMPLATE,
                    file.toString(),
                    "is not valid JSON: " + ChatTemplate.clean(e.getOriginalMessage()),
                    e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    static String readTemplateFile(Path file) {
        try {
            long size = Files.size(file);
            if (size > ChatTemplate.MAX_TEMPLATE_CHARS * 4L) {
                throw ChatTemplate.invalid(
                        file.toString(), "is " + size + " bytes; the limit is " + ChatTemplate.MAX_TEMPLATE_CHARS * 4L);
            }
            String text = Files.readString(file, StandardCharsets.UTF_8);
            if (text.length() > ChatTemplate.MAX_TEMPLATE_CHARS) {
                throw ChatTemplate.invalid(
                        file.toString(),
                        "has " + text.length() + " characters; the limit is " + ChatTemplate.MAX_TEMPLATE_CHARS);
            }
            return text;
        } catch (java.nio.charset.MalformedInputException e) {
            throw ChatTemplate.invalid(file.toString(), "is not UTF-8 text");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** {@code chat_template}: a string, or a list of {@code {name, template}} of which "default" is used. */
    static String templateField(JsonNode root, Path file) {
        JsonNode t = root.get("chat_template");
        String text;
        if (t.isTextual()) {
            text = t.asText();
        } else if (t.isArray()) {
            List<String> names = new ArrayList<>();
            text = null;
            for (JsonNode entry : t) {
                if (!entry.isObject()
                        || !entry.path("name").isTextual()
                        || !entry.path("template").isTextual()) {
                    throw ChatTemplate.invalid(
                            file.toString(), "chat_template entries must be objects with a name and a template string");
                }
                names.add(entry.get("name").asText());
                if (ChatTemplate.DEFAULT_NAME.equals(entry.get("name").asText())) {
                    text = entry.get("template").asText();
                }
            }
            if (text == null) {
                throw ChatTemplate.invalid(
                        file.toString(),
                        "chat_template has no template named '" + ChatTemplate.DEFAULT_NAME + "' (it has "
                                + ChatTemplate.clean(String.join(", ", names)) + ")");
            }
        } else {
            throw ChatTemplate.invalid(file.toString(), "chat_template must be a string or a list of {name, template}");
        }
        if (text.length() > ChatTemplate.MAX_TEMPLATE_CHARS) {
            throw ChatTemplate.invalid(
                    file.toString(),
                    "chat_template has " + text.length() + " characters; the limit is "
                            + ChatTemplate.MAX_TEMPLATE_CHARS);
        }
        return text;
    }

    /** The special tokens as transformers' {@code special_tokens_map}: strings, AddedToken objects read as content. */
    static Map<String, Object> specialTokens(JsonNode root, Path file) {
        Map<String, Object> out = new HashMap<>();
        for (String field : ChatTemplate.SPECIAL_TOKENS) {
            String text = tokenText(root.get(field), field, file);
            if (text != null) {
                out.put(field, text);
            }
        }
        JsonNode extra = root.get("additional_special_tokens");
        if (extra != null && !extra.isNull()) {
            if (!extra.isArray()) {
                throw ChatTemplate.invalid(file.toString(), "additional_special_tokens must be a list");
            }
            List<String> list = new ArrayList<>();
            for (JsonNode n : extra) {
                String text = tokenText(n, "additional_special_tokens", file);
                if (text != null) {
                    list.add(text);
                }
            }
            out.put("additional_special_tokens", List.copyOf(list));
        }
        return Map.copyOf(out);
    }

    static String tokenText(JsonNode n, String field, Path file) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isObject() && n.path("content").isTextual()) {
            return n.get("content").asText();
        }
        throw ChatTemplate.invalid(file.toString(), field + " must be a string or an object with a \"content\" string");
    }
}
