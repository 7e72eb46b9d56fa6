package ai.adaptserve.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

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
        int t = longest + s;
        NDArray key = step.arange(0, t).reshape(1, 1, t);
        NDArray query =
                step.create(starts).reshape(b, 1, 1).add(step.arange(0, s).reshape(1, s, 1));
        return PassKeys.additive(key.lte(query), blocked, b, s, t);
    }

    @Override
    public NDList extend(NDManager step, int layer, NDArray k, NDArray v) {
        int s = (int) k.getShape().get(2);
        if (longest + s > slots.slotLength()) {
            throw new IllegalStateException("a row would pass its slot's " + slots.slotLength() + " positions");
        }
        NDArray allK = slots.keys(layer);
        NDArray allV = slots.values(layer);
        for (int i = 0; i < rowSlots.length; i++) {
            NDIndex at = new NDIndex("{}, :, {}:{}, :", rowSlots[i], starts[i], starts[i] + s);
            allK.set(at, k.get(i));
            allV.set(at, v.get(i));
        }
        int t = longest + s;
        if (contiguous) {
            // Neighbouring slots are read as a view: no copy.
            NDIndex rows = new NDIndex("{}:{}, :, :{}, :", rowSlots[0], rowSlots[0] + rowSlots.length, t);
            return new NDList(allK.get(step, rows), allV.get(step, rows));
        }
        NDArray which = step.create(rowSlots);
        NDIndex keysUpTo = new NDIndex(":, :, :{}, :", t);
        return new NDList(
                allK.get(step, new NDIndex("{}", which)).get(keysUpTo),
                allV.get(step, new NDIndex("{}", which)).get(keysUpTo));
    }
}
