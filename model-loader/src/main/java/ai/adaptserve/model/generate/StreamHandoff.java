package ai.adaptserve.model.generate;

import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.function.Function;

/**
 * A per-request hand-off from the decoding thread to a client that reads at its own pace: the decoding thread only
 * enqueues (never blocks), and a virtual thread of the request's own writes each event to the client. Events must be
 * plain Java values (nothing that belongs to a step, no tensor, no array the decoder reuses): they are read on the
 * writer's thread after the step has moved on.
 *
 * <p>The queue is bounded: when the client falls {@code capacity} events behind, {@link #offerOrCancel} throws
 * {@link TokenListener.GenerationCancelled} naming the reason, which ends the request's rows and frees their slots as
 * a disconnect does. Thread-safe: any number of producers, one writer.
 *
 * @param <E> what is written to the client
 */
public final class StreamHandoff<E> implements AutoCloseable {

    /** Writes one event to the client, on the hand-off's own thread; may block as long as the client is slow. */
    @FunctionalInterface
    public interface Writer<E> {
        /** Returns false once the client is gone; later events are then dropped unwritten. */
        boolean write(E event);
    }

    private static final Object END = new Object();

    private final ArrayBlockingQueue<Object> queue;
    private final int capacity;
    private final Writer<E> writer;
    private final Thread thread;
    private volatile boolean gone;
    private volatile boolean overflowed;

    /**
     * @param name the writer thread's name
     * @param capacity events that may wait unwritten before the request is cancelled
     * @param writer writes one event to the client
     */
    public StreamHandoff(String name, int capacity, Writer<E> writer) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
        }
        this.capacity = capacity;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.writer = Objects.requireNonNull(writer, "writer");
        this.thread = Thread.ofVirtual().name(name).start(this::drain);
    }

    @SuppressWarnings("unchecked")
    private void drain() {
        try {
            while (true) {
                Object next = queue.take();
                if (next == END) {
                    return;
                }
                if (!gone) {
                    try {
                        if (!writer.write((E) next)) {
                            gone = true;
                        }
                    } catch (RuntimeException e) {
                        gone = true;
                    }
                }
            }
        } catch (InterruptedException e) {
            gone = true;
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the client is still there, as far as the writer knows. */
    public boolean open() {
        return !gone;
    }

    /** Whether an event found the queue full: the client read too slowly and the request was cancelled. */
    public boolean overflowed() {
        return overflowed;
    }

    /** Events that may wait unwritten. */
    public int capacity() {
        return capacity;
    }

    /**
     * Enqueues without blocking, for the decoding thread (or any thread that must not wait for the client).
     *
     * @return false when the client is gone or the queue is full (then {@link #overflowed()} is true)
     */
    public boolean offer(E event) {
        Objects.requireNonNull(event, "event");
        if (gone || overflowed) {
            return false;
        }
        if (!queue.offer(event)) {
            overflowed = true;
            return false;
        }
        return true;
    }

    /**
     * As {@link #offer}, for a token listener: a refused event cancels the generation, saying why.
     *
     * @throws TokenListener.GenerationCancelled when the client is gone or {@code capacity} events wait unread
     */
    public void offerOrCancel(E event) {
        if (!offer(event)) {
            throw cancellation();
        }
    }

    /** Why a refused {@link #offer} ends the generation. */
    public TokenListener.GenerationCancelled cancellation() {
        return overflowed
                ? new TokenListener.GenerationCancelled("the client reads too slowly: " + capacity
                        + " events were waiting unwritten, so its generation was cancelled")
                : new TokenListener.GenerationCancelled("the client closed the stream");
    }

    /**
     * Enqueues, waiting for room, for a thread that is the request's own (its start and end events, in order with
     * the tokens). Returns false when the client is gone.
     */
    public boolean put(E event) {
        Objects.requireNonNull(event, "event");
        if (gone) {
            return false;
        }
        try {
            queue.put(event);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return !gone;
    }

    /**
     * A token listener that turns each token into an event on the decoding thread ({@code digest} reads the token's
     * logits during the call only and returns plain values; null sends nothing) and hands it off.
     */
    public TokenListener listener(Function<TokenListener.Token, E> digest) {
        return t -> {
            E event = digest.apply(t);
            if (event != null) {
                offerOrCancel(event);
            } else if (gone) {
                throw cancellation();
            }
        };
    }

    /** Waits until every event enqueued so far is written (or the client is gone), then stops the writer. */
    @Override
    public void close() {
        try {
            queue.put(END);
            thread.join();
        } catch (InterruptedException e) {
            thread.interrupt();
            Thread.currentThread().interrupt();
        }
    }
}
