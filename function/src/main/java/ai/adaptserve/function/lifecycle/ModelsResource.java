package ai.adaptserve.function.lifecycle;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** {@code GET /v1/models}: the models this instance serves. */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelsResource {

    private final ModelHolder holder;

    public ModelsResource(ModelHolder holder) {
        this.holder = holder;
    }

    @GET
    @Operation(summary = "The models this instance serves; 503 until the base model is loaded")
    public ModelList list() {
        ServedModel model = holder.readyOrThrow();
        return new ModelList(
                List.of(new ModelInfo(model.id(), model.name(), model.fingerprint(), model.contextLength())));
    }

    /** @param data the served models */
    public record ModelList(List<ModelInfo> data) {}

    /**
     * @param id the id to ask for ({@code base})
     * @param name the checkpoint's name
     * @param fingerprint stable id of the base weights; adapters are keyed by it
     * @param contextLength longest prompt plus completion, in tokens
     */
    public record ModelInfo(
            String id,
            String name,
            String fingerprint,
            @JsonProperty("context_length") int contextLength) {}
}
