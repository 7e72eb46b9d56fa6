package ai.adaptserve.function.openai;

import ai.adaptserve.model.chat.ChatMessage;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A validated {@code POST /v1/chat/completions} or {@code /v1/completions} request: what only the OpenAI routes know,
 * and the rest as a {@code POST /v1/generate} body still to be completed with the prompt and the model's choice.
 *
 * @param chat whether this is a chat completion ({@code messages}) or a text completion ({@code prompt})
 * @param model the {@code model} field as sent
 * @param messages the conversation (chat only)
 * @param prompt the prompt (text completions only)
 * @param logprobs whether each choice carries its tokens' log-probabilities
 * @param topLogprobs how many most likely alternatives each token lists (0 to {@value OpenAiRequestParser#MAX_TOP})
 * @param stream server-sent chunks ending in {@code data: [DONE]}
 * @param includeUsage with {@code stream}: a last chunk with the usage
 * @param generate the decoding settings and AdaptServe's own fields as a {@code /v1/generate} body (without
 *     {@code prompt}, {@code adapter} and {@code task}, which come from {@code model})
 * @param adapter AdaptServe's {@code adapter} extra field, if sent
 */
record OpenAiRequest(
        boolean chat,
        String model,
        List<ChatMessage> messages,
        String prompt,
        boolean logprobs,
        int topLogprobs,
        boolean stream,
        boolean includeUsage,
        ObjectNode generate,
        String adapter) {

    OpenAiRequest {
        messages = List.copyOf(messages);
    }

    /** Whether the request sends few-shot examples (an in/out prompt, built from the last user message). */
    boolean hasExamples() {
        return generate.has("examples") && generate.get("examples").size() > 0;
    }
}
