package ai.adaptserve.model.engine;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.adapter.AdapterBatch;
import ai.adaptserve.model.adapter.PreparedAdapters;
import ai.adaptserve.model.adapter.RowAdapterBatch;
import ai.adaptserve.model.llama.KvSlots;
import ai.djl.ndarray.NDManager;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Iteration-level scheduling for one loaded model: a single thread owns the running batch and loops over steps. A
 * request is admitted when slots for all its samples are free (else it waits in a bounded queue), its prompt is
 * prefilled once, in chunks between decode steps (whole prompts admitted together, padded to one length, in one
 * pass), into one slot and copied to its other samples' slots, and its rows
 * then join the running batch at the next step. Each row ends on its own (EOS, a stop string, {@code max_tokens}, a
 * full slot, its request abandoned) and frees its slot at once. Every tensor of a step lives in a manager closed with
 * the step; the keys and values live in preallocated {@link KvSlots}.
 */
public final class DecodeEngine implements AutoCloseable {
    private final LoadedModel model;
    private final EngineSettings settings;
    private final KvSlots slots;
    private final int slotLength;
    private final Set<Integer> eos;
    private final RunningBatch running;
    private final PreparedAdapters prepared;
    private final Thread thread;

    private final Object lock = new Object();
    private final ArrayDeque<RequestRun> waiting = new ArrayDeque<>();
    private final ArrayDeque<RequestRun> admitted = new ArrayDeque<>();
    private final TreeSet<Integer> freeSlots = new TreeSet<>();
    private boolean stopped;
    private RequestRun prefilling;
    private volatile int runningRows;

    private final AtomicLong steps = new AtomicLong();
    private final AtomicLong tokens = new AtomicLong();
    private final AtomicLong stepNanos = new AtomicLong();
    private final AtomicLong prefillNanos = new AtomicLong();
    private final AtomicLong prefillPasses = new AtomicLong();
    private final AtomicLong promptsPrefilled = new AtomicLong();
    private volatile long lastStepNanos;

    private DecodeEngine(LoadedModel model, EngineSettings settings) {
        this.model = model;
        this.settings = settings;
        this.slotLength = settings.slotLength(model.config());
        int n = settings.slots(model.config(), model.decoder().weights().dtype());
        if (n < 1) {
            throw new IllegalArgumentException("the KV budget of " + settings.kvBytes() + " bytes holds no row of "
                    + slotLength + " positions; one needs "
                    + KvSlots.bytesPerSlot(
                            model.config(), model.decoder().weights().dtype(), slotLength)
                    + " bytes");
        }
        this.slots = new KvSlots(model.decoder().weights(), n, slotLength);
        for (int i = 0; i < n; i++) {
            freeSlots.add(i);
        }
        this.eos = new HashSet<>(model.config().eosTokenIds());
        this.prepared = new PreparedAdapters(model.decoder().weights().manager(), settings.preparedAdapterBytes());
        this.running = new RunningBatch(model, slots, prepared);
        this.thread = new Thread(this::loop, "adaptserve-engine-" + model.name());
        thread.setDaemon(true);
    }

    /** Makes the engine's slots and starts its thread. */
    public static DecodeEngine start(LoadedModel model, EngineSettings settings) {
        DecodeEngine engine = new DecodeEngine(model, settings);
        engine.thread.start();
        return engine;
    }

    /** Positions per row (prompt plus completion). */
    public int slotLength() {
        return slotLength;
    }

    /** Rows that can run at once. */
    public int slots() {
        return slots.slots();
    }

    public long bytesPerSlot() {
        return slots.bytesPerSlot();
    }

    /**
     * Hands a request to the engine. It is refused at once if it can never fit or if it would wait behind a full
     * queue.
     *
     * @throws IllegalArgumentException if its adapter does not fit the model
     * @throws EngineStoppedException once the engine is closed
     */
    public Submission submit(EngineRequest request) {
        int rows = request.rows();
        if (rows > slots.slots()) {
            return new Submission.TooLarge(Submission.Limit.ROWS, rows, slots.slots());
        }
        if (request.prompt().length() + 1 > slotLength) {
            return new Submission.TooLarge(
                    Submission.Limit.SEQUENCE, request.prompt().length() + 1L, slotLength);
        }
        if (request.adapter().isPresent()) {
            // Refuses a z-vector on a matrix the model does not factor before the request takes a place.
            model.adapterBatch(List.of(request.adapter()), RowAdapterBatch.Execution.AUTO);
        }
        RequestRun run = new RequestRun(request, model.tokenizer(), eos, slotLength);
        synchronized (lock) {
            if (stopped) {
                throw new EngineStoppedException("the engine is stopped");
            }
            if (waiting.isEmpty() && freeSlots.size() >= rows) {
                run.assign(takeSlots(rows));
                admitted.add(run);
            } else if (waiting.size() >= settings.maxWaiting()) {
                return new Submission.QueueFull(waiting.size());
            } else {
                waiting.add(run);
            }
            lock.notifyAll();
        }
        return new Submission.Accepted(run.result);
    }

    public EngineStats stats() {
        int free;
        int queued;
        synchronized (lock) {
            free = freeSlots.size();
            queued = waiting.size();
        }
        long used = (long) (slots.slots() - free) * slots.bytesPerSlot();
        return new EngineStats(
                runningRows,
                queued,
                used,
                (long) slots.slots() * slots.bytesPerSlot(),
                slots.slots(),
                steps.get(),
                tokens.get(),
                stepNanos.get(),
                prefillNanos.get(),
                prefillPasses.get(),
                promptsPrefilled.get(),
                lastStepNanos,
                prepared.stats());
    }

    private int[] takeSlots(int rows) {
        int[] out = new int[rows];
        for (int i = 0; i < rows; i++) {
            out[i] = freeSlots.pollFirst();
        }
        return out;
    }

    private void release(int slot) {
        synchronized (lock) {
            freeSlots.add(slot);
            lock.notifyAll();
        }
    }

    private void loop() {
        List<RequestRun> together = List.of();
        try {
            while (true) {
                synchronized (lock) {
                    dropGivenUp();
                    promote();
                    while (!stopped && admitted.isEmpty() && prefilling == null && running.isEmpty()) {
                        lock.wait();
                        dropGivenUp();
                        promote();
                    }
                    if (stopped) {
                        break;
                    }
                    if (prefilling == null) {
                        prefilling = admitted.poll();
                        together = prefilling != null ? together(prefilling) : List.of();
                    }
                }
                dropAbandoned();
                if (!together.isEmpty()) {
                    prefillTogether(together);
                    together = List.of();
                } else if (prefilling != null) {
                    prefillChunk(prefilling);
                }
                if (!running.isEmpty()) {
                    decodeStep();
                }
                runningRows = running.size() + (prefilling == null ? 0 : prefilling.rows.length);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            failEverything();
        }
    }

    /** Under the lock: moves waiting requests whose slots are free now to the admitted queue, first come first. */
    private void promote() {
        while (!waiting.isEmpty() && freeSlots.size() >= waiting.peek().rows.length) {
            RequestRun run = waiting.poll();
            run.assign(takeSlots(run.rows.length));
            admitted.add(run);
        }
    }

    /** Under the lock: ends waiting and admitted requests whose callers gave up. */
    private void dropGivenUp() {
        for (Iterator<RequestRun> it = waiting.iterator(); it.hasNext(); ) {
            RequestRun run = it.next();
            if (run.abandoned()) {
                it.remove();
                run.fail(new CancellationException("the request was abandoned while waiting"));
            } else if (expired(run)) {
                it.remove();
                run.fail(new QueueTimeoutException("no slots became free in time"));
            }
        }
        for (Iterator<RequestRun> it = admitted.iterator(); it.hasNext(); ) {
            RequestRun run = it.next();
            if (run.abandoned()) {
                it.remove();
                freeSlots.addAll(run.fail(run.abandonment()));
            }
        }
    }

    private static boolean expired(RequestRun run) {
        try {
            return run.request.waitExpired().getAsBoolean();
        } catch (RuntimeException e) {
            return true;
        }
    }

    /** Ends the running and prefilling requests whose callers gave up; their slots are free at once. */
    private void dropAbandoned() {
        for (RequestRun run : running.runs()) {
            if (run.abandoned()) {
                running.removeAll(run);
                run.fail(run.abandonment()).forEach(this::release);
            }
        }
        if (prefilling != null && prefilling.abandoned()) {
            prefilling.fail(prefilling.abandonment()).forEach(this::release);
            prefilling = null;
        }
    }

    /**
     * Under the lock: {@code first} and the admitted requests that can be prefilled in one pass with it (whole
     * prompts, padded to the longest of them, all within one chunk of tokens), taken off the admitted queue; empty
     * when {@code first} goes alone. Concurrent clients' requests then cost one prefill pass instead of one each,
     * which on a model whose pass is dominated by per-operation overhead costs about what one does.
     */
    private List<RequestRun> together(RequestRun first) {
        if (!prefillsWhole(first)) {
            return List.of();
        }
        List<RequestRun> group = new ArrayList<>();
        group.add(first);
        int longest = first.ids.length;
        for (Iterator<RequestRun> it = admitted.iterator(); it.hasNext(); ) {
            RequestRun r = it.next();
            int padded = Math.max(longest, r.ids.length);
            if (prefillsWhole(r) && (long) (group.size() + 1) * padded <= settings.prefillChunk()) {
                it.remove();
                group.add(r);
                longest = padded;
            }
        }
        return group.size() > 1 ? group : List.of();
    }

    private boolean prefillsWhole(RequestRun run) {
        return run.request.prefill().isEmpty() && run.prefilled == 0 && run.ids.length <= settings.prefillChunk();
    }

    /** Prefills the whole prompts of {@code group} in one pass, each row with its own adapter; then they join. */
    private void prefillTogether(List<RequestRun> group) {
        long t0 = System.nanoTime();
        List<RequestRun> live = new ArrayList<>(group.size());
        for (RequestRun run : group) {
            if (run.abandoned()) {
                run.fail(run.abandonment()).forEach(this::release);
            } else {
                live.add(run);
            }
        }
        prefilling = null;
        try {
            if (live.isEmpty()) {
                return;
            }
            int n = live.size();
            int longest = live.stream().mapToInt(r -> r.ids.length).max().orElseThrow();
            int[][] tokens = new int[n][];
            int[] lengths = new int[n];
            int[] rowSlots = new int[n];
            List<Optional<Adapter>> adapters = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                RequestRun run = live.get(i);
                // Padded at the end with the prompt's own last token: any id would do, it is never attended to.
                tokens[i] = Arrays.copyOf(run.ids, longest);
                Arrays.fill(tokens[i], run.ids.length, longest, run.ids[run.ids.length - 1]);
                lengths[i] = run.ids.length;
                rowSlots[i] = run.slot(0);
                adapters.add(run.request.adapter());
            }
            float[] all;
            prefillPasses.incrementAndGet();
            try (NDManager step = model.decoder().weights().manager().newSubManager()) {
                AdapterBatch rows = RunningBatch.adapterBatch(model, adapters, prepared, () -> step);
                all = model.decoder()
                        .forwardSlotsPadded(step, tokens, lengths, slots, rowSlots, rows)
                        .toFloatArray();
            } catch (RuntimeException e) {
                for (RequestRun run : live) {
                    run.fail(e).forEach(this::release);
                }
                return;
            }
            int vocab = all.length / n;
            for (int i = 0; i < n; i++) {
                RequestRun run = live.get(i);
                // Each on its own, as prefillChunk does: one that fails to join leaves those that joined running.
                try {
                    run.prefilled = run.ids.length;
                    prefilled(run, Arrays.copyOfRange(all, i * vocab, (i + 1) * vocab));
                } catch (RuntimeException e) {
                    run.fail(e).forEach(this::release);
                }
            }
        } finally {
            prefillNanos.addAndGet(System.nanoTime() - t0);
        }
    }

    /** Runs one chunk of the prefilling request's prompt; once the prompt is in, its rows join the batch. */
    private void prefillChunk(RequestRun run) {
        long t0 = System.nanoTime();
        try {
            float[] logits = null;
            int length = run.ids.length;
            if (run.request.prefill().isPresent()) {
                logits = run.request.prefill().get().copyInto(slots, run.slot(0));
                run.prefilled = length;
            } else {
                int from = run.prefilled;
                int to = Math.min(length, from + settings.prefillChunk());
                int[][] chunk = {Arrays.copyOfRange(run.ids, from, to)};
                prefillPasses.incrementAndGet();
                try (NDManager step = model.decoder().weights().manager().newSubManager()) {
                    float[] out = model.decoder()
                            .forwardSlots(
                                    step, chunk, slots, new int[] {run.slot(0)}, new int[] {from}, prefillAdapters(run))
                            .toFloatArray();
                    if (to == length) {
                        logits = out;
                    }
                }
                run.prefilled = to;
            }
            if (logits != null) {
                prefilling = null;
                prefilled(run, logits);
            }
        } catch (RuntimeException e) {
            run.fail(e).forEach(this::release);
            prefilling = null;
        } finally {
            prefillNanos.addAndGet(System.nanoTime() - t0);
        }
    }

    /** The request's adapter for its one-row prefill, prepared on its first chunk and kept until its last. */
    private AdapterBatch prefillAdapters(RequestRun run) {
        if (run.prefillAdapters == null) {
            run.prefillAdapters = RunningBatch.adapterBatch(
                    model,
                    List.of(run.request.adapter()),
                    prepared,
                    () -> run.prefillOwner = model.decoder().weights().manager().newSubManager());
        }
        return run.prefillAdapters;
    }

    /** The prompt is in the request's first slot: copies it to its other samples' slots, and its rows join. */
    private void prefilled(RequestRun run, float[] logits) {
        promptsPrefilled.incrementAndGet();
        for (int s = 1; s < run.rows.length; s++) {
            slots.copyPrefix(run.slot(0), run.slot(s), run.ids.length);
        }
        run.closePrefill();
        join(run, logits);
    }

    /** Samples every row's first token from the prompt's logits; rows that go on join the running batch. */
    private void join(RequestRun run, float[] logits) {
        for (int s = 0; s < run.rows.length; s++) {
            RowDecoding row = run.rows[s];
            row.accept(logits);
            tokens.incrementAndGet();
            run.tell(s);
            if (row.finished()) {
                release(run.slot(s));
                run.finishRow(s);
            } else {
                running.add(run, s);
            }
        }
    }

    private void decodeStep() {
        long t0 = System.nanoTime();
        try {
            int rows = running.step(model.decoder().weights().manager(), this::release);
            tokens.addAndGet(rows);
            steps.incrementAndGet();
        } catch (RuntimeException e) {
            // A failed step leaves no row's state trustworthy: end them all, keep serving new requests.
            for (RequestRun run : running.runs()) {
                running.removeAll(run);
                run.fail(e).forEach(this::release);
            }
        } finally {
            long took = System.nanoTime() - t0;
            lastStepNanos = took;
            stepNanos.addAndGet(took);
        }
    }

    private void failEverything() {
        EngineStoppedException stop = new EngineStoppedException("the engine stopped");
        synchronized (lock) {
            stopped = true;
            waiting.forEach(r -> r.fail(stop));
            waiting.clear();
            admitted.forEach(r -> r.fail(stop));
            admitted.clear();
        }
        if (prefilling != null) {
            prefilling.fail(stop);
            prefilling = null;
        }
        running.runs().forEach(r -> r.fail(stop));
        running.close();
        runningRows = 0;
    }

    /** Stops the thread (running requests end with {@link EngineStoppedException}) and frees the slots. */
    @Override
    public void close() {
        synchronized (lock) {
            stopped = true;
            lock.notifyAll();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        slots.close();
        prepared.close();
    }
}
