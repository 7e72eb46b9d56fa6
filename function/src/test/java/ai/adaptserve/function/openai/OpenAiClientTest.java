package ai.adaptserve.function.openai;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.function.ModelReady;
import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The OpenAI-compatible routes driven by OpenAI's own Java client ({@code com.openai:openai-java}) against the running
 * app and its built-in model. Each answer is compared with {@code POST /v1/generate} on the prompt the built-in chat
 * template documents ({@code in: <user>\nout: }, {@code ChatTemplate#BUILTIN_TEMPLATE}), so the translation, not
 * just the shape, is checked.
 */
@QuarkusTest
class OpenAiClientTest {

    @TestHTTPResource("/v1")
    URI v1;

    OpenAIClient client;

    @BeforeEach
    void setUp() {
        ModelReady.await();
        client = OpenAIOkHttpClient.builder()
                .baseUrl(v1.toString())
                .apiKey("unused: the test app is open")
                .maxRetries(0)
                .build();
    }

    private static JsonPath generate(Map<String, Object> body) {
        return given().contentType(ContentType.JSON)
                .body(body)
                .when()
                .post("/v1/generate")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
    }

    private static ChatCompletionCreateParams.Builder chat(String model, String user) {
        return ChatCompletionCreateParams.builder()
                .model(model)
                .addUserMessage(user)
                .maxCompletionTokens(8)
                .temperature(0);
    }

    private static JsonNode adaptserve(ChatCompletion c) {
        return c._additionalProperties().get("adaptserve").convert(JsonNode.class);
    }

    @Test
    void chat_plain_answersAsGenerateOnTheTemplatedPrompt() {
        ChatCompletion c = client.chat()
                .completions()
                .create(chat("base", "rotate 3: yjglkz -> ").build());

        JsonPath expected = generate(
                Map.of("prompt", "in: rotate 3: yjglkz -> \nout: ", "max_tokens", 8, "temperature", 0, "stop", "\n"));
        assertEquals(1, c.choices().size());
        assertEquals(
                expected.getString("text"),
                c.choices().get(0).message().content().orElseThrow());
        assertEquals("stop", c.choices().get(0).finishReason().asString());
        assertTrue(c.id().startsWith("chatcmpl-"));
        assertEquals("base", c.model());
        long prompt = c.usage().orElseThrow().promptTokens();
        assertEquals(expected.getInt("usage.prompt_tokens"), prompt);
        assertEquals(
                prompt + c.usage().orElseThrow().completionTokens(),
                c.usage().orElseThrow().totalTokens());
    }

    @Test
    void chat_stream_chunksMakeTheSameAnswer_endingWithUsage() {
        String whole = client.chat()
                .completions()
                .create(chat("base", "rotate 3: yjglkz -> ").build())
                .choices()
                .get(0)
                .message()
                .content()
                .orElseThrow();
        ChatCompletionCreateParams params = chat("base", "rotate 3: yjglkz -> ")
                .streamOptions(
                        ChatCompletionStreamOptions.builder().includeUsage(true).build())
                .build();

        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream =
                client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunks::add);
        }
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (ChatCompletionChunk chunk : chunks.subList(0, chunks.size() - 1)) {
            assertEquals(1, chunk.choices().size());
            chunk.choices().get(0).delta().content().ifPresent(text::append);
            if (chunk.choices().get(0).finishReason().isPresent()) {
                finish = chunk.choices().get(0).finishReason().get().asString();
            }
        }
        assertTrue(chunks.size() >= 3, "role, text, finish and usage chunks: " + chunks.size());
        assertEquals(whole, text.toString());
        assertEquals("stop", finish);
        ChatCompletionChunk last = chunks.getLast();
        assertTrue(last.choices().isEmpty());
        assertTrue(last.usage().orElseThrow().completionTokens() > 0);
    }

    @Test
    void chat_extraBodyExamples_trainsAtTestTime_andModelAdapterIdReusesIt() {
        String nonce = UUID.randomUUID().toString().substring(0, 6);
        List<Map<String, String>> examples = List.of(
                Map.of("input", "ab" + nonce, "output", "ba"),
                Map.of("input", "cd", "output", "dc"),
                Map.of("input", "ef", "output", "fe"));
        ChatCompletion trained = client.chat()
                .completions()
                .create(chat("base", "gh")
                        .putAdditionalBodyProperty("examples", JsonValue.from(examples))
                        .build());
        JsonNode adapter = adaptserve(trained).get("adapter");
        assertEquals("lora", adapter.get("kind").asText());
        assertEquals("trained", adapter.get("tier").asText());
        String id = adapter.get("id").asText();

        // the same examples through /v1/generate: the same adapter (now cached) and the same answer
        JsonPath expected = generate(Map.of("prompt", "gh", "examples", examples, "max_tokens", 8, "temperature", 0));
        assertEquals(id, expected.getString("adapter.id"));
        assertEquals(
                expected.getString("text"),
                trained.choices().get(0).message().content().orElseThrow());

        // model = the adapter's id: that adapter answers, in the in/out format it was trained in
        ChatCompletion byId = client.chat().completions().create(chat(id, "gh").build());
        assertEquals(id, adaptserve(byId).get("adapter").get("id").asText());
        JsonPath viaGenerate = generate(Map.of("prompt", "gh", "adapter", id, "max_tokens", 8, "temperature", 0));
        assertEquals(
                viaGenerate.getString("text"),
                byId.choices().get(0).message().content().orElseThrow());

        // and the client's model list now names it, as a child of the base model
        Model listed = client.models().list().data().stream()
                .filter(m -> m.id().equals(id))
                .findFirst()
                .orElseThrow(() -> new AssertionError(id + " not in GET /v1/models"));
        assertEquals("base", listed._additionalProperties().get("parent").convert(String.class));
    }

    @Test
    void completions_expertModel_answersWithThatExpert() {
        Completion c = client.completions()
                .create(CompletionCreateParams.builder()
                        .model("expert:rotate")
                        .prompt("rotate 3: yjglkz -> ")
                        .maxTokens(8)
                        .temperature(0)
                        .build());
        // README's routed example, here with the expert named by the model: lkzyjg
        assertEquals("lkzyjg", c.choices().get(0).text());
        assertEquals("stop", c.choices().get(0).finishReason().asString());
        assertEquals("text_completion", c._object_().convert(String.class));
    }

    @Test
    void models_listsBaseExpertsAndAdapters_withParents() {
        List<Model> models = client.models().list().data();
        assertEquals("base", models.get(0).id());
        List<String> ids = models.stream().map(Model::id).toList();
        assertTrue(ids.contains("expert:rotate"), ids.toString());
        for (Model m : models.subList(1, models.size())) {
            assertEquals("base", m._additionalProperties().get("parent").convert(String.class));
        }
    }

    @Test
    void errors_reachTheClientInOpenAiShape() {
        NotFoundException missing = assertThrows(
                NotFoundException.class,
                () -> client.chat().completions().create(chat("gpt-4o", "hi").build()));
        assertEquals("model_not_found", missing.code().orElseThrow());
        assertEquals("model", missing.param().orElseThrow());
        assertEquals("invalid_request_error", missing.type().orElseThrow());

        OpenAIServiceException bad = assertThrows(
                OpenAIServiceException.class,
                () -> client.chat()
                        .completions()
                        .create(chat("base", "hi").temperature(7).build()));
        assertEquals(400, bad.statusCode());
        assertEquals("temperature", bad.param().orElseThrow());
        assertNotEquals("", bad.getMessage());
    }
}
