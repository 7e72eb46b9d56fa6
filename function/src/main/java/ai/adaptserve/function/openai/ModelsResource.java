package ai.adaptserve.function.openai;

import ai.adaptserve.function.lifecycle.ModelHolder;
import ai.adaptserve.function.lifecycle.ServedModel;
import ai.adaptserve.function.routing.TaskRouting;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * {@code GET /v1/models} in OpenAI's list shape: the base model first (with its fingerprint and context length), then
 * one entry per expert ({@code expert:<family>}, {@code parent} = the base). Every id is a valid {@code model} for the
 * OpenAI-compatible routes, as is any adapter id of the base model ({@code GET /v1/adapters/{id}}).
 */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelsResource {

    private final ModelHolder holder;
    private final TaskRouting routing;
    private final long created = System.currentTimeMillis() / 1000;

    public ModelsResource(ModelHolder holder, TaskRouting routing) {
        this.holder = holder;
        this.routing = routing;
    }

    @GET
    @Operation(summary = "The base model and its experts, in OpenAI's list shape; 503 until the base model is loaded")
    public ModelList list() {
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
        return new ModelList("list", data);
    }

    /**
     * @param object {@code list}
     * @param data the base model, then its experts
     */
    public record ModelList(String object, List<ModelInfo> data) {}

    /**
     * @param id the {@code model} to ask for: {@code base} or {@code expert:<family>}
     * @param object {@code model}
     * @param created when this instance started serving, in seconds since the epoch
     * @param ownedBy {@code adaptserve}
     * @param parent the base model's id, for an expert; absent for the base
     * @param kind {@code base}, or the adapter kind ({@code svf} for an expert)
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
