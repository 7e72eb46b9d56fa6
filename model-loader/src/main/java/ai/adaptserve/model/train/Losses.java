package ai.adaptserve.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Losses in NDArray ops that PyTorch differentiates (log-softmax, gather, masked sums).
 *
 * <p>On the gradient path, never pass a Java number to {@code mul}, {@code div} or {@code pow}: DJL wraps it in a scalar
 * tensor over Java memory and closes that right after the op, while autograd may keep it for the backward pass, which
 * then reads freed memory (intermittent garbage gradients). Use {@link #scalar}, which the step's manager keeps alive.
 */
final class Losses {
    private Losses() {}

    /** An F32 scalar owned by the step, alive until the step closes. */
    static NDArray scalar(NDManager step, float value) {
        return step.create(value);
    }

    /** {@code log p(target)} at every position: logits {@code [B, L, V]}, targets {@code [B, L]} → {@code [B, L]}. */
    static NDArray tokenLogProbs(NDArray logits, NDArray targets) {
        return logits.logSoftmax(-1).gather(targets.expandDims(-1), -1).squeeze(-1);
    }

    /** Mean negative log-likelihood over the masked targets: a scalar. */
    static NDArray meanNll(NDManager step, NDArray logits, Sequences s) {
        NDArray lp = tokenLogProbs(logits, s.targets(step));
        return lp.mul(s.mask(step)).sum().neg().div(scalar(step, s.lossTokens()));
    }

    /** Sum of the masked targets' log-probabilities per row: {@code [B]}. */
    static NDArray rowLogProbs(NDManager step, NDArray logits, Sequences s) {
        NDArray lp = tokenLogProbs(logits, s.targets(step));
        return lp.mul(s.mask(step)).sum(new int[] {1});
    }

    /** {@code KL(p ‖ q)} over the vocabulary, averaged over the masked positions: a scalar. */
    static NDArray meanKl(NDManager step, NDArray logitsP, NDArray logitsQ, Sequences s) {
        NDArray lp = logitsP.logSoftmax(-1);
        NDArray lq = logitsQ.logSoftmax(-1);
        NDArray kl = lp.exp().mul(lp.sub(lq)).sum(new int[] {-1});
        return kl.mul(s.mask(step)).sum().div(scalar(step, s.lossTokens()));
    }
}
