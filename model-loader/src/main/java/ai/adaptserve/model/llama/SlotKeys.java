package ai.adaptserve.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * One pass over rows held in {@link KvSlots}: row {@code i} lives in slot {@code rowSlots[i]} and has
 * {@code starts[i]} positions cached; its new positions are written in place after them. A query at position
 * {@code p} sees its row's keys {@code 0..p}; keys past a row's end (up to the longest row) are blocked, so rows of
 * different lengths share a pass without padding.
 */
final class SlotKeys implements PassKeys {
    private final KvSlots slots;
    private final int[] rowSlots;
    private final int[] starts;
    private final int longest;
    private final boolean contiguous;
    /** Built on the first layer's write and read, kept for the pass's other layers. */
    private NDIndex writeAt;

    private NDIndex readAt;

    SlotKeys(KvSlots slots, int[] rowSlots, int[] starts) {
        this.slots = slots;
        this.rowSlots = rowSlots.clone();
        this.starts = starts.clone();
        int max = 0;
        boolean run = true;
        for (int i = 0; i < starts.length; i++) {
            max = Math.max(max, starts[i]);
            run &= rowSlots[i] == rowSlots[0] + i;
        }
        this.longest = max;
        this.contiguous = run;
    }

    @Override
    public int keyLength(int s) {
        return longest + s;
    }

    @Override
    public NDArray mask(NDManager step, int s, float blocked) {
        int b = starts.length;
        if (s == 1 && Arrays.stream(starts).allMatch(start -> start == longest)) {
            return null; // each row's one query sees all of its keys, and every row has exactly T of them
        }
        int t = longest + s;
        NDArray key = step.arange(0, t).reshape(1, 1, t);
        NDArray query =
                step.create(starts).reshape(b, 1, 1).add(step.arange(0, s).reshape(1, s, 1));
        return PassKeys.additive(key.lte(query), blocked, b, s, t);
    }

    @Override
    public NDList extend(NDManager step, int layer, NDArray k, NDArray v) {
        int s = (int) k.getShape().get(1);
        if (longest + s > slots.slotLength()) {
            throw new IllegalStateException("a row would pass its slot's " + slots.slotLength() + " positions");
        }
        if (writeAt == null) {
            writeAt = writeIndex(step, s);
        }
        // One scattered write per tensor for every row of the pass: keys[rowSlots[i], :, starts[i] + j, :] = k[i, j].
        NDArray allK = slots.keys(layer);
        NDArray allV = slots.values(layer);
        allK.set(writeAt, k);
        allV.set(writeAt, v);
        int t = longest + s;
        if (contiguous) {
            // Neighbouring slots are read as a view: no copy.
            NDIndex rows = new NDIndex("{}:{}, :, :{}, :", rowSlots[0], rowSlots[0] + rowSlots.length, t);
            return new NDList(allK.get(step, rows), allV.get(step, rows));
        }
        if (readAt == null) {
            readAt = new NDIndex("{}", step.create(rowSlots));
        }
        NDIndex keysUpTo = new NDIndex(":, :, :{}, :", t);
        return new NDList(
                allK.get(step, readAt).get(keysUpTo), allV.get(step, readAt).get(keysUpTo));
    }

    /**
     * {@code [rowSlots[i]] × [starts[i] + j]} as two broadcast index arrays ({@code [B, 1]} and {@code [B, S]}) around
     * the heads axis: indexing a slot tensor with it selects {@code [B, S, kvHeads, headDim]}, the layout the
     * projections make. Built once per pass; every layer writes through it.
     */
    private NDIndex writeIndex(NDManager step, int s) {
        int b = rowSlots.length;
        long[] rows = Arrays.stream(rowSlots).asLongStream().toArray();
        long[] positions = Arrays.stream(positions(starts, s)).asLongStream().toArray();
        return new NDIndex("{}, :, {}", step.create(rows, new Shape(b, 1)), step.create(positions, new Shape(b, s)));
    }

    /** The positions of {@code s} new tokens per row after {@code starts[i]} cached ones, row after row. */
    static int[] positions(int[] starts, int s) {
        int[] positions = new int[starts.length * s];
        for (int i = 0; i < starts.length; i++) {
            for (int j = 0; j < s; j++) {
                positions[i * s + j] = starts[i] + j;
            }
        }
        return positions;
    }
}
