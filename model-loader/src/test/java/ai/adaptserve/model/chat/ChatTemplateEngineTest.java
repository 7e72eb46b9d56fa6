package ai.adaptserve.model.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where Jinjava and Jinja2 differ in what chat templates use, checked one construct at a time. Each expected value
 * is what Jinja2 (as transformers configures it) renders.
 */
class ChatTemplateEngineTest {
    static final List<ChatMessage> CONVERSATION = List.of(
            ChatMessage.system("  be brief  "), ChatMessage.user("Hi! How are you?"), ChatMessage.assistant("Fine."));

    static String render(String template) {
        return render(template, Map.of());
    }

    static String render(String template, Map<String, String> tokens) {
        return ChatTemplate.of("test", template, tokens).render(CONVERSATION, true);
    }

    @Test
    void whitespaceControlAsTransformersConfiguresJinja2() {
        // trim_blocks: the newline after a block tag goes; lstrip_blocks: the indentation before it goes.
        assertEquals("x\n", render("  {% if true %}\nx\n  {% endif %}\n"));
        // {{- and -}} trim around expressions too (Jinjava trims only around tags unless told).
        assertEquals("ab", render("a\n    {{- 'b' }}"));
        assertEquals("ab", render("{{ 'a' -}}   \n b"));
        // A '-' that is not right next to the delimiter is a minus sign.
        assertEquals("-1 x", render("{{ -1 }} x"));
        // Jinja2 drops one newline at the end of the source, not of the output; \r\n becomes \n.
        assertEquals("a\n", render("a\n\n"));
        assertEquals("a\nb\n", render("a\r\nb{{ '\\n' }}"));
    }

    @Test
    void lstripBlocksOnlyAtALineStart() {
        com.hubspot.jinjava.JinjavaConfig config =
                com.hubspot.jinjava.JinjavaConfig.newBuilder().build();
        assertEquals("a\n{% if x %}b{% endif %}", JinjaSource.lstripBlocks("a\n  \t{% if x %}b{% endif %}", config));
        assertEquals("a  {% if x %}", JinjaSource.lstripBlocks("a  {% if x %}", config));
        assertEquals("{# c #}\n{{ x }}", JinjaSource.lstripBlocks("   {# c #}\n{{ x }}", config));
        assertEquals("x\n   {{ y }}", JinjaSource.lstripBlocks("x\n   {{ y }}", config), "not before expressions");
        String smol = ChatTemplatePublishedTest.load("smollm2-135m-instruct").template();
        assertEquals(smol, JinjaSource.lstripBlocks(smol, config), "text is rebuilt exactly from the tokens");
    }

    @Test
    void pythonStringMethods() {
        assertEquals(
                "True False True",
                render("{{ 'abc'.startswith('a') }} {{ 'abc'.endswith('b') }}"
                        + " {{ 'abc'.startswith(['x', 'ab']) }}"));
        assertEquals(
                "[a ]|[ a]|[a]|[bc]",
                render("[{{ ' a '.lstrip() }}]|[{{ ' a '.rstrip() }}]|[{{ ' a '.strip() }}]"
                        + "|[{{ 'xxbcx'.strip('x') }}]"));
        assertEquals(
                "['a', 'b', '']|['1', '2 3']|['a.b', 'c']",
                render("{{ 'a.b.'.split('.') }}|{{ ' 1  2 3 '.split(none, 1) }}" + "|{{ 'a.b c'.split() }}"));
        assertEquals(
                "HI hi Hello World Hello world",
                render("{{ 'hi'.upper() }} {{ 'HI'.lower() }}"
                        + " {{ 'hello world'.title() }} {{ 'hello WORLD'.capitalize() }}"));
        assertEquals(
                "a-b-c|xbb|1|2|-1|a, b",
                render(
                        "{{ 'a b c'.replace(' ', '-') }}|{{ 'abb'.replace('a', 'x', 1) }}"
                                + "|{{ 'abc'.find('b') }}|{{ 'abab'.count('ab') }}|{{ 'abc'.find('z') }}|{{ ', '.join(['a', 'b']) }}"));
        assertEquals("['a', 'b']|True", render("{{ 'a\\nb\\n'.splitlines() }}|{{ ' \\t'.isspace() }}"));
    }

    @Test
    void filtersAndJson() {
        assertEquals("be brief|3", render("{{ messages[0].content | trim }}|{{ messages | length }}"));
        // transformers' tojson is json.dumps(ensure_ascii=False): spaces after ':' and ',', keys in order.
        assertEquals("{\"role\": \"system\", \"content\": \"  be brief  \"}", render("{{ messages[0] | tojson }}"));
        assertEquals("[1, \"é\\\"\\n\", true, null, 2.5]", render("{{ [1, 'é\"\\n', true, none, 2.5] | tojson }}"));
        assertEquals("{\n  \"a\": [\n    1,\n    2\n  ]\n}", render("{{ {'a': [1, 2]} | tojson(indent=2) }}"));
        assertEquals("{\"a\": 1, \"b\": 2}", render("{{ {'b': 2, 'a': 1} | tojson(sort_keys=true) }}"));
    }

    @Test
    void pythonFloatsAsJsonWritesThem() {
        assertEquals("1.0", PythonJson.pythonFloat(1.0));
        assertEquals("0.1", PythonJson.pythonFloat(0.1));
        assertEquals("10000000000.0", PythonJson.pythonFloat(1e10));
        assertEquals("1e+16", PythonJson.pythonFloat(1e16));
        assertEquals("1.5e-05", PythonJson.pythonFloat(1.5e-5));
        assertEquals("-0.0", PythonJson.pythonFloat(-0.0));
    }

    @Test
    void loopsSlicesNamespacesAndTests() {
        assertEquals(
                "0:system:first 1:user 2:assistant:last ",
                render("{% for m in messages %}{{ loop.index0 }}:{{ m.role }}{% if loop.first %}:first{% endif %}"
                        + "{% if loop.last %}:last{% endif %} {% endfor %}"));
        assertEquals(
                "user,assistant|assistant",
                render("{% set rest = messages[1:] %}{{ rest | map(attribute='role') | join(',') }}"
                        + "|{{ messages[-1]['role'] }}"));
        assertEquals(
                "2",
                render("{% set ns = namespace(n=0) %}{% for m in messages %}{% if m.role != 'system' %}"
                        + "{% set ns.n = ns.n + 1 %}{% endif %}{% endfor %}{{ ns.n }}"));
        assertEquals(
                "user assistant ",
                render("{% for m in messages | rejectattr('role', 'equalto', 'system') %}"
                        + "{{ m.role }} {% endfor %}"));
        assertEquals(
                "True True False True True False",
                render("{{ raise_exception is defined }} {{ strftime_now is defined }} {{ tools is defined }}"
                        + " {{ 'role' in messages[0] }} {{ messages[0].content is string }}"
                        + " {{ 'tool_calls' in messages[0] }}"));
        assertEquals(
                "none|yes",
                render("{% set t = none %}{% if t is none %}none{% endif %}|"
                        + "{% if not messages[0].tool_calls %}yes{% endif %}"));
        assertEquals("[]", render("[{{ undefined_thing }}{{ messages[0].nope }}{{ messages[7] }}]"));
    }

    @Test
    void loopFiltersAreRefusedRatherThanIgnored() {
        // Jinjava would loop over every message: "for m in messages if c" parses as "for m in (messages if c)".
        ChatTemplateException e = assertThrows(
                ChatTemplateException.class,
                () -> ChatTemplate.of(
                        "t", "{% for m in messages if m.role != 'system' %}{{ m.role }}{% endfor %}", Map.of()));
        assertEquals(ChatTemplateException.Reason.INVALID_TEMPLATE, e.reason());
        assertTrue(e.getMessage().startsWith("t: chat_template line 1: loop filters"), e.getMessage());
        assertTrue(JinjaSource.hasLoopFilter("x in xs if x"));
        assertFalse(JinjaSource.hasLoopFilter("x in (xs if c else ys)"));
        assertFalse(JinjaSource.hasLoopFilter("x in xs if c else ys"));
        assertFalse(JinjaSource.hasLoopFilter("x in ['if']"));
    }

    @Test
    void valuesPrintAsPythonPrintsThem() {
        assertEquals("True False", render("{{ true }} {{ messages[0].role == 'user' }}"));
        assertEquals(
                "['a', \"it's\", 1, 2.5, None, True]|{'k': [1]}",
                render("{{ ['a', \"it's\", 1, 2.5, none, true] }}|{{ {'k': [1]} }}"));
    }

    @Test
    void operatorPrecedenceAsInJinja2() {
        assertEquals("aB", render("{{ 'a' + 'b' | upper }}"));
        assertEquals("2", render("{{ messages | length - 1 }}"));
        assertEquals("True", render("{{ not nothing is defined }}"));
        assertEquals("yes", render("{{ 'yes' if messages[0].role == 'system' else 'no' }}"));
        assertEquals(
                "user:Hi! How are you?",
                render("{% for k, v in messages[1].items() %}{{ v }}{% if loop.first %}:{% endif %}{% endfor %}"));
        assertEquals("d", render("{{ messages[0].get('nope', 'd') }}"));
    }

    @Test
    void macros() {
        assertEquals(
                "<system><user><assistant>",
                render("{% macro tag(x) %}<{{ x }}>{% endmacro %}"
                        + "{% for m in messages %}{{ tag(m.role) }}{% endfor %}"));
    }

    @Test
    void variablesAsTransformersPassesThem(@TempDir Path dir) throws IOException {
        // Special tokens as strings or AddedToken objects; additional_special_tokens as a list; null ones absent.
        Files.writeString(
                dir.resolve(ChatTemplate.TOKENIZER_CONFIG),
                "{\"chat_template\": \"{{ bos_token }}|{{ eos_token }}|{{ add_generation_prompt }}|"
                        + "{{ additional_special_tokens | join(',') }}|{{ unk_token is defined }}\","
                        + " \"bos_token\": \"<s>\","
                        + " \"eos_token\": {\"__type\": \"AddedToken\", \"content\": \"</s>\", \"lstrip\": false},"
                        + " \"additional_special_tokens\": [\"a\", {\"content\": \"b\"}], \"unk_token\": null}");
        ChatTemplate t = ChatTemplate.load(dir).orElseThrow();
        assertEquals("<s>|</s>|True|a,b|False", t.render(CONVERSATION, true));
        assertEquals("<s>|</s>|False|a,b|False", t.render(CONVERSATION, false));
    }

    @Test
    void strftimeNowUsesTheClock() {
        ChatTemplate t = ChatTemplate.of(
                        "t", "{{ strftime_now('%Y-%m-%d') }} {{ strftime_now('%d %B %Y, %H:%M') }}", Map.of())
                .withClock(Clock.fixed(Instant.parse("2025-03-07T09:05:00Z"), ZoneOffset.UTC));
        assertEquals("2025-03-07 07 March 2025, 09:05", t.render(CONVERSATION, true));
    }

    @Test
    void emptyConversationIsRefused() {
        ChatTemplate t = ChatTemplate.of("t", "x", Map.of());
        assertThrows(IllegalArgumentException.class, () -> t.render(List.of(), true));
    }

    @Test
    void rendersConcurrently() throws Exception {
        ChatTemplate t =
                ChatTemplatePublishedTest.load("llama-3.2-1b-instruct").withClock(ChatTemplatePublishedTest.MAR_7_2025);
        String expected = t.render(ChatTemplatePublishedTest.CONVERSATION, true);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                results.add(pool.submit(() -> t.render(ChatTemplatePublishedTest.CONVERSATION, true)));
            }
            for (Future<String> f : results) {
                assertEquals(expected, f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
