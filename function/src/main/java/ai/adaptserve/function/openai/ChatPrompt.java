package ai.adaptserve.function.openai;

import ai.adaptserve.model.chat.ChatMessage;
import ai.adaptserve.model.chat.ChatTemplate;
import java.util.List;

/**
 * A conversation as the prompt text the served model reads: its chat template rendered with {@code
 * add_generation_prompt}, then one BOS at most. The generate path encodes every prompt with the tokenizer's own BOS
 * when the model uses one; a template that writes the BOS text itself (Llama 3's {@code <|begin_of_text|>}) would then
 * give the model two, so the template's is dropped and the tokenizer's stands in for it (the same id).
 *
 * @param template the served model's chat template
 * @param encoderAddsBos whether the served model's prompt encoding puts a BOS id in front
 */
record ChatPrompt(ChatTemplate template, boolean encoderAddsBos) {

    /** The prompt text for {@code messages}, ending where the assistant's answer starts. */
    String render(List<ChatMessage> messages) {
        String rendered = template.render(messages, true);
        if (encoderAddsBos && template.startsWithBos(rendered)) {
            return rendered.substring(template.bosToken().orElseThrow().length());
        }
        return rendered;
    }

    /** The stop strings chat needs when the request gives none (the built-in model's line break). */
    List<String> defaultStop() {
        return template.stopStrings();
    }
}
