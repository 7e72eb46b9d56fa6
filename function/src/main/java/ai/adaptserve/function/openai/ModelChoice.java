package ai.adaptserve.function.openai;

import ai.adaptserve.function.adaptation.AdapterService;
import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.function.api.ErrorCodes;
import ai.adaptserve.function.generation.GenerateRequestParser;
import ai.adaptserve.function.lifecycle.ServedModel;
import ai.adaptserve.function.routing.TaskRouting;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;

/**
 * What the OpenAI {@code model} field asks for, in {@code /v1/generate}'s terms. The base model's id (or its name):
 * AdaptServe decides as on {@code /v1/generate} (router and experts, test-time training on {@code examples} or a
 * {@code document}), unless the extra field {@code adapter} says otherwise. {@code expert:<family>}: that family's
 * expert ({@code task}). An adapter id: that adapter.
 */
@ApplicationScoped
class ModelChoice {

    private final TaskRouting routing;
    private final AdapterService adapters;

    ModelChoice(TaskRouting routing, AdapterService adapters) {
        this.routing = routing;
        this.adapters = adapters;
    }

    /**
     * @param adapter the generate request's {@code adapter}
     * @param task the generate request's {@code task}, if the model names an expert
     * @param inOut whether the adapter reads prompts in the {@code in: …\nout: } format (trained on examples)
     */
    record Choice(String adapter, Optional<String> task, boolean inOut) {}

    static final String EXPERT_PREFIX = "expert:";

    Choice of(OpenAiRequest request, ServedModel model, Optional<String> tenant) {
        String m = request.model();
        if (m.equals(ServedModel.BASE_ID) || m.equals(model.name())) {
            String adapter = request.adapter() == null ? GenerateRequestParser.AUTO : request.adapter();
            return new Choice(adapter, Optional.empty(), AdapterService.isId(adapter) && inOut(model, adapter, tenant));
        }
        if (m.startsWith(EXPERT_PREFIX)) {
            String family = m.substring(EXPERT_PREFIX.length());
            if (!routing.families().contains(family)) {
                throw notFound(m, model);
            }
            requireNoOtherAdapter(request);
            return new Choice(GenerateRequestParser.AUTO, Optional.of(family), false);
        }
        if (AdapterService.isId(m)) {
            requireNoOtherAdapter(request);
            return new Choice(m, Optional.empty(), inOut(model, m, tenant));
        }
        throw notFound(m, model);
    }

    private boolean inOut(ServedModel model, String id, Optional<String> tenant) {
        if (model.loaded().isEmpty()) {
            return false;
        }
        AdapterService.Resolved found = adapters.find(model, id, tenant).orElseThrow(() -> notFound(id, model));
        return found.promptFormat().orElse("").equals(AdapterService.FORMAT_IN_OUT);
    }

    private static void requireNoOtherAdapter(OpenAiRequest request) {
        if (request.adapter() != null) {
            throw ApiException.invalid(
                    "adapter",
                    "adapter: the model \"" + request.model() + "\" already names the adapter; send adapter only with"
                            + " model \"" + ServedModel.BASE_ID + "\"");
        }
    }

    private static ApiException notFound(String model, ServedModel served) {
        return new ApiException(
                        404,
                        ErrorCodes.MODEL_NOT_FOUND,
                        "model \"" + (model.length() > 80 ? model.substring(0, 80) + "…" : model) + "\" does not"
                                + " exist: use \"" + ServedModel.BASE_ID + "\", \"" + EXPERT_PREFIX + "<family>\" or"
                                + " an adapter id of base model " + served.fingerprint() + " (GET /v1/models)")
                .about("model");
    }
}
