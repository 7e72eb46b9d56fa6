package ai.adaptserve.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * AdamW (Loshchilov and Hutter) in NDArray ops: Adam with bias correction and decoupled weight decay, {@code p ← p −
 * lr·(m̂ / (√v̂ + ε) + wd·p)}, on the parameters marked for decay. The moments live in the trainable adapter's
 * manager; the step's temporaries in the step's manager.
 *
 * <p>The learning rate follows a cosine from {@code lr} at the first step down to {@code lr · FLOOR} at the last planned
 * step (and stays there), which keeps short test-time runs from ending on a large, noisy step.
 */
final class AdamW {
    static final float BETA1 = 0.9f;
    static final float BETA2 = 0.999f;
    static final float EPS = 1e-8f;
    /** The last planned step's learning rate, as a share of the first's. */
    static final double FLOOR = 0.1;

    private final List<TrainableBatch.Param> params;
    private final List<NDArray> m = new ArrayList<>();
    private final List<NDArray> v = new ArrayList<>();
    private final float lr;
    private final float weightDecay;
    private final int plannedSteps;
    private int t;

    /**
     * @param plannedSteps the number of steps the caller means to take (the cosine's length); 1 or less keeps
     *     {@code lr} constant
     */
    AdamW(TrainableBatch<?> adapter, float lr, float weightDecay, int plannedSteps) {
        if (!(lr > 0) || Float.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be a positive number, was " + lr);
        }
        if (!(weightDecay >= 0) || Float.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be a number >= 0, was " + weightDecay);
        }
        this.params = adapter.params();
        this.lr = lr;
        this.weightDecay = weightDecay;
        this.plannedSteps = plannedSteps;
        for (TrainableBatch.Param p : params) {
            m.add(p.value.zerosLike());
            v.add(p.value.zerosLike());
        }
    }

    /** Applies one update from the gradients of the bound copies; call after backward, before the step closes. */
    void step(NDManager step) {
        t++;
        double bc1 = 1 - Math.pow(BETA1, t);
        double bc2 = 1 - Math.pow(BETA2, t);
        double lr = learningRate(t);
        for (int i = 0; i < params.size(); i++) {
            TrainableBatch.Param p = params.get(i);
            NDArray g = p.live().getGradient();
            g.attach(step);
            NDArray mi = m.get(i);
            NDArray vi = v.get(i);
            mi.muli(BETA1).addi(g.mul(1 - BETA1));
            vi.muli(BETA2).addi(g.square().mul(1 - BETA2));
            NDArray denom = inStep(step, vi.sqrt()).divi((float) Math.sqrt(bc2)).addi(EPS);
            NDArray update = inStep(step, mi.div(denom)).muli((float) (lr / bc1));
            if (p.decay && weightDecay > 0) {
                p.value.muli((float) (1 - lr * weightDecay));
            }
            p.value.subi(update);
        }
    }

    int steps() {
        return t;
    }

    /** The learning rate of 1-based step {@code step}. */
    double learningRate(int step) {
        if (plannedSteps <= 1) {
            return lr;
        }
        double progress = Math.min(1.0, (step - 1) / (double) (plannedSteps - 1));
        return lr * (FLOOR + (1 - FLOOR) * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }

    private static NDArray inStep(NDManager step, NDArray a) {
        a.attach(step);
        return a;
    }
}
