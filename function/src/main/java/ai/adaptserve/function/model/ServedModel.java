package ai.adaptserve.function.model;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.generate.TextGenerator;
import java.util.Objects;

/**
 * The base model as the API serves it.
 *
 * @param id the id clients use ({@code base})
 * @param name the checkpoint's name
 * @param fingerprint stable id of the base weights
 * @param contextLength longest prompt plus completion, in tokens
 * @param generator runs the model; thread-safe
 * @param resources released when the application stops
 */
public record ServedModel(
        String id,
        String name,
        String fingerprint,
        int contextLength,
        TextGenerator generator,
        AutoCloseable resources) {

    /** The id of the base model in {@code /v1/models} and OpenAI-style requests. */
    public static final String BASE_ID = "base";

    public ServedModel {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(generator, "generator");
        Objects.requireNonNull(resources, "resources");
    }

    /** Serves a loaded checkpoint as {@code base}. */
    public static ServedModel of(LoadedModel model) {
        return new ServedModel(BASE_ID, model.name(), model.fingerprint(), model.contextLength(), model, model);
    }
}
