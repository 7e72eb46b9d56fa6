package ai.adaptserve.model.engine;

import ai.adaptserve.model.generate.Generation;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** What {@link DecodeEngine#submit} did with a request. */
public sealed interface Submission {

    /**
     * Taken: running, or waiting for slots. The result completes with one generation per sample, or exceptionally
     * with {@link java.util.concurrent.CancellationException} (abandoned), {@link QueueTimeoutException} (waited too
     * long) or {@link EngineStoppedException}.
     */
    record Accepted(CompletableFuture<List<Generation>> result) implements Submission {}

    /**
     * The request can never run here: it needs more rows than the KV budget holds, or more positions than a slot.
     *
     * @param limit which limit
     * @param needed what the request needs of it
     * @param available what the engine has of it
     */
    record TooLarge(Limit limit, long needed, long available) implements Submission {}

    /** Every slot is taken and the waiting queue is full. */
    record QueueFull(int waiting) implements Submission {}

    /** The limits a request is checked against. */
    enum Limit {
        /** Rows (samples) at once: slots in the KV budget. */
        ROWS,
        /** Positions of one row, prompt plus at least one generated token. */
        SEQUENCE
    }
}
