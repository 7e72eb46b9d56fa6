package ai.adaptserve.function.lifecycle;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the base model is loaded; until then DOWN, with the reason. */
@Readiness
@ApplicationScoped
public class ModelReadinessCheck implements HealthCheck {

    static final String NAME = "model";

    private final ModelHolder holder;

    public ModelReadinessCheck(ModelHolder holder) {
        this.holder = holder;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named(NAME);
        return switch (holder.state()) {
            case ModelState.Loading l ->
                response.down()
                        .withData("reason", "loading " + l.source())
                        .withData("since", l.since().toString())
                        .build();
            case ModelState.Failed f ->
                response.down()
                        .withData("reason", "failed to load " + f.source() + ": " + f.reason())
                        .build();
            case ModelState.Ready r ->
                response.up()
                        .withData("id", r.model().id())
                        .withData("fingerprint", String.valueOf(r.model().fingerprint()))
                        .withData("load_ms", r.loadTime().toMillis())
                        .build();
        };
    }
}
