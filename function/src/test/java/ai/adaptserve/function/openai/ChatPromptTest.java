package ai.adaptserve.function.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.adaptserve.model.chat.ChatMessage;
import ai.adaptserve.model.chat.ChatTemplate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One BOS at most. Expected strings are written by hand from the formats: Llama 3's template writes {@code
 * <|begin_of_text|>} itself (Meta's prompt-format page), the built-in model's is {@code in: …\nout: } (its template's
 * javadoc); the Llama 3-style template here is a cut-down copy of the published one's first lines.
 */
class ChatPromptTest {

    private static final ChatTemplate LLAMA3_STYLE = ChatTemplate.of(
            "llama3-style",
            "{{- bos_token }}{%- for message in messages %}"
                    + "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
                    + " + message['content'] | trim + '<|eot_id|>' }}{%- endfor %}"
                    + "{%- if add_generation_prompt %}"
                    + "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}",
            Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>"));

    private static final List<ChatMessage> HI = List.of(ChatMessage.user("hi"));

    @Test
    void templateWritesBos_encoderAddsOne_templatesIsDropped() {
        assertEquals(
                "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                new ChatPrompt(LLAMA3_STYLE, true).render(HI));
    }

    @Test
    void templateWritesBos_encoderAddsNone_templatesIsKept() {
        assertEquals(
                "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                new ChatPrompt(LLAMA3_STYLE, false).render(HI));
    }

    @Test
    void builtin_inOutFormat_stopsAtLineBreak() {
        ChatPrompt builtin = new ChatPrompt(ChatTemplate.builtin(), true);
        assertEquals(
                "be brief\nin: a\nout: b\nin: c\nout: ",
                builtin.render(List.of(
                        ChatMessage.system("be brief"),
                        ChatMessage.user("a"),
                        ChatMessage.assistant("b"),
                        ChatMessage.user("c"))));
        assertEquals(List.of("\n"), builtin.defaultStop());
    }
}
