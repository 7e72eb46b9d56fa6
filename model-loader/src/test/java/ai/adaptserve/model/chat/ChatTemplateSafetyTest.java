package ai.adaptserve.model.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.chat.ChatTemplateException.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Templates are untrusted input: errors are clear and name the file, and bombs are stopped. */
class ChatTemplateSafetyTest {
    @TempDir
    Path tmp;

    static final List<ChatMessage> HI = List.of(ChatMessage.user("hi"));

    /** A checkpoint directory whose tokenizer_config.json holds {@code template}. */
    Path checkpoint(String name, String template) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        String json = new com.fasterxml.jackson.databind.ObjectMapper()
                .writeValueAsString(Map.of("chat_template", template, "eos_token", "</s>"));
        Files.writeString(dir.resolve(ChatTemplate.TOKENIZER_CONFIG), json);
        return dir;
    }

    ChatTemplate template(String template) throws IOException {
        return ChatTemplate.load(checkpoint("m", template)).orElseThrow();
    }

    static void assertClean(ChatTemplateException e) {
        String m = e.getMessage();
        assertFalse(m.contains("\n"), m);
        assertFalse(m.contains("\tat "), m);
        assertFalse(m.matches("(?s).*\\b\\w+Exception\\b.*"), "no engine class names: " + m);
        assertTrue(m.length() < 600, m);
    }

    @Test
    void raiseExceptionGivesTheTemplatesMessage() throws IOException {
        // The check Mistral-style templates make, with the message they use.
        Path dir = checkpoint(
                "alternating",
                "{%- for message in messages %}"
                        + "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
                        + "{{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
                        + "{%- endif %}"
                        + "{{- '[INST] ' + message['content'] + ' [/INST]' if message['role'] == 'user' else message['content'] }}"
                        + "{%- endfor %}");
        ChatTemplate t = ChatTemplate.load(dir).orElseThrow();
        assertEquals("[INST] a [/INST]b", t.render(List.of(ChatMessage.user("a"), ChatMessage.assistant("b")), false));

        ChatTemplateException e = assertThrows(
                ChatTemplateException.class,
                () -> t.render(List.of(ChatMessage.user("a"), ChatMessage.user("b")), true));
        assertEquals(Reason.REJECTED, e.reason());
        String file = dir.resolve(ChatTemplate.TOKENIZER_CONFIG).toString();
        assertEquals(
                file + ": chat_template rejected the conversation: Conversation roles must alternate"
                        + " user/assistant/user/assistant/...",
                e.getMessage());
        assertEquals(file, e.source());
        assertClean(e);
    }

    @Test
    void raiseExceptionStopsTheRenderAtOnce() throws IOException {
        // Jinjava goes on after a failed expression; the render must not (the loop would run for hours).
        ChatTemplate t = template(
                "{{ raise_exception('no') }}{% for i in range(65536) %}{% for j in range(65536) %}x{% endfor %}{% endfor %}");
        ChatTemplateException e = assertTimeoutPreemptively(
                Duration.ofSeconds(5), () -> assertThrows(ChatTemplateException.class, () -> t.render(HI, true)));
        assertEquals(Reason.REJECTED, e.reason());
    }

    @Test
    void unclosedBlockIsReportedWhenLoadingAndNamesTheFile() throws IOException {
        Path dir = checkpoint("unclosed", "{% for message in messages %}{{ message.content }}");
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.load(dir));
        assertEquals(Reason.INVALID_TEMPLATE, e.reason());
        assertTrue(
                e.getMessage().startsWith(dir.resolve(ChatTemplate.TOKENIZER_CONFIG) + ": chat_template line 1: "),
                e.getMessage());
        assertTrue(e.getMessage().contains("endfor"), e.getMessage());
        assertClean(e);
    }

    @Test
    void strayEndTagAndUnclosedExpressionAreErrors() throws IOException {
        // Jinjava only warns about these; Jinja2 refuses to compile them.
        for (String bad : List.of("{{ messages[0].content }}{% endif %}", "hello {{ messages[0].content ")) {
            Path dir = checkpoint("bad" + bad.length(), bad);
            ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.load(dir), bad);
            assertEquals(Reason.INVALID_TEMPLATE, e.reason());
            assertTrue(
                    e.getMessage()
                            .startsWith(
                                    dir.resolve(ChatTemplate.TOKENIZER_CONFIG).toString()),
                    e.getMessage());
            assertClean(e);
        }
    }

    @Test
    void badExpressionFailsWhenRenderingAndNamesTheFile() throws IOException {
        Path dir = checkpoint("expr", "line one\n{{ messages[0].content + }}");
        ChatTemplate t = ChatTemplate.load(dir).orElseThrow();
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(HI, true));
        assertEquals(Reason.INVALID_TEMPLATE, e.reason());
        assertTrue(
                e.getMessage().startsWith(dir.resolve(ChatTemplate.TOKENIZER_CONFIG) + ": chat_template line 2: "),
                e.getMessage());
        assertClean(e);
    }

    @Test
    void unknownFilterOrTestIsAnErrorNotAnEmptyString() throws IOException {
        // Jinjava renders {{ x | nosuch }} as "" without complaint; a prompt silently missing text is worse.
        ChatTemplateException f =
                assertThrows(ChatTemplateException.class, () -> template("{{ messages[0].content | shout }}"));
        assertTrue(
                f.getMessage().endsWith("chat_template uses the filter 'shout', which this engine does not provide"),
                f.getMessage());
        ChatTemplateException t =
                assertThrows(ChatTemplateException.class, () -> template("{% if messages is shouting %}x{% endif %}"));
        assertTrue(
                t.getMessage().endsWith("chat_template uses the test 'shouting', which this engine does not provide"),
                t.getMessage());
        // Quoted text is not code.
        assertEquals("a | shout is loud", template("{{ 'a | shout is loud' }}").render(HI, true));
    }

    @Test
    void malformedTokenizerConfigNamesTheFile() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("json"));
        Path file = dir.resolve(ChatTemplate.TOKENIZER_CONFIG);
        Files.writeString(file, "{\"chat_template\": \"{{ x }}\", ");
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.load(dir));
        assertTrue(e.getMessage().startsWith(file + ": is not valid JSON"), e.getMessage());

        Files.writeString(file, "{\"chat_template\": 42}");
        e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.load(dir));
        assertEquals(file + ": chat_template must be a string or a list of {name, template}", e.getMessage());

        Files.writeString(file, "{\"chat_template\": \"hi\", \"bos_token\": 7}");
        e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.load(dir));
        assertEquals(file + ": bos_token must be a string or an object with a \"content\" string", e.getMessage());
    }

    @Test
    void recursionBombIsStopped() throws IOException {
        ChatTemplate t = template("{% macro boom(n) %}{{ boom(n) }}{% endmacro %}{{ boom(0) }}");
        ChatTemplateException e = assertTimeoutPreemptively(
                Duration.ofSeconds(10), () -> assertThrows(ChatTemplateException.class, () -> t.render(HI, true)));
        assertEquals(Reason.INVALID_TEMPLATE, e.reason());
        assertClean(e);
    }

    @Test
    void sizeBombIsStoppedBeforeItFillsTheHeap() throws IOException {
        // Doubling a string 64 times would need 2^64 chars; no output is written until the end.
        ChatTemplate t = template("{% set ns = namespace(s='xxxxxxxx') %}"
                + "{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}");
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(HI, true));
        assertEquals(Reason.OUTPUT_TOO_LARGE, e.reason());
        assertTrue(e.getMessage().endsWith("the rendered chat prompt would exceed 4194304 characters"), e.getMessage());
    }

    @Test
    void outputBombIsStoppedAtTheLimit() throws IOException {
        ChatTemplate t = template("{% for i in range(65536) %}{% for j in range(65536) %}"
                        + "{{ messages[0].content }}{% endfor %}{% endfor %}")
                .withLimits(new ChatTemplate.Limits(10_000, Duration.ofSeconds(10)));
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(HI, true));
        assertEquals(Reason.OUTPUT_TOO_LARGE, e.reason());
        assertTrue(e.getMessage().endsWith("would exceed 10000 characters"), e.getMessage());
    }

    @Test
    void timeBombIsStopped() throws IOException {
        // 2^48 iterations that write nothing: only the time limit stops it.
        ChatTemplate t = template("{% for i in range(65536) %}{% for j in range(65536) %}{% for k in range(65536) %}"
                        + "{% if k == -1 %}x{% endif %}{% endfor %}{% endfor %}{% endfor %}")
                .withLimits(new ChatTemplate.Limits(10_000, Duration.ofMillis(300)));
        long start = System.nanoTime();
        ChatTemplateException e = assertTimeoutPreemptively(
                Duration.ofSeconds(10), () -> assertThrows(ChatTemplateException.class, () -> t.render(HI, true)));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(Reason.TIMEOUT, e.reason());
        assertTrue(
                e.getMessage().endsWith("rendering chat_template took longer than 300 ms and was stopped"),
                e.getMessage());
        assertTrue(ms < 3_000, "stopped after " + ms + " ms");
    }

    @Test
    void listBombIsStopped() throws IOException {
        ChatTemplate t =
                template("{% set l = [1] %}{% for i in range(40) %}{% set l = l + l %}{% endfor %}{{ l|length }}");
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(HI, true));
        assertEquals(Reason.INVALID_TEMPLATE, e.reason());
        assertTrue(
                e.getMessage().contains("more than 65536 entries")
                        || e.getMessage().contains("65536"),
                e.getMessage());
    }

    @Test
    void deepNestingIsAnErrorNotAStackOverflow() throws IOException {
        // Within the size limit (12,000 × 21 chars), deep enough to overflow a naive recursive renderer.
        String deep = "{% if 1 %}".repeat(12_000) + "x" + "{% endif %}".repeat(12_000);
        assertTrue(deep.length() <= ChatTemplate.MAX_TEMPLATE_CHARS);
        try {
            assertEquals("x", template(deep).render(HI, true));
        } catch (ChatTemplateException e) {
            assertEquals(Reason.INVALID_TEMPLATE, e.reason());
            assertTrue(e.getMessage().contains("nests too deeply"), e.getMessage());
        }
    }

    @Test
    void rangePastTheLimitIsAnErrorNotCutShort() throws IOException {
        // Jinjava's own range() stops at its limit without a word; Jinja2's sandbox raises.
        assertEquals("65536", template("{{ range(65536) | length }}").render(HI, true));
        assertEquals("[5, 3, 1]", template("{{ range(5, 0, -2) | list }}").render(HI, true));
        ChatTemplateException e = assertThrows(
                ChatTemplateException.class,
                () -> template("{{ range(65537) | length }}").render(HI, true));
        assertTrue(e.getMessage().endsWith("range() of 65537 items is over the limit of 65536"), e.getMessage());
    }

    @Test
    void templatesCannotReadFilesOrTheClassPath() throws IOException {
        for (String include : List.of(
                "{% include 'ai/adaptserve/model/builtin/config.json' %}",
                "{% import '/etc/passwd' as p %}",
                "{% from 'x.jinja' import y %}{{ y() }}",
                "{% extends 'base.jinja' %}")) {
            ChatTemplateException e = assertThrows(
                    ChatTemplateException.class, () -> template(include).render(HI, true), include);
            assertEquals(Reason.INVALID_TEMPLATE, e.reason(), include);
            assertClean(e);
        }
    }

    @Test
    void javaMethodsAreNotReachable() throws IOException {
        for (String call : List.of(
                "{{ 'x'.repeat(2000000000) }}",
                "{{ messages[0].content.getBytes() }}",
                "{{ messages.stream() }}",
                "{{ messages[0].clear() }}",
                "{{ messages.getClass() }}")) {
            ChatTemplateException e = assertThrows(
                    ChatTemplateException.class, () -> template(call).render(HI, true), call);
            assertEquals(Reason.INVALID_TEMPLATE, e.reason(), call);
        }
        ChatTemplateException e = assertThrows(
                ChatTemplateException.class,
                () -> template("{{ 'x'.repeat(3) }}").render(HI, true));
        assertTrue(
                e.getMessage().endsWith("string method 'repeat' is not available in chat templates"), e.getMessage());
    }

    @Test
    void renderFilterCannotTurnTextIntoTemplate() throws IOException {
        ChatTemplateException e = assertThrows(
                ChatTemplateException.class,
                () -> template("{{ messages[0].content | render }}")
                        .render(List.of(ChatMessage.user("{{ raise_exception('x') }}")), true));
        assertEquals(Reason.INVALID_TEMPLATE, e.reason());
    }

    @Test
    void oversizedTemplateIsRefused() throws IOException {
        Path dir = checkpoint("huge", "x".repeat(ChatTemplate.MAX_TEMPLATE_CHARS + 1));
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.load(dir));
        assertTrue(e.getMessage().contains("the limit is " + ChatTemplate.MAX_TEMPLATE_CHARS), e.getMessage());
    }

    @Test
    void engineErrorsAreCleaned() {
        assertEquals(
                "Error resolving expression [[ a ]]: 131072 byte output rendered",
                ChatTemplate.clean("InterpretException: Error resolving expression [[ a ]]:"
                        + " com.hubspot.jinjava.interpret.OutputTooBigException: 131072 byte output\n rendered"));
        assertEquals(301, ChatTemplate.clean("y".repeat(1000)).length());
    }
}
