package ai.adaptserve.model.train;

import ai.adaptserve.model.LibtorchOwned;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.adapter.AdapterBatch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An adapter under training, used as the {@link AdapterBatch} of a forward pass (one adapter for every row).
 *
 * <p>The parameter values live in this object's own manager (a sub-manager of the model's) and never require
 * gradients, so the optimizer updates them in place. Each step {@link #bind binds} them: a copy of every value is made
 * in the step's manager and marked as requiring a gradient, and the forward pass reads those copies. The gradients
 * then belong to the step and vanish with it; nothing accumulates between steps, and no tensor of the base model ever
 * requires a gradient or is written.
 */
abstract class TrainableBatch<A extends Adapter> implements AdapterBatch, AutoCloseable {

    /** One parameter tensor. */
    static final class Param {
        final String name;
        final NDArray value;
        final boolean decay;
        NDArray live;

        Param(String name, NDArray value, boolean decay) {
            this.name = name;
            this.value = value;
            this.decay = decay;
        }

        /** The step's copy; fails outside a bound step. */
        NDArray live() {
            if (live == null) {
                throw new IllegalStateException("parameter " + name + " used outside a bound step");
            }
            return live;
        }
    }

    final NDManager manager;
    private final List<Param> params = new ArrayList<>();

    TrainableBatch(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    Param param(String name, float[] init, Shape shape, boolean decay) {
        Param p = new Param(name, LibtorchOwned.copyOf(manager, init, shape), decay);
        params.add(p);
        return p;
    }

    List<Param> params() {
        return Collections.unmodifiableList(params);
    }

    /**
     * Makes the step's copies of the parameters, which the forward pass then uses.
     *
     * @param grad whether the copies require gradients (false for scoring)
     */
    void bind(NDManager step, boolean grad) {
        for (Param p : params) {
            NDArray copy = p.value.duplicate();
            copy.attach(step);
            if (grad) {
                copy.setRequiresGradient(true);
            }
            p.live = copy;
        }
    }

    /** Forgets the step's copies (they close with the step's manager). */
    void unbind() {
        for (Param p : params) {
            p.live = null;
        }
    }

    /** Number of trainable values. */
    long parameterCount() {
        long n = 0;
        for (Param p : params) {
            n += p.value.size();
        }
        return n;
    }

    /** The current values as an immutable adapter. */
    abstract A export();

    @Override
    public void close() {
        manager.close();
    }
}
