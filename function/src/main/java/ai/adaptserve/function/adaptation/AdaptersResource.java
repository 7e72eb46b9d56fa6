package ai.adaptserve.function.adaptation;

import ai.adaptserve.cache.AdapterKey;
import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.api.ErrorCodes;
import ai.adaptserve.function.api.ErrorResponse;
import ai.adaptserve.function.auth.Caller;
import ai.adaptserve.function.lifecycle.ModelHolder;
import ai.adaptserve.function.lifecycle.ServedModel;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.adapter.LoraAdapter;
import ai.adaptserve.model.adapter.MatrixRef;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/** {@code GET /v1/adapters/{id}}: what an adapter of the served base model is, from the cache. */
@Path("/v1/adapters")
@Produces(MediaType.APPLICATION_JSON)
public class AdaptersResource {

    private final AdapterLookup adapters;
    private final ModelHolder models;
    private final ObjectMapper json;

    AdaptersResource(AdapterLookup adapters, ModelHolder models, ObjectMapper json) {
        this.adapters = adapters;
        this.models = models;
        this.json = json;
    }

    @GET
    @Path("/{id}")
    @Blocking
    @Operation(summary = "An adapter's metadata: kind, base model, size, training summary, targets")
    @APIResponse(
            responseCode = "200",
            description = "The adapter",
            content = @Content(schema = @Schema(implementation = AdapterInfo.class)))
    @APIResponse(
            responseCode = "400",
            description = "Not an adapter id",
            content = @Content(schema = @Schema(implementation = ErrorResponse.class)))
    @APIResponse(
            responseCode = "404",
            description = "No tier holds this adapter for the served base model",
            content = @Content(schema = @Schema(implementation = ErrorResponse.class)))
    @APIResponse(responseCode = "422", description = "The stored adapter failed verification")
    @APIResponse(responseCode = "503", description = "The model is not loaded yet")
    public AdapterInfo get(@PathParam("id") String id, @Context ContainerRequestContext request) {
        if (!AdapterKey.isId(id)) {
            throw new ApiException(
                    400,
                    ErrorCodes.ADAPTER_NOT_FOUND,
                    "id must be sha256: followed by 64 lower-case hex digits, got "
                            + (id.length() > 80 ? "\"" + id.substring(0, 77) + "…\"" : "\"" + id + "\""));
        }
        Optional<String> tenant = Caller.tenant(request);
        try (ModelHolder.Lease lease = models.leaseOrThrow()) {
            ServedModel model = lease.model();
            AdapterService.Resolved r =
                    adapters.find(model, id, tenant).orElseThrow(() -> notFound(id, model.fingerprint()));
            return info(r);
        }
    }

    static ApiException notFound(String id, String fingerprint) {
        return new ApiException(
                404, ErrorCodes.ADAPTER_NOT_FOUND, "adapter " + id + " not found for base model " + fingerprint);
    }

    private AdapterInfo info(AdapterService.Resolved r) {
        Adapter adapter = r.adapter();
        Integer rank = adapter instanceof LoraAdapter l ? l.rank() : null;
        Float alpha = adapter instanceof LoraAdapter l ? l.alpha() : null;
        Map<String, String> extra = new TreeMap<>(r.stored().metadata());
        extra.remove(AdapterMetadata.TRAINING);
        return new AdapterInfo(
                r.id(),
                r.kind(),
                r.file().baseFingerprint(),
                r.stored().payloadLength(),
                r.file().created().toString(),
                training(r.file().training()),
                adapter.targets().stream().sorted().map(MatrixRef::key).toList(),
                rank,
                alpha,
                adapter.parameterBytes(),
                r.tier(),
                r.stored().trainMillis(),
                extra);
    }

    /** The training summary as JSON when it is JSON (it is, for adapters trained here), else as a string. */
    private JsonNode training(String summary) {
        if (summary.isEmpty()) {
            return null;
        }
        try {
            JsonNode node = json.readTree(summary);
            return node == null || node.isMissingNode() ? TextNode.valueOf(summary) : node;
        } catch (JsonProcessingException e) {
            return TextNode.valueOf(summary);
        }
    }

    /**
     * An adapter's metadata.
     *
     * @param id content hash ({@code sha256:…})
     * @param kind {@code lora} or {@code svf}
     * @param baseFingerprint the base model it adapts (as {@code /v1/models} shows it)
     * @param bytes size of the adapter file (safetensors)
     * @param created when it was trained
     * @param training how it was trained: steps, first and last loss, time, why it stopped
     * @param targets the matrices it changes ({@code <layer>.<matrix>}, {@code head})
     * @param rank LoRA rank (LoRA only)
     * @param alpha LoRA alpha (LoRA only)
     * @param parameterBytes bytes of its parameters as F32
     * @param tier the tier it was read from now
     * @param trainMs how long training it took
     * @param metadata what the trainer stored with it (such as {@code prompt_format}, {@code trained_on})
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record AdapterInfo(
            String id,
            String kind,
            @JsonProperty("base_fingerprint") String baseFingerprint,
            long bytes,
            String created,
            JsonNode training,
            List<String> targets,
            Integer rank,
            Float alpha,
            @JsonProperty("parameter_bytes") long parameterBytes,
            String tier,
            @JsonProperty("train_ms") long trainMs,
            Map<String, String> metadata) {}
}
