package ai.adaptserve.model.generate;

import ai.adaptserve.model.adapter.AdapterBatch;
import ai.adaptserve.model.llama.DecodeSession;
import ai.adaptserve.model.llama.LlamaDecoder;
import ai.adaptserve.model.tokenizer.TextTokenizer;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Generates for a batch of prompts in one decode session: one prefill, then one step per token for all rows
 * until every row has finished. Each row keeps its own sampler, stop strings and limits.
 */
public final class BatchGenerator implements TextGenerator {
    private final LlamaDecoder decoder;
    private final TextTokenizer tokenizer;
    private final Set<Integer> eosIds;
    private final int contextLength;
    private final boolean addBos;

    public BatchGenerator(
            LlamaDecoder decoder, TextTokenizer tokenizer, Set<Integer> eosIds, int contextLength, boolean addBos) {
        this.decoder = decoder;
        this.tokenizer = tokenizer;
        this.eosIds = Set.copyOf(eosIds);
        this.contextLength = contextLength;
        this.addBos = addBos;
    }

    @Override
    public PromptTokens tokenize(String text) {
        return new PromptTokens(text, tokenizer.encode(text, addBos));
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    /** The prompt's token ids, as the model sees them. */
    public int[] encode(String prompt) {
        return tokenizer.encode(prompt, addBos);
    }

    @Override
    public List<Generation> generateFromTokens(List<PromptTokens> prompts, List<GenerationParams> params) {
        return generateFromTokens(prompts, params, owner -> AdapterBatch.NONE);
    }

    /**
     * Generates with adapters: {@code adapters} receives the session's manager and returns what each row's
     * adapter does to each projection.
     */
    public List<Generation> generateFromTokens(
            List<PromptTokens> prompts, List<GenerationParams> params, Function<NDManager, AdapterBatch> adapters) {
        if (prompts.size() != params.size() || prompts.isEmpty()) {
            throw new IllegalArgumentException(
                    "need one GenerationParams per prompt, got " + prompts.size() + " and " + params.size());
        }
        int b = prompts.size();
        int[][] ids = new int[b][];
        Row[] rows = new Row[b];
        for (int r = 0; r < b; r++) {
            ids[r] = checkedIds(prompts.get(r), r);
            rows[r] = new Row(params.get(r), ids[r].length);
        }
        try (DecodeSession session = new DecodeSession(decoder, b, adapters)) {
            return decode(session, session.prefill(ids), rows);
        }
    }

    /**
     * Runs {@code prompt} through the base model once and keeps its cache, next-token logits and hidden states, for
     * the router to read and {@link #generate(Prefill, List)} to decode on from.
     *
     * @throws IllegalArgumentException for a prompt without tokens or without room for an answer in the context
     */
    public Prefill prefill(PromptTokens prompt) {
        int[] ids = checkedIds(prompt, 0);
        DecodeSession session = new DecodeSession(decoder, 1);
        try {
            DecodeSession.Prefilled p = session.prefillKeepingHidden(new int[][] {ids});
            return new Prefill(this, prompt, session, p.logits()[0], p.hidden()[0]);
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    /**
     * Generates one answer per entry of {@code params} to the prefilled prompt on the base model, decoding on from
     * its cache: the prompt is not run again. Gives the same answers as {@link #generateFromTokens(List, List)} on
     * copies of the prompt, up to float rounding. Uses the prefill up; the caller still closes it.
     */
    public List<Generation> generate(Prefill prefill, List<GenerationParams> params) {
        if (params.isEmpty()) {
            throw new IllegalArgumentException("need at least one GenerationParams");
        }
        DecodeSession session = prefill.take(this);
        session.widen(params.size());
        int b = params.size();
        Row[] rows = new Row[b];
        float[][] logits = new float[b][];
        for (int r = 0; r < b; r++) {
            rows[r] = new Row(params.get(r), prefill.prompt().length());
            logits[r] = prefill.logits();
        }
        return decode(session, logits, rows);
    }

    private int[] checkedIds(PromptTokens prompt, int index) {
        int[] ids = prompt.ids();
        if (ids.length == 0) {
            throw new IllegalArgumentException("prompt " + index + " encodes to no tokens");
        }
        if (ids.length >= contextLength) {
            throw new IllegalArgumentException(
                    "prompt " + index + " has " + ids.length + " tokens; the context holds " + contextLength);
        }
        return ids;
    }

    /** Samples every row from {@code logits}, then steps the session until every row has finished. */
    private static List<Generation> decode(DecodeSession session, float[][] logits, Row[] rows) {
        int b = rows.length;
        int[] next = new int[b];
        while (true) {
            boolean anyActive = false;
            for (int r = 0; r < b; r++) {
                Row row = rows[r];
                if (row.finish == null) {
                    row.accept(logits[r]);
                }
                next[r] = row.lastToken;
                anyActive |= row.finish == null;
            }
            if (!anyActive) {
                break;
            }
            logits = session.step(next);
        }
        List<Generation> out = new ArrayList<>(b);
        for (Row row : rows) {
            out.add(row.result());
        }
        return out;
    }

    private final class Row {
        final GenerationParams params;
        final TokenSampler sampler;
        final int promptTokens;
        final List<Integer> tokens = new ArrayList<>();
        final List<Float> logprobs = new ArrayList<>();
        Generation.FinishReason finish;
        String text = "";
        int lastToken;

        Row(GenerationParams params, int promptTokens) {
            this.params = params;
            this.sampler = new TokenSampler(params);
            this.promptTokens = promptTokens;
        }

        void accept(float[] logits) {
            TokenSampler.Choice c = sampler.next(logits);
            choose(c);
            params.listener().onToken(new TokenListener.Token(c.token(), c.logprob(), text, finish, logits));
        }

        private void choose(TokenSampler.Choice c) {
            lastToken = c.token();
            tokens.add(c.token());
            logprobs.add(c.logprob());
            if (eosIds.contains(c.token())) {
                finish = Generation.FinishReason.EOS;
                text = decode();
                return;
            }
            text = decode();
            for (String stop : params.stop()) {
                int at = stop.isEmpty() ? -1 : text.indexOf(stop);
                if (at >= 0) {
                    text = text.substring(0, at);
                    finish = Generation.FinishReason.STOP;
                    return;
                }
            }
            if (tokens.size() >= params.maxTokens()) {
                finish = Generation.FinishReason.LENGTH;
            } else if (promptTokens + tokens.size() >= contextLength) {
                finish = Generation.FinishReason.CONTEXT;
            }
        }

        private String decode() {
            int[] a = new int[tokens.size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = tokens.get(i);
            }
            return tokenizer.decode(a);
        }

        Generation result() {
            return new Generation(text, tokens, logprobs, promptTokens, finish);
        }
    }
}
