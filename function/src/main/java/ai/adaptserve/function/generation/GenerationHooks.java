package ai.adaptserve.function.generation;

import ai.adaptserve.model.engine.RowListener;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * What a caller of {@link GenerateService} can attach to a request: a way to see that its client has gone (its rows
 * then end at the next step and free their slots), and a listener told of every token (for streaming), on the
 * engine's thread.
 */
public record GenerationHooks(BooleanSupplier clientGone, RowListener listener) {

    /** A client that stays, no listener. */
    public static final GenerationHooks NONE = new GenerationHooks(() -> false, RowListener.NONE);

    public GenerationHooks {
        Objects.requireNonNull(clientGone, "clientGone");
        Objects.requireNonNull(listener, "listener");
    }
}
