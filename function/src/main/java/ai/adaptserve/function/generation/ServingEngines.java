package ai.adaptserve.function.generation;

import ai.adaptserve.function.settings.AdaptServeConfig;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.engine.DecodeEngine;
import ai.adaptserve.model.engine.EngineSettings;
import ai.adaptserve.model.engine.EngineStats;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The decode engine of the served checkpoint: made on first use, one per loaded model, stopped before the model is
 * closed at shutdown (after the requests it runs have had their grace). Thread-safe.
 */
@ApplicationScoped
public class ServingEngines {
    private static final Logger LOG = Logger.getLogger(ServingEngines.class);
    /** How long shutdown waits for running rows to finish before stopping the engine. */
    private static final long DRAIN_MILLIS = 30_000;

    private final EngineSettings settings;
    private LoadedModel model;
    private DecodeEngine engine;
    private boolean stopped;

    ServingEngines(AdaptServeConfig config) {
        AdaptServeConfig.Engine e = config.engine();
        this.settings = new EngineSettings(
                e.kvBytes().asLongValue(),
                e.maxRows(),
                e.maxSequenceTokens(),
                config.batch().maxQueued(),
                e.prefillChunk(),
                e.preparedAdapterBytes().asLongValue());
    }

    /** The engine of {@code loaded}, started on first use. */
    public synchronized DecodeEngine engineFor(LoadedModel loaded) {
        if (stopped) {
            throw new ai.adaptserve.model.engine.EngineStoppedException("the instance is shutting down");
        }
        if (engine == null || model != loaded) {
            if (engine != null) {
                engine.close();
            }
            engine = DecodeEngine.start(loaded, settings);
            model = loaded;
            LOG.infof(
                    "Decode engine: %d rows of %d positions (%d bytes of keys and values each)",
                    engine.slots(), engine.slotLength(), engine.bytesPerSlot());
        }
        return engine;
    }

    /** The engine's current figures, if it has started. */
    public synchronized Optional<EngineStats> stats() {
        return engine == null ? Optional.empty() : Optional.of(engine.stats());
    }

    /** Before the model is closed (ModelLifecycle observes at the default priority, later). */
    void onStop(@Observes @Priority(100) ShutdownEvent event) {
        DecodeEngine toStop;
        synchronized (this) {
            stopped = true;
            toStop = engine;
            engine = null;
        }
        if (toStop == null) {
            return;
        }
        long waitUntil = System.nanoTime() + DRAIN_MILLIS * 1_000_000;
        try {
            while (System.nanoTime() < waitUntil) {
                EngineStats s = toStop.stats();
                if (s.runningRows() == 0 && s.waitingRequests() == 0) {
                    break;
                }
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        toStop.close();
    }
}
