package ai.adaptserve.function.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.api.ErrorCodes;
import ai.adaptserve.function.settings.AdaptServeConfig;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The parser's less common paths; the HTTP tests cover the common ones against the running app. */
class GenerateRequestParserTest {

    static final AdaptServeConfig.Limits LIMITS = new AdaptServeConfig.Limits() {
        @Override
        public long maxBodyBytes() {
            return 1 << 20;
        }

        @Override
        public int maxUriBytes() {
            return 8192;
        }

        @Override
        public int maxHeaderBytes() {
            return 16384;
        }

        @Override
        public int maxPromptChars() {
            return 100;
        }

        @Override
        public int maxTokens() {
            return 32;
        }

        @Override
        public int maxSamples() {
            return 16;
        }

        @Override
        public int maxExamples() {
            return 4;
        }

        @Override
        public int maxExampleChars() {
            return 10;
        }

        @Override
        public int maxDocumentChars() {
            return 50;
        }
    };

    private final GenerateRequestParser parser = new GenerateRequestParser(LIMITS);

    private GenerateRequest parse(String json) {
        return parser.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void parse_everyField_typedRequest() {
        GenerateRequest r = parse("""
                {"prompt": "hello", "examples": [{"input": "ab", "output": "ba"}], "document": "doc",
                 "task": "reverse", "adapter": "none", "max_tokens": 8, "temperature": 0.5, "top_p": 0.9,
                 "stop": ["\\n", "."], "seed": -7, "samples": 3, "vote": "logprob", "stream": false}
                """);

        assertEquals("hello", r.prompt());
        assertEquals(List.of(new GenerateRequest.Example("ab", "ba")), r.examples());
        assertEquals(8, r.maxTokens());
        assertEquals(0.5f, r.temperature());
        assertEquals(0.9f, r.topP());
        assertEquals(List.of("\n", "."), r.stop());
        assertEquals(-7L, r.seed());
        assertEquals(3, r.samples());
        assertEquals(Vote.LOGPROB, r.vote());
        assertEquals("none", r.adapter());
    }

    @Test
    void parse_onlyPrompt_defaultsAndNulls() {
        GenerateRequest r = parse("{\"prompt\": \"hi\", \"seed\": null, \"stop\": \"END\"}");

        assertNull(r.maxTokens());
        assertNull(r.seed());
        assertEquals(List.of("END"), r.stop());
        assertEquals(1, r.samples());
        assertEquals(Vote.MAJORITY, r.vote());
        assertEquals("auto", r.adapter());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"prompt\": \"hi\", \"prompt\": \"again\"}                | invalid_json      | prompt",
                "{\"prompt\": \"hi\"} {}                                     | invalid_json      | JSON",
                "''                                                          | invalid_json      | empty",
                "[1, 2]                                                      | invalid_request   | object",
                "{\"prompt\": \"hi\", \"max_tokens\": 4.0}                   | invalid_request   | max_tokens",
                "{\"prompt\": \"hi\", \"max_tokens\": 99999999999}           | invalid_request   | max_tokens",
                "{\"prompt\": \"hi\", \"seed\": 1e3}                         | invalid_request   | seed",
                "{\"prompt\": \"hi\", \"seed\": 99999999999999999999}        | invalid_request   | seed",
                "{\"prompt\": \"hi\", \"temperature\": \"hot\"}              | invalid_request   | temperature",
                "{\"prompt\": \"hi\", \"temperature\": 2.5}                  | invalid_request   | temperature",
                "{\"prompt\": \"hi\", \"stop\": [\"\"]}                      | invalid_request   | stop[0]",
                "{\"prompt\": \"hi\", \"stop\": [\"a\",\"b\",\"c\",\"d\",\"e\"]} | invalid_request | stop",
                "{\"prompt\": \"hi\", \"stop\": 3}                           | invalid_request   | stop",
                "{\"prompt\": \"hi\", \"samples\": 17}                       | invalid_request   | samples",
                "{\"prompt\": \"hi\", \"vote\": \"best\"}                    | invalid_request   | vote",
                "{\"prompt\": \"hi\", \"stream\": \"no\"}                    | invalid_request   | stream",
                "{\"prompt\": \"hi\", \"examples\": {}}                      | invalid_request   | examples",
                "{\"prompt\": \"hi\", \"examples\": [{\"input\": \"a\"}]}    | invalid_request   | examples[0].output",
                "{\"prompt\": \"hi\", \"examples\": [{\"input\": \"a\", \"output\": \"b\", \"x\": 1}]} | invalid_request | examples[0].x",
                "{\"prompt\": \"hi\", \"task\": \"no spaces please\"}        | invalid_request   | task",
                "{\"prompt\": \"hi\", \"document\": 5}                       | invalid_request   | document",
                "{\"prompt\": \"hi\", \"adapter\": \"sha256:00\"}            | adapter_not_found | adapter",
                "{\"prompt\": \"hi\", \"adapter\": \"SHA256:\"}              | adapter_not_found | adapter",
                "{\"prompt\": \"hi\", \"examples\": [{\"input\": \"a\", \"output\": \"b\"}]} | invalid_request | examples",
                "{\"prompt\": \"hi\", \"examples\": [{\"input\": \"a\", \"output\": \"b\"}, {\"input\": \"c\", \"output\": 7}]} | invalid_request | examples[1].output",
                "{\"prompt\": \"hi\", \"examples\": [{\"input\": \"a\", \"output\": \"b\\nc\"}]} | invalid_request | examples[0].output",
                "{\"prompt\": \"hi\", \"examples\": [{\"input\": \"aaaaaaaaaaa\", \"output\": \"b\"}]} | invalid_request | examples[0].input",
                "{\"prompt\": \"hi\", \"examples\": [{\"input\": \"\\ud800\", \"output\": \"b\"}]} | invalid_request | examples[0].input",
                "{\"prompt\": \"hi\", \"examples\": [{\"input\": \"a\", \"output\": \"b\"}, {\"input\": \"a\", \"output\": \"b\"}, {\"input\": \"a\", \"output\": \"b\"}, {\"input\": \"a\", \"output\": \"b\"}, {\"input\": \"a\", \"output\": \"b\"}]} | invalid_request | examples",
                "{\"prompt\": \"hi\", \"examples\": [{\"input\": \"a\", \"output\": \"b\"}, {\"input\": \"c\", \"output\": \"d\"}], \"document\": \"x\"} | unsupported | document",
                "{\"prompt\": \"hi\", \"document\": \"\"}                    | invalid_request   | document",
            })
    void parse_invalid_400NamingField(String json, String code, String field) {
        ApiException e = assertThrows(ApiException.class, () -> parse(json));

        assertEquals(400, e.status());
        assertEquals(code, e.code());
        assertTrue(e.getMessage().contains(field), e.getMessage());
    }

    @Test
    void parse_adapterId_kept() {
        String id = "sha256:" + "0123456789abcdef".repeat(4);

        GenerateRequest r = parse("{\"prompt\": \"hi\", \"adapter\": \"" + id + "\"}");

        assertEquals(id, r.adapter());
    }

    @Test
    void parse_oneExampleInContextOnly_accepted() {
        GenerateRequest r = parse(
                "{\"prompt\": \"hi\", \"adapter\": \"none\", \"examples\": [{\"input\": \"a\", \"output\": \"b\"}]}");

        assertEquals(1, r.examples().size());
    }

    @Test
    void parse_documentPastLimit_413NamingDocument() {
        ApiException e = assertThrows(
                ApiException.class, () -> parse("{\"prompt\": \"hi\", \"document\": \"" + "d".repeat(51) + "\"}"));

        assertEquals(413, e.status());
        assertEquals("document_too_long", e.code());
        assertTrue(e.getMessage().startsWith("document"), e.getMessage());
    }

    @Test
    void parse_promptPastLimit_413NamingPrompt() {
        ApiException e = assertThrows(ApiException.class, () -> parse("{\"prompt\": \"" + "a".repeat(101) + "\"}"));

        assertEquals(413, e.status());
        assertEquals("prompt_too_long", e.code());
        assertTrue(e.getMessage().startsWith("prompt"), e.getMessage());
    }

    /** Found by GenerateRequestParserFuzzTest: Jackson's text named the parser setting that would accept the input. */
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"prompt\": \"hi\", \"top_p\": +1}          | numbers to have plus signs",
                "{\"prompt\": \"hi\", \"temperature\": NaN}   | Non-standard token 'NaN'",
                "{\"prompt\": \"hi\" /* note */}             | comment?",
                "{\"prompt\": \"hi\"\u001e}                    | only regular white space",
            })
    void parse_malformedJson_messageNamesNoParserSetting(String json, String kept) {
        ApiException e = assertThrows(ApiException.class, () -> parse(json));

        assertEquals(ErrorCodes.INVALID_JSON, e.code());
        assertTrue(e.getMessage().contains(kept), e.getMessage());
        assertFalse(e.getMessage().contains("`"), e.getMessage());
        assertFalse(e.getMessage().contains("Feature"), e.getMessage());
    }

    @Test
    void withoutParserSettings_anyOtherJacksonNameLeft_plainText() {
        assertEquals(
                "it is not well-formed JSON",
                GenerateRequestParser.withoutParserSettings("value can not be represented as `java.math.BigInteger`"));
    }

    @Test
    void parse_hugeUnknownFieldName_messageTruncated() {
        ApiException e = assertThrows(ApiException.class, () -> parse("{\"" + "k".repeat(10_000) + "\": 1}"));

        assertTrue(e.getMessage().length() < 400, e.getMessage());
    }
}
