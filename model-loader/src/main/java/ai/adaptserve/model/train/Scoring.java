package ai.adaptserve.model.train;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.adapter.AdapterBatch;
import ai.adaptserve.model.adapter.RowAdapterBatch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** Log-likelihood of rows' loss tokens under the base model or a fixed adapter, without gradients. */
final class Scoring {
    static final int BATCH = 16;

    private Scoring() {}

    /** Sum of the loss tokens' log-probabilities and their number. */
    record Total(double logProb, int tokens) {
        double meanLogProb() {
            return logProb / tokens;
        }

        double perplexity() {
            return Math.exp(-meanLogProb());
        }

        Total plus(Total o) {
            return new Total(logProb + o.logProb, tokens + o.tokens);
        }
    }

    static Total score(LoadedModel model, Optional<Adapter> adapter, List<Sequences.Row> rows) {
        Total total = new Total(0, 0);
        for (int i = 0; i < rows.size(); i += BATCH) {
            List<Sequences.Row> part = rows.subList(i, Math.min(rows.size(), i + BATCH));
            Function<NDManager, AdapterBatch> batch = adapter.isEmpty()
                    ? owner -> AdapterBatch.NONE
                    : model.adapterBatch(Collections.nCopies(part.size(), adapter), RowAdapterBatch.Execution.AUTO);
            total = total.plus(score(model, batch, Sequences.of(part)));
        }
        return total;
    }

    /** One forward pass in a sub-manager of the model's, closed before returning. */
    static Total score(LoadedModel model, Function<NDManager, AdapterBatch> adapters, Sequences s) {
        try (NDManager step = model.decoder().weights().manager().newSubManager()) {
            NDArray logits = model.decoder().logitsAllPositions(step, s.rows(), adapters.apply(step));
            double lp = Losses.rowLogProbs(step, logits, s).sum().getFloat();
            return new Total(lp, s.lossTokens());
        }
    }
}
