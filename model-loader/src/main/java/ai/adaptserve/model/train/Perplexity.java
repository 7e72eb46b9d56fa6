package ai.adaptserve.model.train;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Perplexity of text under the base model or a fixed adapter, without gradients; with {@link #ofContinuation} the
 * "document in context" and "document learned into the adapter" settings can be compared on the same continuation.
 */
public final class Perplexity {
    private Perplexity() {}

    /**
     * {@code exp(−mean log p)} over every token of {@code text} after the first (the text is encoded as a prompt,
     * with BOS where the model uses one, so with BOS every text token counts). Text longer than the context is scored
     * in consecutive windows, each starting with BOS (or, without BOS, the token before it).
     */
    public static double of(LoadedModel model, Optional<Adapter> adapter, String text) {
        int[] tokens = model.encode(text);
        int ctx = model.config().maxPositionEmbeddings();
        if (tokens.length < 2) {
            throw new IllegalArgumentException("the text has no token to predict");
        }
        List<Sequences.Row> rows = new ArrayList<>();
        int first = Math.min(tokens.length, ctx);
        rows.add(new Sequences.Row(Arrays.copyOf(tokens, first), 1));
        Optional<Integer> bos = model.config().bosTokenId();
        for (int pos = first; pos < tokens.length; ) {
            int k = Math.min(tokens.length - pos, ctx - 1);
            int[] row = new int[k + 1];
            row[0] = bos.isPresent() ? bos.get() : tokens[pos - 1];
            System.arraycopy(tokens, pos, row, 1, k);
            rows.add(new Sequences.Row(row, 1));
            pos += k;
        }
        return Scoring.score(model, adapter, rows).perplexity();
    }

    /**
     * Perplexity of the tokens of {@code continuation} only, following {@code context} (encoded as a prompt, with BOS
     * where the model uses one; the continuation without BOS). When both do not fit the model's context, the context
     * is cut from the left (BOS kept).
     */
    public static double ofContinuation(
            LoadedModel model, Optional<Adapter> adapter, String context, String continuation) {
        int[] ctxTokens = model.encode(context);
        int[] cont = model.tokenizer().encode(continuation, false);
        if (cont.length == 0) {
            throw new IllegalArgumentException("the continuation has no tokens");
        }
        int window = model.config().maxPositionEmbeddings();
        if (ctxTokens.length == 0) {
            if (cont.length < 2 || cont.length > window) {
                throw new IllegalArgumentException("without context the continuation needs 2 to " + window + " tokens");
            }
            return Scoring.score(model, adapter, List.of(new Sequences.Row(cont, 1)))
                    .perplexity();
        }
        if (cont.length + 1 > window) {
            throw new IllegalArgumentException(
                    "the continuation has " + cont.length + " tokens; the model's context holds " + window);
        }
        int keep = Math.min(ctxTokens.length, window - cont.length);
        int[] row = new int[keep + cont.length];
        boolean bos = model.config().bosTokenId().isPresent()
                && ctxTokens[0] == model.config().bosTokenId().get();
        if (keep < ctxTokens.length && bos && keep >= 2) {
            row[0] = ctxTokens[0];
            System.arraycopy(ctxTokens, ctxTokens.length - (keep - 1), row, 1, keep - 1);
        } else {
            System.arraycopy(ctxTokens, ctxTokens.length - keep, row, 0, keep);
        }
        System.arraycopy(cont, 0, row, keep, cont.length);
        return Scoring.score(model, adapter, List.of(new Sequences.Row(row, keep)))
                .perplexity();
    }
}
