package ai.adaptserve.model.engine;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.adapter.AdapterBatch;
import ai.adaptserve.model.adapter.PreparedAdapters;
import ai.adaptserve.model.adapter.RowAdapterBatch;
import ai.adaptserve.model.llama.KvSlots;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * The rows being decoded, in slot order (so that neighbouring slots are read as one view), each with its own adapter.
 * One step feeds every row its last token and samples its next; a row that ends leaves at once. The rows' adapters
 * are prepared once per composition of the batch and kept until a row joins or leaves; each adapter's own tensors come
 * from the engine's {@link PreparedAdapters}, pinned while the composition uses them. Used by the engine thread
 * only.
 */
final class RunningBatch implements AutoCloseable {
    private record Entry(RequestRun run, int sample) {
        int slot() {
            return run.slot(sample);
        }
    }

    private final LoadedModel model;
    private final KvSlots slots;
    private final PreparedAdapters prepared;
    private final List<Entry> entries = new ArrayList<>();
    private NDManager adapterOwner;
    private AdapterBatch adapters;

    RunningBatch(LoadedModel model, KvSlots slots, PreparedAdapters prepared) {
        this.model = model;
        this.slots = slots;
        this.prepared = prepared;
    }

    int size() {
        return entries.size();
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    void add(RequestRun run, int sample) {
        entries.add(new Entry(run, sample));
        entries.sort(Comparator.comparingInt(Entry::slot));
        recompose();
    }

    /** Removes every row of {@code run}. */
    void removeAll(RequestRun run) {
        if (entries.removeIf(e -> e.run() == run)) {
            recompose();
        }
    }

    /** The distinct requests with a row here. */
    List<RequestRun> runs() {
        return entries.stream().map(Entry::run).distinct().toList();
    }

    /**
     * One decode step of every row; rows that end are removed and their slots given to {@code freed}.
     *
     * @return rows stepped (tokens produced)
     */
    int step(NDManager parent, IntConsumer freed) {
        int b = entries.size();
        int[][] tokens = new int[b][1];
        int[] rowSlots = new int[b];
        int[] starts = new int[b];
        for (int i = 0; i < b; i++) {
            Entry e = entries.get(i);
            RowDecoding row = e.run().rows[e.sample()];
            tokens[i][0] = row.lastToken();
            rowSlots[i] = e.slot();
            starts[i] = row.cachedPositions();
        }
        float[] flat;
        try (NDManager step = parent.newSubManager()) {
            flat = model.decoder()
                    .forwardSlots(step, tokens, slots, rowSlots, starts, adapters())
                    .toFloatArray();
        }
        int vocab = flat.length / b;
        List<Entry> ended = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            Entry e = entries.get(i);
            RowDecoding row = e.run().rows[e.sample()];
            row.accept(Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab));
            e.run().tell(e.sample());
            if (row.finished()) {
                ended.add(e);
            }
        }
        if (!ended.isEmpty()) {
            entries.removeAll(ended);
            // Freed before the callers hear of the end, so a finished request leaves nothing of its own behind.
            recompose();
        }
        for (Entry e : ended) {
            freed.accept(e.slot());
            e.run().finishRow(e.sample());
        }
        return b;
    }

    private AdapterBatch adapters() {
        if (adapters == null) {
            List<Optional<Adapter>> rows =
                    entries.stream().map(e -> e.run().request.adapter()).toList();
            adapters = adapterBatch(
                    model, rows, prepared, () -> adapterOwner = slotsManager().newSubManager());
        }
        return adapters;
    }

    /**
     * The base model when no row has an adapter; else the rows' adapters, each one's tensors from {@code prepared},
     * composed under the manager {@code owner} gives (asked for only then).
     */
    static AdapterBatch adapterBatch(
            LoadedModel model, List<Optional<Adapter>> rows, PreparedAdapters prepared, Supplier<NDManager> owner) {
        if (rows.stream().allMatch(Optional::isEmpty)) {
            return AdapterBatch.NONE;
        }
        return model.adapterBatch(rows, RowAdapterBatch.Execution.AUTO, prepared)
                .apply(owner.get());
    }

    private NDManager slotsManager() {
        return model.decoder().weights().manager();
    }

    /** The rows changed: the prepared per-row adapters no longer line up with them. */
    private void recompose() {
        if (adapterOwner != null) {
            adapterOwner.close();
            adapterOwner = null;
        }
        adapters = null;
    }

    @Override
    public void close() {
        recompose();
        entries.clear();
    }
}
