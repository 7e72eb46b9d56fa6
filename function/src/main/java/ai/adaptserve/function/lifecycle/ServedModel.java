package ai.adaptserve.function.lifecycle;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.generate.TextGenerator;
import java.util.Objects;
import java.util.Optional;

/**
 * The base model as the API serves it.
 *
 * @param id the id clients use ({@code base})
 * @param name the checkpoint's name
 * @param fingerprint stable id of the base weights
 * @param contextLength longest prompt plus completion, in tokens
 * @param generator runs the model; thread-safe
 * @param resources released when the application stops
 * @param loaded the checkpoint itself, when the served model is one: it runs adapters and trains them
 */
public record ServedModel(
        String id,
        String name,
        String fingerprint,
        int contextLength,
        TextGenerator generator,
        AutoCloseable resources,
        Optional<LoadedModel> loaded) {

    /** The id of the base model in {@code /v1/models} and OpenAI-style requests. */
    public static final String BASE_ID = "base";

    public ServedModel {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(generator, "generator");
        Objects.requireNonNull(resources, "resources");
        Objects.requireNonNull(loaded, "loaded");
    }

    /** A served model that cannot run adapters (tests). */
    public ServedModel(
            String id,
            String name,
            String fingerprint,
            int contextLength,
            TextGenerator generator,
            AutoCloseable resources) {
        this(id, name, fingerprint, contextLength, generator, resources, Optional.empty());
    }

    /** Serves a loaded checkpoint as {@code base}. */
    public static ServedModel of(LoadedModel model) {
        return new ServedModel(
                BASE_ID, model.name(), model.fingerprint(), model.contextLength(), model, model, Optional.of(model));
    }
}
