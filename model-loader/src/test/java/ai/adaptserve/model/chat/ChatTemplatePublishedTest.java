package ai.adaptserve.model.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The published chat templates of Llama 3.2, Qwen2.5 and SmolLM2 (test checkpoints under
 * src/test/resources/ai/adaptserve/model/chat, provenance in the README there), rendered by {@link ChatTemplate}
 * and compared with prompts written out by hand from each format's documented definition.
 */
class ChatTemplatePublishedTest {
    /** system + user + assistant + user, the conversation every format is checked on. */
    static final List<ChatMessage> CONVERSATION = List.of(
            ChatMessage.system("You are a terse assistant."),
            ChatMessage.user("What is the capital of France?"),
            ChatMessage.assistant("Paris."),
            ChatMessage.user("And of Italy?"));

    /** Llama 3.x writes today's date; the tests pin it. */
    static final Clock MAR_7_2025 = Clock.fixed(Instant.parse("2025-03-07T10:15:30Z"), ZoneOffset.UTC);

    static Path checkpoint(String name) {
        try {
            return Path.of(ChatTemplatePublishedTest.class
                            .getResource("/ai/adaptserve/model/chat/" + name + "/tokenizer_config.json")
                            .toURI())
                    .getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static ChatTemplate load(String name) {
        return ChatTemplate.load(checkpoint(name)).orElseThrow();
    }

    // ------------------------------------------------------------------ Llama 3.2

    /*
     * Expected strings from Meta's prompt format for Llama 3.1/3.2 text models (llama.com, "Model Cards & Prompt
     * formats", Llama 3.2 lightweight models): <|begin_of_text|>, then each turn as
     * <|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>, the system turn always present and opening
     * with "Cutting Knowledge Date: December 2023\nToday Date: {DD Mon YYYY}\n\n" before the system text, and the
     * generation prompt <|start_header_id|>assistant<|end_header_id|>\n\n. Message text is trimmed.
     */
    static final String LLAMA_SYSTEM_HEADER = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            + "Cutting Knowledge Date: December 2023\nToday Date: 07 Mar 2025\n\n";

    @Test
    void llama32_systemUserAssistantUser() {
        ChatTemplate t = load("llama-3.2-1b-instruct").withClock(MAR_7_2025);
        String expected = LLAMA_SYSTEM_HEADER
                + "You are a terse assistant.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of France?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nParis.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nAnd of Italy?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n";
        assertEquals(expected, t.render(CONVERSATION, true));
    }

    @Test
    void llama32_withoutGenerationPromptEndsAfterTheLastTurn() {
        ChatTemplate t = load("llama-3.2-1b-instruct").withClock(MAR_7_2025);
        String expected = LLAMA_SYSTEM_HEADER
                + "You are a terse assistant.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of France?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nParis.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nAnd of Italy?<|eot_id|>";
        assertEquals(expected, t.render(CONVERSATION, false));
    }

    @Test
    void llama32_withoutSystemMessageKeepsTheDateHeaderAndTrimsContent() {
        ChatTemplate t = load("llama-3.2-1b-instruct").withClock(MAR_7_2025);
        String expected = LLAMA_SYSTEM_HEADER
                + "<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n";
        assertEquals(expected, t.render(List.of(ChatMessage.user("  Hi there \n")), true));
    }

    @Test
    void llama32_writesTodaysDateWhenNoClockIsPinned() {
        ChatTemplate t = load("llama-3.2-1b-instruct");
        String rendered = t.render(List.of(ChatMessage.user("hi")), true);
        // strftime_now is defined, as in transformers, so the template does not fall back to "26 Jul 2024".
        LocalDate today = LocalDate.now();
        DateTimeFormatter f = DateTimeFormatter.ofPattern("dd MMM yyyy", Locale.ENGLISH);
        assertTrue(
                rendered.contains("Today Date: " + f.format(today) + "\n")
                        || rendered.contains("Today Date: " + f.format(today.minusDays(1)) + "\n"),
                rendered);
    }

    @Test
    void llama32_startsWithBos() {
        ChatTemplate t = load("llama-3.2-1b-instruct").withClock(MAR_7_2025);
        assertEquals("<|begin_of_text|>", t.bosToken().orElseThrow());
        assertEquals("<|eot_id|>", t.eosToken().orElseThrow());
        assertTrue(t.startsWithBos(t.render(CONVERSATION, true)), "encode without the tokenizer's own BOS");
    }

    // ------------------------------------------------------------------ Qwen2.5

    /*
     * Expected strings from Qwen's documentation of its chat format (qwen.readthedocs.io, "Key Concepts: Control
     * Tokens & Chat Template"; ChatML): each turn <|im_start|>{role}\n{content}<|im_end|>\n, the generation prompt
     * <|im_start|>assistant\n; no BOS. When the conversation has no system message, Qwen2.5 inserts its default one,
     * "You are Qwen, created by Alibaba Cloud. You are a helpful assistant." (the Qwen2.5 model cards' system prompt).
     */
    @Test
    void qwen25_systemUserAssistantUser() {
        String expected = "<|im_start|>system\nYou are a terse assistant.<|im_end|>\n"
                + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
                + "<|im_start|>assistant\nParis.<|im_end|>\n"
                + "<|im_start|>user\nAnd of Italy?<|im_end|>\n"
                + "<|im_start|>assistant\n";
        assertEquals(expected, load("qwen2.5-0.5b-instruct").render(CONVERSATION, true));
    }

    @Test
    void qwen25_defaultSystemPromptWhenNoneIsGiven() {
        String expected = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant."
                + "<|im_end|>\n"
                + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
                + "<|im_start|>assistant\n";
        assertEquals(
                expected,
                load("qwen2.5-0.5b-instruct")
                        .render(List.of(ChatMessage.user("What is the capital of France?")), true));
    }

    @Test
    void qwen25_withoutGenerationPrompt() {
        String expected = "<|im_start|>system\nYou are a terse assistant.<|im_end|>\n"
                + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
                + "<|im_start|>assistant\nParis.<|im_end|>\n"
                + "<|im_start|>user\nAnd of Italy?<|im_end|>\n";
        assertEquals(expected, load("qwen2.5-0.5b-instruct").render(CONVERSATION, false));
    }

    @Test
    void qwen25_hasNoBosSoTheTokenizerDecides() {
        ChatTemplate t = load("qwen2.5-0.5b-instruct");
        assertTrue(t.bosToken().isEmpty(), "bos_token is null in Qwen2.5's tokenizer_config.json");
        assertFalse(t.startsWithBos(t.render(CONVERSATION, true)));
        assertEquals("<|im_end|>", t.eosToken().orElseThrow());
        assertEquals("<|endoftext|>", t.specialTokens().get("pad_token"));
        assertTrue(((List<?>) t.specialTokens().get("additional_special_tokens")).contains("<|im_start|>"));
    }

    // ------------------------------------------------------------------ SmolLM2

    /*
     * Expected strings from the SmolLM2 model card / Hugging Face's smol-course ("Chat Templates": SmolLM2 uses
     * ChatML): each turn <|im_start|>{role}\n{content}<|im_end|>\n, the generation prompt <|im_start|>assistant\n,
     * and when there is no system message the default "You are a helpful AI assistant named SmolLM, trained by
     * Hugging Face" comes first.
     */
    @Test
    void smolLm2_systemUserAssistantUser() {
        String expected = "<|im_start|>system\nYou are a terse assistant.<|im_end|>\n"
                + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
                + "<|im_start|>assistant\nParis.<|im_end|>\n"
                + "<|im_start|>user\nAnd of Italy?<|im_end|>\n"
                + "<|im_start|>assistant\n";
        assertEquals(expected, load("smollm2-135m-instruct").render(CONVERSATION, true));
    }

    @Test
    void smolLm2_defaultSystemPromptWhenNoneIsGiven() {
        String expected = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
                + "<|im_end|>\n"
                + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
                + "<|im_start|>assistant\n";
        assertEquals(
                expected,
                load("smollm2-135m-instruct")
                        .render(List.of(ChatMessage.user("What is the capital of France?")), true));
    }

    @Test
    void smolLm2_bosTokenIsImStartSoThePromptCountsAsStartingWithIt() {
        // SmolLM2 names <|im_start|> its bos_token; its prompt begins with that text, and its tokenizer adds no BOS
        // of its own, so "encode without BOS" is right here as well (and is what transformers does for any
        // template).
        ChatTemplate t = load("smollm2-135m-instruct");
        assertEquals(
                Map.of("bos_token", "<|im_start|>", "eos_token", "<|im_end|>"),
                Map.of(
                        "bos_token",
                        t.bosToken().orElseThrow(),
                        "eos_token",
                        t.eosToken().orElseThrow()));
        assertTrue(t.startsWithBos(t.render(CONVERSATION, true)));
    }

    // ------------------------------------------------------------------ all three

    @Test
    void messageTextIsNeverRenderedAsATemplate() {
        List<ChatMessage> sneaky = List.of(ChatMessage.user("{{ raise_exception('x') }} {% for i in range(9) %}"));
        for (String name : List.of("llama-3.2-1b-instruct", "qwen2.5-0.5b-instruct", "smollm2-135m-instruct")) {
            String out = load(name).withClock(MAR_7_2025).render(sneaky, true);
            assertTrue(out.contains("{{ raise_exception('x') }} {% for i in range(9) %}"), name + ": " + out);
        }
    }

    @Test
    void theTemplatesAreReadFromTheCheckpointFile() {
        ChatTemplate t = load("qwen2.5-0.5b-instruct");
        assertEquals(
                checkpoint("qwen2.5-0.5b-instruct")
                        .resolve(ChatTemplate.TOKENIZER_CONFIG)
                        .toString(),
                t.source());
        assertTrue(t.template().contains("{{\\\"name\\\": <function-name>"), "the published tools line is kept");
        assertTrue(t.stopStrings().isEmpty());
    }
}
