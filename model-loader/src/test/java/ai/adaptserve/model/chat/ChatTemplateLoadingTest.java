package ai.adaptserve.model.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the template and the special tokens are read from, in the forms Hugging Face checkpoints use. */
class ChatTemplateLoadingTest {
    @TempDir
    Path dir;

    static final List<ChatMessage> HI = List.of(ChatMessage.user("hi"));

    void writeConfig(Object config) throws IOException {
        Files.writeString(dir.resolve(ChatTemplate.TOKENIZER_CONFIG), new ObjectMapper().writeValueAsString(config));
    }

    @Test
    void listFormUsesTheDefaultTemplate() throws IOException {
        writeConfig(Map.of(
                "chat_template",
                List.of(
                        Map.of("name", "tool_use", "template", "tools"),
                        Map.of("name", "default", "template", "{{ messages[0].content }}!"),
                        Map.of("name", "rag", "template", "rag"))));
        assertEquals("hi!", ChatTemplate.load(dir).orElseThrow().render(HI, true));
    }

    @Test
    void listFormWithoutDefaultNamesWhatItHas() throws IOException {
        writeConfig(Map.of(
                "chat_template",
                List.of(Map.of("name", "tool_use", "template", "t"), Map.of("name", "rag", "template", "r"))));
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.load(dir));
        assertEquals(
                dir.resolve(ChatTemplate.TOKENIZER_CONFIG) + ": chat_template has no template named 'default' (it has"
                        + " tool_use, rag)",
                e.getMessage());
    }

    @Test
    void addedTokenObjectsAreReadAsTheirContent() throws IOException {
        writeConfig(Map.of(
                "chat_template", "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}",
                "bos_token", Map.of("__type", "AddedToken", "content", "<s>", "lstrip", false, "normalized", false),
                "eos_token", Map.of("content", "</s>", "rstrip", false)));
        ChatTemplate t = ChatTemplate.load(dir).orElseThrow();
        assertEquals("<s>hi</s>", t.render(HI, true));
        assertEquals("<s>", t.bosToken().orElseThrow());
        assertTrue(t.startsWithBos("<s>hi</s>"));
    }

    @Test
    void chatTemplateJinjaWinsOverTokenizerConfig() throws IOException {
        writeConfig(Map.of("chat_template", "old", "eos_token", "</s>"));
        Files.writeString(
                dir.resolve(ChatTemplate.CHAT_TEMPLATE_FILE), "new {{ messages[0].content }}{{ eos_token }}\n");
        ChatTemplate t = ChatTemplate.load(dir).orElseThrow();
        assertEquals("new hi</s>", t.render(HI, true), "special tokens still come from tokenizer_config.json");
        assertEquals(dir.resolve(ChatTemplate.CHAT_TEMPLATE_FILE).toString(), t.source());
    }

    @Test
    void aTemplateFileAloneIsEnough() throws IOException {
        Files.writeString(dir.resolve(ChatTemplate.CHAT_TEMPLATE_FILE), "{{ messages[0].content }}");
        assertEquals("hi", ChatTemplate.load(dir).orElseThrow().render(HI, false));
    }

    @Test
    void noTemplateIsEmpty() throws IOException {
        assertTrue(ChatTemplate.load(dir).isEmpty(), "no tokenizer_config.json");
        writeConfig(Map.of("eos_token", "</s>", "model_max_length", 2048));
        assertTrue(ChatTemplate.load(dir).isEmpty(), "a base model's tokenizer_config.json");
        ChatTemplateException e = assertThrows(
                ChatTemplateException.class,
                () -> ChatTemplate.fromTokenizerConfig(dir.resolve(ChatTemplate.TOKENIZER_CONFIG)));
        assertEquals(dir.resolve(ChatTemplate.TOKENIZER_CONFIG) + ": has no chat_template", e.getMessage());
    }

    @Test
    void fromTokenizerConfigAndOf() throws IOException {
        writeConfig(Map.of("chat_template", "[{{ messages[0].content }}]"));
        assertEquals(
                "[hi]",
                ChatTemplate.fromTokenizerConfig(dir.resolve(ChatTemplate.TOKENIZER_CONFIG))
                        .render(HI, true));
        ChatTemplate t = ChatTemplate.of("my-model", "{{ bos_token }}x", Map.of("bos_token", "<B>"));
        assertEquals("<B>x", t.render(HI, true));
        assertEquals("my-model", t.source());
    }

    @Test
    void rolesOtherThanSystemUserAssistantAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ChatMessage("tool", "{}"));
        assertEquals("message role 'tool' is not supported; use one of system, user, assistant", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ChatMessage("x".repeat(500) + "\n", "hi"));
        assertTrue(e.getMessage().length() < 150 && !e.getMessage().contains("\n"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ChatMessage(null, "hi"));
        assertEquals(
                "the user message has no content",
                assertThrows(IllegalArgumentException.class, () -> new ChatMessage("user", null))
                        .getMessage());
        assertEquals(new ChatMessage("assistant", ""), ChatMessage.assistant(""));
    }
}
