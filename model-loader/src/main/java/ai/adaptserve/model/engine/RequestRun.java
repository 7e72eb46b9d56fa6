package ai.adaptserve.model.engine;

import ai.adaptserve.model.adapter.AdapterBatch;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.tokenizer.TextTokenizer;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One request inside the engine: its slots (one per sample, reserved when it is admitted), how far its prompt is
 * prefilled, each row's decoding, and the result its caller waits for. Used by the engine thread; the slots are
 * assigned under the engine's lock.
 */
final class RequestRun {
    final EngineRequest request;
    final int[] ids;
    final RowDecoding[] rows;
    final CompletableFuture<List<Generation>> result = new CompletableFuture<>();
    private final boolean[] rowDone;
    private int[] slots;
    private int rowsLeft;
    private boolean ended;
    private boolean listenerFailed;
    private RuntimeException tokenListenerFailure;
    int prefilled;
    NDManager prefillOwner;
    AdapterBatch prefillAdapters;

    RequestRun(EngineRequest request, TextTokenizer tokenizer, Set<Integer> eos, int slotLength) {
        this.request = request;
        this.ids = request.prompt().ids();
        this.rows = new RowDecoding[request.rows()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = new RowDecoding(request.samples().get(i), tokenizer, eos, ids.length, slotLength);
        }
        this.rowDone = new boolean[rows.length];
        this.rowsLeft = rows.length;
    }

    void assign(int[] slots) {
        this.slots = slots;
    }

    boolean assigned() {
        return slots != null;
    }

    int slot(int sample) {
        return slots[sample];
    }

    int[] slots() {
        return slots.clone();
    }

    boolean ended() {
        return ended;
    }

    /** Whether the caller has given up on it (client gone, deadline, or its listener failed). */
    boolean abandoned() {
        if (listenerFailed) {
            return true;
        }
        try {
            return request.abandoned().getAsBoolean();
        } catch (RuntimeException e) {
            return true;
        }
    }

    /**
     * Why an abandoned request ends: what a row's token listener threw (so its caller sees its own exception, e.g. a
     * cancelled stream), else a {@link java.util.concurrent.CancellationException}.
     */
    RuntimeException abandonment() {
        return tokenListenerFailure != null
                ? tokenListenerFailure
                : new java.util.concurrent.CancellationException("the request was abandoned");
    }

    /** Tells the listener of a row's new token; a listener that throws abandons the request. */
    void tell(int sample) {
        if (rows[sample].cancellation() != null) {
            listenerFailed = true;
            tokenListenerFailure = rows[sample].cancellation();
        }
        try {
            request.listener().onToken(sample, rows[sample].text(), rows[sample].finished());
        } catch (RuntimeException e) {
            listenerFailed = true;
        }
    }

    /** Marks a row finished; completes the result once every row is. Returns whether the row was still going. */
    boolean finishRow(int sample) {
        if (rowDone[sample]) {
            return false;
        }
        rowDone[sample] = true;
        if (--rowsLeft == 0 && !ended) {
            ended = true;
            closePrefill();
            List<Generation> out = new ArrayList<>(rows.length);
            for (RowDecoding r : rows) {
                out.add(r.result());
            }
            result.complete(out);
        }
        return true;
    }

    boolean rowDone(int sample) {
        return rowDone[sample];
    }

    /** Ends the request without a result; returns the slots of rows that were still going. */
    List<Integer> fail(Throwable why) {
        List<Integer> freed = new ArrayList<>();
        if (slots != null) {
            for (int i = 0; i < rows.length; i++) {
                if (!rowDone[i]) {
                    freed.add(slots[i]);
                }
            }
        }
        java.util.Arrays.fill(rowDone, true);
        rowsLeft = 0;
        if (!ended) {
            ended = true;
            closePrefill();
            result.completeExceptionally(why);
        }
        return freed;
    }

    void closePrefill() {
        if (prefillOwner != null) {
            prefillOwner.close();
            prefillOwner = null;
            prefillAdapters = null;
        }
    }
}
