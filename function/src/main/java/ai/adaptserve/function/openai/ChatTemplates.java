package ai.adaptserve.function.openai;

import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.api.ErrorCodes;
import ai.adaptserve.function.lifecycle.ServedModel;
import ai.adaptserve.function.settings.AdaptServeConfig;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.chat.ChatTemplate;
import ai.adaptserve.model.chat.ChatTemplateException;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The served model's chat template, read once per model: the checkpoint's ({@code chat_template.jinja} or {@code
 * tokenizer_config.json}'s {@code chat_template}), or for the built-in model its own ({@link ChatTemplate#builtin()}).
 * A checkpoint without one cannot chat: {@code /v1/chat/completions} answers 400 and {@code /v1/completions} still
 * works.
 */
@ApplicationScoped
class ChatTemplates {

    private final boolean builtinModel;
    private final ConcurrentMap<String, Optional<ChatPrompt>> byFingerprint = new ConcurrentHashMap<>();

    ChatTemplates(AdaptServeConfig config) {
        this.builtinModel = config.model().path().isEmpty();
    }

    /** How a conversation becomes this model's prompt; 400 naming {@code messages} if it has no chat template. */
    ChatPrompt of(ServedModel model) {
        return byFingerprint
                .computeIfAbsent(model.fingerprint(), f -> load(model))
                .orElseThrow(() -> new ApiException(
                                400,
                                ErrorCodes.UNSUPPORTED,
                                "the served model " + model.name() + " has no chat template (no chat_template in its"
                                        + " tokenizer_config.json); use /v1/completions with a prompt")
                        .about("messages"));
    }

    private Optional<ChatPrompt> load(ServedModel model) {
        Optional<LoadedModel> loaded = model.loaded();
        Optional<ChatTemplate> template;
        if (builtinModel) {
            template = Optional.of(ChatTemplate.builtin());
        } else if (loaded.isPresent()) {
            try {
                template = ChatTemplate.load(loaded.get().directory());
            } catch (ChatTemplateException | UncheckedIOException e) {
                throw new ApiException(
                        500, ErrorCodes.INTERNAL, "the served model's chat template is unusable: " + e.getMessage());
            }
        } else {
            template = Optional.empty();
        }
        return template.map(t -> new ChatPrompt(t, encoderAddsBos(model)));
    }

    /** Whether the model's prompt encoding adds a BOS id: compared with the same text encoded without one. */
    private static boolean encoderAddsBos(ServedModel model) {
        if (model.loaded().isEmpty()) {
            return false;
        }
        String probe = "a";
        return model.generator().tokenize(probe).length()
                > model.loaded().get().tokenizer().encode(probe, false).length;
    }
}
