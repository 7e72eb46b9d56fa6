package ai.adaptserve.function.openai;

import ai.adaptserve.cache.ListedAdapter;
import ai.adaptserve.function.adaptation.TenantAdapters;
import ai.adaptserve.function.auth.Caller;
import ai.adaptserve.function.lifecycle.ModelHolder;
import ai.adaptserve.function.lifecycle.ServedModel;
import ai.adaptserve.function.routing.TaskRouting;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * {@code GET /v1/models} in OpenAI's list shape: the base model first (with its fingerprint and context length), then
 * one entry per expert ({@code expert:<family>}, {@code parent} = the base), then the caller's own adapters of the base
 * model that the durable tier holds ({@code kind} {@code adapter}, {@code created} when stored; at most {@link
 * TenantAdapters#MAX_LISTED}; another tenant's are never listed). Every id is a valid {@code model} for the
 * OpenAI-compatible routes ({@code GET /v1/adapters/{id}} says what an adapter is).
 */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelsResource {

    private final ModelHolder holder;
    private final TaskRouting routing;
    private final TenantAdapters adapters;
    private final long created = System.currentTimeMillis() / 1000;

    public ModelsResource(ModelHolder holder, TaskRouting routing, TenantAdapters adapters) {
        this.holder = holder;
        this.routing = routing;
        this.adapters = adapters;
    }

    @GET
    @Blocking
    @Operation(
            summary = "The base model, its experts and the caller's adapters, in OpenAI's list shape; 503 until the"
                    + " base model is loaded, or while the adapter store cannot be listed")
    public ModelList list(@Context ContainerRequestContext request) {
        ServedModel model = holder.readyOrThrow();
        List<ModelInfo> data = new ArrayList<>();
        data.add(new ModelInfo(
                model.id(),
                "model",
                created,
                "adaptserve",
                null,
                "base",
                model.name(),
                model.fingerprint(),
                model.contextLength()));
        for (String family : routing.families()) {
            data.add(new ModelInfo(
                    ModelChoice.EXPERT_PREFIX + family,
                    "model",
                    created,
                    "adaptserve",
                    model.id(),
                    "svf",
                    null,
                    model.fingerprint(),
                    model.contextLength()));
        }
        for (ListedAdapter adapter : adapters.of(model, Caller.tenant(request))) {
            data.add(new ModelInfo(
                    adapter.id(),
                    "model",
                    adapter.created().getEpochSecond(),
                    "adaptserve",
                    model.id(),
                    "adapter",
                    null,
                    model.fingerprint(),
                    model.contextLength()));
        }
        return new ModelList("list", data);
    }

    /**
     * @param object {@code list}
     * @param data the base model, then its experts, then the caller's adapters
     */
    public record ModelList(String object, List<ModelInfo> data) {}

    /**
     * @param id the {@code model} to ask for: the base model's id, {@code expert:<family>} or an adapter id
     * @param object {@code model}
     * @param created in seconds since the epoch: when this instance started serving, or when the adapter was stored
     * @param ownedBy {@code adaptserve}
     * @param parent the base model's id, for an expert or an adapter; absent for the base
     * @param kind {@code base}, {@code svf} for an expert, {@code adapter} for a stored adapter (its kind: {@code GET
     *     /v1/adapters/{id}})
     * @param name the checkpoint's name (the base only)
     * @param fingerprint stable id of the base weights; adapters are keyed by it
     * @param contextLength longest prompt plus completion, in tokens
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ModelInfo(
            String id,
            String object,
            long created,
            @JsonProperty("owned_by") String ownedBy,
            String parent,
            String kind,
            String name,
            String fingerprint,
            @JsonProperty("context_length") int contextLength) {}
}
