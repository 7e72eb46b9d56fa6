package ai.adaptserve.function.generation;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.function.api.ApiException;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Request bodies are client bytes: the parser returns a request or an {@link ApiException} (400 or 413) whose
 * message is for people, never a library's text. Regression inputs:
 * {@code src/test/resources/ai/adaptserve/function/generation/GenerateRequestParserFuzzTestInputs/}.
 */
class GenerateRequestParserFuzzTest {

    /**
     * Library internals a message must not echo: class names of Java, Jackson and friends (a nested class's
     * {@code Outer$Inner} too: a lone {@code $} can be Jackson's rendering of an invalid UTF-8 byte, found by #knownFields),
     * stack frames.
     */
    private static final Pattern INTERNALS = Pattern.compile(
            "exception|com\\.fasterxml|jackson|java\\.|\\bat [a-z]+\\.|[a-z0-9]\\$[a-z0-9]|source: |[a-z]\\.[a-z]+\\(|`");

    private static final List<String> FIELDS = List.copyOf(GenerateRequestParser.FIELDS);

    private final GenerateRequestParser parser = new GenerateRequestParser(GenerateRequestParserTest.LIMITS);

    /** Any bytes at all. */
    @FuzzTest(maxDuration = "5m")
    void rawBody(byte[] body) {
        parse(body);
    }

    /** A JSON object of the request's own field names with fuzzed JSON values: reaches the field checks. */
    @FuzzTest(maxDuration = "5m")
    void knownFields(FuzzedDataProvider data) {
        StringBuilder json = new StringBuilder("{");
        int n = data.consumeInt(0, 6);
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                json.append(',');
            }
            json.append('"').append(data.pickValue(FIELDS)).append("\":").append(data.consumeString(200));
        }
        parse(json.append('}').toString().getBytes(StandardCharsets.UTF_8));
    }

    private void parse(byte[] body) {
        try {
            assertNotNull(parser.parse(body));
        } catch (ApiException e) {
            assertTrue(e.status() == 400 || e.status() == 413, "status " + e.status());
            // The parser quotes a little of the client's own text; only words the client did not send count.
            String sent = new String(body, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
            Matcher m = INTERNALS.matcher(e.getMessage().toLowerCase(Locale.ROOT));
            while (m.find()) {
                assertTrue(sent.contains(m.group()), "message echoes internals: " + e.getMessage());
            }
        }
    }
}
