package ai.adaptserve.model.train;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.adapter.SvdFactors;
import ai.adaptserve.model.adapter.TargetMatrix;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Learns a document into an adapter, TTT-E2E style: the document's tokens are cut into consecutive chunks, and each
 * chunk in order gets one optimizer step of next-token prediction (every chunk token is a target, conditioned on the
 * chunk's earlier tokens, after BOS where the model uses one), for {@code passes} passes. Later questions can then go
 * without the document in their context.
 */
public final class DocumentTrainer {
    private DocumentTrainer() {}

    /** What kind of adapter the document is learned into. */
    public enum Kind {
        LORA,
        SVF
    }

    /**
     * @param chunkTokens tokens per chunk (plus BOS); one optimizer step each
     * @param passes passes over the whole document
     * @param rank LoRA rank (ignored for SVF)
     * @param alpha LoRA alpha (ignored for SVF)
     * @param targets matrices of every layer; for SVF each must be factored by the model
     */
    @RecordBuilder
    public record Config(
            Kind kind,
            int chunkTokens,
            float learningRate,
            int passes,
            int rank,
            float alpha,
            Set<TargetMatrix> targets,
            long seed)
            implements DocumentTrainerConfigBuilder.With {
        public Config {
            if (kind == null) {
                throw new IllegalArgumentException("kind is required");
            }
            if (chunkTokens < 1) {
                throw new IllegalArgumentException("chunkTokens must be >= 1, was " + chunkTokens);
            }
            if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
                throw new IllegalArgumentException("learningRate must be a positive number, was " + learningRate);
            }
            if (passes < 1) {
                throw new IllegalArgumentException("passes must be >= 1, was " + passes);
            }
            if (rank < 1) {
                throw new IllegalArgumentException("rank must be >= 1, was " + rank);
            }
            if (!(alpha > 0) || Float.isInfinite(alpha)) {
                throw new IllegalArgumentException("alpha must be a positive number, was " + alpha);
            }
            if (targets.isEmpty()) {
                throw new IllegalArgumentException("no target matrices");
            }
            targets = Set.copyOf(EnumSet.copyOf(targets));
        }

        /** LoRA rank 8, alpha 16 on every projection, chunks of 64 tokens, lr 1e-2, 2 passes. */
        public static Config lora() {
            return new Config(Kind.LORA, 64, 1e-2f, 2, 8, 16f, LoraTrainer.Config.DEFAULT_TARGETS, 0L);
        }

        /** z on the MLP, chunks of 64 tokens, lr 5e-2, 2 passes. */
        public static Config svf() {
            return new Config(Kind.SVF, 64, 5e-2f, 2, 8, 16f, TargetMatrix.MLP, 0L);
        }
    }

    /**
     * Trains an adapter of {@code cfg.kind()} on {@code document}.
     *
     * @throws IllegalArgumentException for a document with fewer than 2 tokens, a chunk longer than the context, or
     *     an SVF target the model does not factor
     */
    public static TrainingResult<Adapter> train(
            LoadedModel model, String document, Config cfg, TrainingBudget budget, TrainingListener listener) {
        long t0 = budget.clock().nanoTime();
        List<Sequences.Row> chunks = chunks(model, document, cfg.chunkTokens());
        TrainableBatch<? extends Adapter> adapter;
        String phase;
        if (cfg.kind() == Kind.LORA) {
            Set<TargetMatrix> layered = EnumSet.copyOf(cfg.targets());
            boolean head = layered.remove(TargetMatrix.HEAD);
            adapter = new TrainableLora(
                    model.decoder().weights().manager(),
                    model.config(),
                    LoraTrainer.Config.refs(model.config(), layered, head),
                    cfg.rank(),
                    cfg.alpha(),
                    true,
                    cfg.seed());
            phase = "document-lora";
        } else {
            SvdFactors svd = model.svdFactors();
            adapter = new TrainableZ(
                    model.decoder().weights().manager(),
                    svd,
                    ZVectorTrainer.factoredRefs(model, svd, cfg.targets()),
                    false,
                    Map.of());
            phase = "document-svf";
        }
        try (adapter) {
            AdamW opt = new AdamW(adapter, cfg.learningRate(), 0f, (int)
                    Math.min(budget.maxSteps(), (long) chunks.size() * cfg.passes()));
            TrainingLoop loop = new TrainingLoop(phase, budget, listener, t0);
            outer:
            for (int p = 0; p < cfg.passes(); p++) {
                for (Sequences.Row chunk : chunks) {
                    if (!loop.canStep()) {
                        break outer;
                    }
                    Sequences s = Sequences.of(List.of(chunk));
                    double loss = loop.gradientStep(
                            adapter,
                            opt,
                            step -> Losses.meanNll(
                                    step, model.decoder().logitsAllPositions(step, s.rows(), adapter), s));
                    loop.stepDone(loss);
                }
            }
            return loop.result(adapter.export());
        }
    }

    /**
     * How many chunks {@link #train} cuts {@code document} into (one optimizer step each, per pass).
     *
     * @throws IllegalArgumentException as {@link #train}
     */
    public static int chunkCount(LoadedModel model, String document, int chunkTokens) {
        int[] tokens = model.tokenizer().encode(document, false);
        boolean bos = model.config().bosTokenId().isPresent();
        if (tokens.length < (bos ? 1 : 2)) {
            throw new IllegalArgumentException("the document has no token to learn");
        }
        Sequences.checkLength(model, chunkTokens + 1);
        int learnt = bos ? tokens.length : tokens.length - 1;
        return (learnt + chunkTokens - 1) / chunkTokens;
    }

    /** The document's tokens in consecutive chunks, each led by BOS (or, without BOS, by the token before it). */
    static List<Sequences.Row> chunks(LoadedModel model, String document, int chunkTokens) {
        int[] tokens = model.tokenizer().encode(document, false);
        Optional<Integer> bos = model.config().bosTokenId();
        if (tokens.length < (bos.isPresent() ? 1 : 2)) {
            throw new IllegalArgumentException("the document has no token to learn");
        }
        Sequences.checkLength(model, chunkTokens + 1);
        List<Sequences.Row> out = new ArrayList<>();
        int start = bos.isPresent() ? 0 : 1;
        for (int pos = start; pos < tokens.length; pos += chunkTokens) {
            int k = Math.min(chunkTokens, tokens.length - pos);
            int[] row = new int[k + 1];
            row[0] = bos.isPresent() ? bos.get() : tokens[pos - 1];
            System.arraycopy(tokens, pos, row, 1, k);
            out.add(new Sequences.Row(row, 1));
        }
        return out;
    }
}
