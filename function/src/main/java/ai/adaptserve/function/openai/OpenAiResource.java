package ai.adaptserve.function.openai;

import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.api.BoundedBody;
import ai.adaptserve.function.api.ErrorCodes;
import ai.adaptserve.function.api.ErrorResponse;
import ai.adaptserve.function.auth.Caller;
import ai.adaptserve.function.generation.GenerateRequest;
import ai.adaptserve.function.generation.GenerateRequestParser;
import ai.adaptserve.function.generation.GenerateResponse;
import ai.adaptserve.function.generation.GenerateService;
import ai.adaptserve.function.lifecycle.ModelHolder;
import ai.adaptserve.function.lifecycle.ServedModel;
import ai.adaptserve.function.settings.AdaptServeConfig;
import ai.adaptserve.function.streaming.SseChannel;
import ai.adaptserve.model.chat.ChatMessage;
import ai.adaptserve.model.generate.TokenListener;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.common.annotation.Blocking;
import io.vertx.core.http.HttpServerResponse;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntFunction;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.logging.Logger;

/**
 * {@code POST /v1/chat/completions} and {@code POST /v1/completions} in OpenAI's wire format: a thin translation onto
 * the generate path ({@link GenerateService}). The body is read as {@code /v1/generate}'s is (bounded, strict, behind
 * the same authentication), the {@code model} becomes the adapter ({@link ModelChoice}), a conversation becomes the
 * prompt through the model's chat template ({@link ChatTemplates}), {@code n} becomes {@code samples} and every sample
 * is a choice. Errors are OpenAI's error object (AdaptServe's error shape is the same object).
 */
@Path("/v1")
@Produces({MediaType.APPLICATION_JSON, SseChannel.MEDIA_TYPE})
public class OpenAiResource {

    private static final Logger LOG = Logger.getLogger(OpenAiResource.class);
    private static final SecureRandom IDS = new SecureRandom();
    /** {@code /v1/generate} fields that keep their name in errors; others are renamed for the OpenAI client. */
    private static final Set<String> FIELDS = Set.of(
            "temperature", "top_p", "stop", "seed", "max_tokens", "examples", "document", "vote", "task", "adapter");

    private final GenerateService service;
    private final GenerateRequestParser generateParser;
    private final OpenAiRequestParser parser;
    private final ModelHolder models;
    private final ModelChoice choice;
    private final ChatTemplates templates;
    private final ObjectMapper json;
    private final long maxBodyBytes;
    private final int streamBufferEvents;

    OpenAiResource(
            GenerateService service,
            AdaptServeConfig config,
            ModelHolder models,
            ModelChoice choice,
            ChatTemplates templates,
            ObjectMapper json) {
        this.service = service;
        this.generateParser = new GenerateRequestParser(config.limits());
        this.parser = new OpenAiRequestParser(config.limits());
        this.models = models;
        this.choice = choice;
        this.templates = templates;
        this.json = json;
        this.streamBufferEvents = config.engine().streamBufferEvents();
        this.maxBodyBytes = config.limits().maxBodyBytes();
    }

    @POST
    @Path("/chat/completions")
    @Blocking
    @Operation(summary = "OpenAI-compatible chat completion; model = base, expert:<family> or an adapter id")
    public Response chat(
            InputStream body, @Context ContainerRequestContext request, @Context HttpServerResponse connection) {
        return complete(body, request, connection, true);
    }

    @POST
    @Path("/completions")
    @Blocking
    @Operation(summary = "OpenAI-compatible text completion; model = base, expert:<family> or an adapter id")
    public Response completions(
            InputStream body, @Context ContainerRequestContext request, @Context HttpServerResponse connection) {
        return complete(body, request, connection, false);
    }

    private Response complete(
            InputStream body, ContainerRequestContext context, HttpServerResponse connection, boolean chat) {
        long start = System.nanoTime();
        OpenAiRequest request = parser.parse(GenerateRequestParser.readJson(read(body)), chat);
        Optional<String> tenant = Caller.tenant(context);
        GenerateRequest generate;
        IntFunction<String> tokenText;
        String fingerprint;
        try (ModelHolder.Lease lease = models.leaseOrThrow()) {
            ServedModel model = lease.model();
            fingerprint = model.fingerprint();
            tokenText = model.loaded().isPresent()
                    ? id -> model.loaded().get().tokenizer().decode(new int[] {id})
                    : id -> "";
            generate = translate(request, model, tenant);
        }
        String id = (chat ? "chatcmpl-" : "cmpl-") + HexFormat.of().formatHex(randomBytes());
        long created = System.currentTimeMillis() / 1000;
        if (request.stream()) {
            CompletionStream.Header header = new CompletionStream.Header(id, created, request.model(), fingerprint);
            return stream(request, generate, tenant, start, header, tokenText, connection);
        }
        ChoiceRecorder recorder = new ChoiceRecorder(request.logprobs(), request.topLogprobs(), tokenText);
        GenerateResponse r = service.generate(generate, tenant, start, recorder);
        Object answer = chat
                ? chatCompletion(id, created, request, fingerprint, r, recorder)
                : textCompletion(id, created, request, fingerprint, r, recorder);
        return Response.ok(answer, MediaType.APPLICATION_JSON_TYPE).build();
    }

    /** The OpenAI request as a {@code /v1/generate} request, checked by that route's parser. */
    private GenerateRequest translate(OpenAiRequest request, ServedModel model, Optional<String> tenant) {
        ModelChoice.Choice c = choice.of(request, model, tenant);
        ObjectNode g = request.generate().deepCopy();
        g.put("adapter", c.adapter());
        if (c.task().isPresent()) {
            if (g.has("task")) {
                throw ApiException.invalid("task", "task: the model \"" + request.model() + "\" already names it");
            }
            g.put("task", c.task().get());
        }
        if (request.chat()) {
            if (request.hasExamples() || c.inOut()) {
                // Examples (and adapters trained on them) use the in/out format the generate path renders itself.
                g.put("prompt", lastUserMessage(request.messages()));
            } else {
                ChatPrompt prompt = templates.of(model);
                try {
                    g.put("prompt", prompt.render(request.messages()));
                } catch (IllegalArgumentException e) {
                    throw new ApiException(400, ErrorCodes.INVALID_REQUEST, "messages: " + e.getMessage())
                            .about("messages");
                }
                if (!g.has("stop") && !prompt.defaultStop().isEmpty()) {
                    g.set("stop", json.valueToTree(prompt.defaultStop()));
                }
            }
        } else {
            g.put("prompt", request.prompt());
        }
        try {
            return generateParser.parse(g);
        } catch (ApiException e) {
            throw e.about(param(e.getMessage(), request.chat()));
        }
    }

    /** The field a {@code /v1/generate} error names, as the OpenAI request calls it. */
    private static String param(String message, boolean chat) {
        String first = message.split("[ .\\[]", 2)[0];
        if (first.equals("samples")) {
            return "n";
        }
        if (first.equals("prompt")) {
            return chat ? "messages" : "prompt";
        }
        return FIELDS.contains(first) ? first : null;
    }

    private static String lastUserMessage(List<ChatMessage> messages) {
        ChatMessage last = messages.getLast();
        if (!last.role().equals(ChatMessage.USER)) {
            throw ApiException.invalid(
                    "messages",
                    "messages: with examples the last message must be the user's input, got " + last.role());
        }
        return last.content();
    }

    private Response stream(
            OpenAiRequest request,
            GenerateRequest generate,
            Optional<String> tenant,
            long start,
            CompletionStream.Header header,
            IntFunction<String> tokenText,
            HttpServerResponse connection) {
        StreamingOutput body = out -> {
            // The channel's own writer thread writes every chunk: the engine's thread only hands tokens to it.
            try (SseChannel channel = new SseChannel(out, connection::closed, json, streamBufferEvents)) {
                CompletionStream events = new CompletionStream(
                        channel,
                        header,
                        request.chat(),
                        generate.samples(),
                        request.logprobs(),
                        request.topLogprobs(),
                        tokenText);
                try {
                    GenerateResponse r = service.generate(generate, tenant, start, events);
                    events.finish(r, request.includeUsage());
                } catch (TokenListener.GenerationCancelled e) {
                    if (channel.overflowed()) {
                        LOG.debugf(
                                "A streaming client read too slowly; its completion was cancelled: %s", e.getMessage());
                        channel.data(ErrorResponse.of(ErrorCodes.CLIENT_TOO_SLOW, e.getMessage()));
                    } else {
                        LOG.debug("A streaming client went away; its generation was cancelled");
                    }
                } catch (ApiException e) {
                    channel.data(e.body());
                } catch (RuntimeException e) {
                    LOG.error("A streaming completion failed", e);
                    channel.data(ErrorResponse.of(ErrorCodes.INTERNAL, ErrorCodes.messageForStatus(500)));
                }
            }
        };
        return Response.ok(body, SseChannel.MEDIA_TYPE)
                .header("Cache-Control", "no-cache")
                .build();
    }

    private static Completions.ChatCompletion chatCompletion(
            String id,
            long created,
            OpenAiRequest request,
            String fingerprint,
            GenerateResponse r,
            ChoiceRecorder recorder) {
        List<Completions.ChatChoice> choices = new ArrayList<>();
        for (int i = 0; i < r.candidates().size(); i++) {
            List<TokenLogprobs.Entry> entries = recorder.entries(i);
            choices.add(new Completions.ChatChoice(
                    i,
                    Completions.Message.assistant(r.candidates().get(i).text()),
                    entries == null ? null : new Completions.ChatLogprobs(entries),
                    recorder.finishReason(i)));
        }
        return new Completions.ChatCompletion(
                id,
                "chat.completion",
                created,
                request.model(),
                fingerprint,
                choices,
                Completions.Usage.of(r),
                Completions.AdaptServe.of(r));
    }

    private static Completions.TextCompletion textCompletion(
            String id,
            long created,
            OpenAiRequest request,
            String fingerprint,
            GenerateResponse r,
            ChoiceRecorder recorder) {
        List<Completions.TextChoice> choices = new ArrayList<>();
        for (int i = 0; i < r.candidates().size(); i++) {
            List<TokenLogprobs.Entry> entries = recorder.entries(i);
            choices.add(new Completions.TextChoice(
                    i,
                    r.candidates().get(i).text(),
                    entries == null ? null : Completions.TextLogprobs.of(entries, 0),
                    recorder.finishReason(i)));
        }
        return new Completions.TextCompletion(
                id,
                "text_completion",
                created,
                request.model(),
                fingerprint,
                choices,
                Completions.Usage.of(r),
                Completions.AdaptServe.of(r));
    }

    private byte[] read(InputStream body) {
        try {
            return BoundedBody.read(body, maxBodyBytes);
        } catch (IOException e) {
            throw new ApiException(400, ErrorCodes.INVALID_REQUEST, "the request body could not be read");
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[12];
        IDS.nextBytes(b);
        return b;
    }
}
