package ai.adaptserve.function.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.function.api.ApiException;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.generate.GenerationParams;
import ai.adaptserve.model.generate.PromptTokens;
import ai.adaptserve.model.generate.TextGenerator;
import java.time.Duration;
import java.util.List;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

/** Readiness follows the model: DOWN with a reason until it is loaded, UP after. */
class ModelReadinessCheckTest {

    static ServedModel fakeModel() {
        TextGenerator generator = new TextGenerator() {
            @Override
            public PromptTokens tokenize(String text) {
                return new PromptTokens(text, text.chars().toArray());
            }

            @Override
            public List<Generation> generateFromTokens(List<PromptTokens> prompts, List<GenerationParams> params) {
                return prompts.stream()
                        .map(p -> new Generation("x", List.of(1), List.of(-0.5f), 1, Generation.FinishReason.LENGTH))
                        .toList();
            }

            @Override
            public int contextLength() {
                return 128;
            }
        };
        return new ServedModel("base", "fake", "sha256:fake", 128, generator, () -> {});
    }

    @Test
    void call_notYetLoaded_downWithReason() {
        ModelHolder holder = new ModelHolder();
        holder.loading("/models/x");

        HealthCheckResponse response = new ModelReadinessCheck(holder).call();

        assertEquals(HealthCheckResponse.Status.DOWN, response.getStatus());
        String reason = (String) response.getData().orElseThrow().get("reason");
        assertTrue(reason.contains("loading /models/x"), reason);
    }

    @Test
    void call_loaded_up() {
        ModelHolder holder = new ModelHolder();
        holder.loaded(fakeModel(), Duration.ofMillis(5));

        HealthCheckResponse response = new ModelReadinessCheck(holder).call();

        assertEquals(HealthCheckResponse.Status.UP, response.getStatus());
        assertEquals("sha256:fake", response.getData().orElseThrow().get("fingerprint"));
    }

    @Test
    void call_failed_downWithReason() {
        ModelHolder holder = new ModelHolder();
        holder.failed("/models/x", "IOException: truncated safetensors");

        HealthCheckResponse response = new ModelReadinessCheck(holder).call();

        assertEquals(HealthCheckResponse.Status.DOWN, response.getStatus());
        String reason = (String) response.getData().orElseThrow().get("reason");
        assertTrue(reason.contains("truncated safetensors"), reason);
    }

    @Test
    void leaseOrThrow_notYetLoaded_503ModelLoading() {
        ModelHolder holder = new ModelHolder();

        ApiException e = assertThrows(ApiException.class, holder::leaseOrThrow);

        assertEquals(503, e.status());
        assertEquals("model_loading", e.code());
    }

    @Test
    void shutdown_waitsForLeases_thenRefuses() throws InterruptedException {
        ModelHolder holder = new ModelHolder();
        holder.loaded(fakeModel(), Duration.ZERO);
        ModelHolder.Lease lease = holder.leaseOrThrow();
        Thread releaser = new Thread(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            lease.close();
        });
        releaser.start();

        assertTrue(holder.shutdown(Duration.ofSeconds(10)).isPresent());

        assertEquals(0, holder.leases());
        assertEquals(
                "model_unavailable",
                assertThrows(ApiException.class, holder::leaseOrThrow).code());
        releaser.join();
    }
}
