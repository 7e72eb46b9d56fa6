package ai.adaptserve.function.generation;

import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.api.BoundedBody;
import ai.adaptserve.function.api.ErrorCodes;
import ai.adaptserve.function.api.ErrorResponse;
import ai.adaptserve.function.auth.Caller;
import ai.adaptserve.function.settings.AdaptServeConfig;
import ai.adaptserve.function.streaming.SseChannel;
import ai.adaptserve.model.engine.RowListener;
import ai.adaptserve.model.generate.TokenListener;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.logging.Logger;

/**
 * {@code POST /v1/generate}. The body is read here, with its size limited while reading, and parsed strictly by
 * {@link GenerateRequestParser}, so that every error names the JSON field it is about.
 */
@Path("/v1/generate")
@Produces({MediaType.APPLICATION_JSON, SseChannel.MEDIA_TYPE})
public class GenerateResource {

    private static final Logger LOG = Logger.getLogger(GenerateResource.class);

    private final GenerateService service;
    private final GenerateRequestParser parser;
    private final long maxBodyBytes;
    private final ObjectMapper json;
    private final int streamBufferEvents;

    GenerateResource(GenerateService service, AdaptServeConfig config, ObjectMapper json) {
        this.service = service;
        this.json = json;
        this.streamBufferEvents = config.engine().streamBufferEvents();
        this.parser = new GenerateRequestParser(config.limits());
        this.maxBodyBytes = config.limits().maxBodyBytes();
    }

    @POST
    @Blocking
    @Operation(summary = "Generate an answer to a prompt, adapting the model to it")
    @RequestBody(
            required = true,
            content =
                    @Content(
                            mediaType = MediaType.APPLICATION_JSON,
                            schema = @Schema(implementation = GenerateRequest.class)))
    @APIResponse(
            responseCode = "200",
            description = "The answer; with stream true, server-sent events ending in done (the answer) or error",
            content = @Content(schema = @Schema(implementation = GenerateResponse.class)))
    @APIResponse(
            responseCode = "400",
            description = "Malformed or invalid request; the message names the field",
            content = @Content(schema = @Schema(implementation = ErrorResponse.class)))
    @APIResponse(
            responseCode = "404",
            description = "The adapter id asked for is in no tier",
            content = @Content(schema = @Schema(implementation = ErrorResponse.class)))
    @APIResponse(responseCode = "413", description = "Body, prompt or document past the configured limits")
    @APIResponse(
            responseCode = "422",
            description = "The adapter failed verification, or the data cannot be trained on")
    @APIResponse(responseCode = "429", description = "Saturated; retry after the Retry-After header's seconds")
    @APIResponse(
            responseCode = "503",
            description = "The model is not loaded yet, or the adapter is still training (retry after Retry-After)")
    public Response generate(
            InputStream body, @Context ContainerRequestContext request, @Context HttpServerResponse connection) {
        long start = System.nanoTime();
        byte[] bytes;
        try {
            bytes = BoundedBody.read(body, maxBodyBytes);
        } catch (IOException e) {
            // The client went away or the transport gave up; either way there is no request to answer.
            throw new ApiException(400, ErrorCodes.INVALID_REQUEST, "the request body could not be read");
        }
        Optional<String> namespace = Caller.tenant(request);
        GenerateRequest parsed = parser.parse(bytes);
        if (parsed.stream()) {
            return stream(parsed, namespace, start, connection);
        }
        // The client gone (connection closed) ends the request's rows at the next decode step, freeing their slots.
        GenerationHooks hooks = new GenerationHooks(connection::closed, RowListener.NONE);
        return Response.ok(service.generate(parsed, namespace, start, hooks), MediaType.APPLICATION_JSON_TYPE)
                .build();
    }

    /**
     * The request answered as server-sent events ({@link GenerateEvents}), the last one {@code done} with the whole
     * response, or {@code error} with the error body when the request fails after the stream has begun.
     */
    private Response stream(
            GenerateRequest parsed, Optional<String> namespace, long start, HttpServerResponse connection) {
        StreamingOutput body = out -> {
            // The channel's own writer thread writes every event: the engine's thread only hands tokens to it.
            try (SseChannel channel = new SseChannel(out, connection::closed, json, streamBufferEvents)) {
                try {
                    GenerateResponse done = service.generate(parsed, namespace, start, new GenerateEvents(channel));
                    channel.event("done", done);
                } catch (TokenListener.GenerationCancelled e) {
                    if (channel.overflowed()) {
                        LOG.debugf(
                                "A streaming client read too slowly; its generation was cancelled: %s", e.getMessage());
                        channel.event("error", ErrorResponse.of(ErrorCodes.CLIENT_TOO_SLOW, e.getMessage()));
                    } else {
                        LOG.debug("A streaming client went away; its generation was cancelled");
                    }
                } catch (ApiException e) {
                    channel.event("error", e.body());
                } catch (RuntimeException e) {
                    LOG.error("A streaming generation failed", e);
                    channel.event("error", ErrorResponse.of(ErrorCodes.INTERNAL, ErrorCodes.messageForStatus(500)));
                }
            }
        };
        return Response.ok(body, SseChannel.MEDIA_TYPE)
                .header("Cache-Control", "no-cache")
                .build();
    }
}
