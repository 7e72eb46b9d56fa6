package ai.adaptserve.model.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.List;

/**
 * Chat messages are client text: whatever they hold (Jinja syntax included), a template renders them as text or
 * refuses with a {@link ChatTemplateException}; nothing else escapes. Regression inputs:
 * {@code src/test/resources/ai/adaptserve/model/chat/ChatTemplateFuzzTestInputs/}.
 */
class ChatTemplateFuzzTest {

    private static final List<ChatTemplate> PUBLISHED = List.of(
            ChatTemplatePublishedTest.load("llama-3.2-1b-instruct").withClock(ChatTemplatePublishedTest.MAR_7_2025),
            ChatTemplatePublishedTest.load("qwen2.5-0.5b-instruct"),
            ChatTemplatePublishedTest.load("smollm2-135m-instruct"));

    private static List<ChatMessage> messages(FuzzedDataProvider data) {
        int n = data.consumeInt(1, 6);
        List<ChatMessage> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new ChatMessage(data.pickValue(ChatMessage.ROLES), data.consumeString(512)));
        }
        return out;
    }

    /**
     * The built-in template against a plain-Java rendering of the same format: message text is data, never
     * template code (a content of {@code {{ 7 * 7 }}} stays as written).
     */
    @FuzzTest(maxDuration = "5m")
    void builtinRendersContentVerbatim(FuzzedDataProvider data) {
        boolean generationPrompt = data.consumeBoolean();
        List<ChatMessage> messages = messages(data);
        StringBuilder expected = new StringBuilder();
        for (ChatMessage m : messages) {
            expected.append(
                            switch (m.role()) {
                                case ChatMessage.SYSTEM -> "";
                                case ChatMessage.USER -> "in: ";
                                default -> "out: ";
                            })
                    .append(m.content())
                    .append('\n');
        }
        if (generationPrompt) {
            expected.append("out: ");
        }
        assertEquals(expected.toString(), ChatTemplate.builtin().render(messages, generationPrompt));
    }

    /** The published templates: a prompt, or a refusal the API can name. */
    @FuzzTest(maxDuration = "5m")
    void publishedTemplatesRenderOrRefuse(FuzzedDataProvider data) {
        ChatTemplate template = data.pickValue(PUBLISHED);
        boolean generationPrompt = data.consumeBoolean();
        List<ChatMessage> messages = messages(data);
        try {
            assertNotNull(template.render(messages, generationPrompt));
        } catch (ChatTemplateException e) {
            assertNotNull(e.getMessage());
        }
    }
}
