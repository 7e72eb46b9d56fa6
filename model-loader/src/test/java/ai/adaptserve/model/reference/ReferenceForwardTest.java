package ai.adaptserve.model.reference;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.ModelOptions;
import ai.adaptserve.model.TestModels;
import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.adapter.LoraAdapter;
import ai.adaptserve.model.adapter.MatrixRef;
import ai.adaptserve.model.adapter.RowAdapterBatch;
import ai.adaptserve.model.adapter.TargetMatrix;
import ai.adaptserve.model.adapter.ZVector;
import ai.adaptserve.model.checkpoint.CheckpointWriter;
import ai.adaptserve.model.checkpoint.RandomWeights;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.config.ModelConfig;
import ai.adaptserve.model.llama.DecodeSession;
import ai.adaptserve.model.tokenizer.ByteTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole forward pass, DJL's F32 path through {@link LoadedModel} and {@link DecodeSession}, against {@link Naive}:
 * the same tiny random checkpoints computed in double precision from the definitions, straight from the tensors the
 * checkpoint was written from. Each architecture runs with no adapter, with a LoRA on every matrix and the head
 * ({@code W + (α/r)(AB)ᵀ}, α/r = 3), with a z-vector on every matrix and the head ({@code U diag(σ ⊙ z) Vᵀ}, over the
 * reference's own Jacobi SVD), with one that keeps the sum of singular values, and with a mixture of three z-vectors
 * whose expected value {@code Σ_k α_k z_k} the test computes itself. Every case is checked on a left-padded batch of
 * prompts of different lengths (1, 7 and 13 tokens, each followed by {@value #CONTINUATION} more) at every position,
 * and on the same batch decoded one token per step through the KV cache.
 *
 * <p><b>Tolerance {@value #TOLERANCE} on raw logits</b>, which are of order 1 here. The reference is exact to about
 * 1e-13; the DJL side computes in F32 (about 6e-8 relative per rounding, accumulated over the layers; the SVF path also
 * multiplies through F32 SVD factors). The measured worst is 4e-6 (Qwen2 with a z-vector mixture; base and LoRA cases
 * 1–2e-6; all printed at the end), so the tolerance is 5× the F32 noise. Broken on purpose, the DJL path moved logits
 * by: α/r dropped from LoRA 0.9–1.2; z ignored 2–4.7; the Σσ rescaling ignored 0.16–0.63; the mixture's head taking
 * the first layer's α, or every matrix the first layer's α, 0.4–7; Llama 3's blended frequency band left unscaled
 * 0.15–1.5; RMSNorm without its ε 3.7e-4–5.6e-3; a decode position off by one 0.1–1.5; and the attention, rotary,
 * bias and MLP breaks that {@code JlamaCrossCheckTest} lists, 0.2–7.
 *
 * <p>The Llama 3 case has {@code rope_scaling} with {@code original_max_position_embeddings = 64}, so that at these
 * short positions all three of its frequency bands (kept, blended, slowed) turn by visible angles; Jlama cannot check
 * this case (it implements only "linear" scaling).
 */
class ReferenceForwardTest {
    static final double TOLERANCE = 2e-5;

    static final int[] PROMPT_LENGTHS = {1, 7, 13};
    static final int CONTINUATION = 8;

    /** Llama 3 shape with its rope_scaling: multi-query (one KV head), bands of 6.3 / 20–63 / 200+ positions. */
    static ModelConfig llama3Scaled() {
        return new ModelConfig(
                "LlamaForCausalLM",
                ByteTokenizer.VOCAB,
                64,
                160,
                2,
                4,
                1,
                16,
                1e-5,
                10000.0,
                Optional.of(new ModelConfig.RopeScaling(8.0, 1.0, 4.0, 64)),
                false,
                false,
                256,
                Optional.of(ByteTokenizer.BOS),
                List.of(ByteTokenizer.EOS),
                "float32");
    }

    enum Arch {
        LLAMA_GQA(TestModels.tinyLlama(false, false), 11),
        QWEN2_BIAS_TIED(TestModels.tinyQwen2(), 12),
        LLAMA3_SCALED_MULTI_QUERY(llama3Scaled(), 13);

        final ModelConfig config;
        final long seed;

        Arch(ModelConfig config, long seed) {
            this.config = config;
            this.seed = seed;
        }
    }

    enum Kind {
        BASE,
        LORA,
        SVF,
        SVF_PRESERVE_SUM,
        SVF_MIXTURE
    }

    /** The adapter the DJL path runs and the reference model that defines what it must compute. */
    record Adapted(Optional<Adapter> adapter, Naive.Model reference) {}

    record Case(LoadedModel model, int[][] sequences, Map<Kind, Adapted> adapted) {}

    @TempDir
    static Path tmp;

    static final Map<Arch, Case> CASES = new EnumMap<>(Arch.class);
    static final Map<String, Double> WORST = new TreeMap<>();

    @BeforeAll
    static void load() throws IOException {
        for (Arch a : Arch.values()) {
            ModelConfig cfg = a.config;
            Path dir = tmp.resolve(a.name());
            List<CheckpointWriter.Tensor> tensors = RandomWeights.of(cfg, a.seed, 0.08);
            CheckpointWriter.write(dir, cfg, tensors, TensorDType.F32, 0);
            LoadedModel model = LoadedModel.load(
                    dir,
                    ModelOptions.defaults()
                            .withSvdTargets(EnumSet.allOf(TargetMatrix.class))
                            .withSvdCacheDir(tmp.resolve("svd-" + a.name())));
            Naive.Model base = Naive.Model.of(cfg, tensors);
            SplittableRandom rnd = new SplittableRandom(a.seed * 31);
            Map<Kind, Adapted> adapted = new EnumMap<>(Kind.class);
            adapted.put(Kind.BASE, new Adapted(Optional.empty(), base));

            LoraAdapter lora = lora(cfg, 4, 12f, rnd);
            adapted.put(Kind.LORA, new Adapted(Optional.of(lora), base.withLora(lora)));

            ZVector z = new ZVector(randomZ(cfg, rnd), false);
            adapted.put(Kind.SVF, new Adapted(Optional.of(z), base.withSvf(widen(z.z()), false)));

            ZVector zKeep = new ZVector(randomZ(cfg, rnd), true);
            adapted.put(Kind.SVF_PRESERVE_SUM, new Adapted(Optional.of(zKeep), base.withSvf(widen(zKeep.z()), true)));

            List<ZVector> experts = new ArrayList<>();
            float[][] alphas = new float[3][cfg.numLayers()];
            for (int k = 0; k < 3; k++) {
                experts.add(new ZVector(randomZ(cfg, rnd), false));
                for (int l = 0; l < cfg.numLayers(); l++) {
                    alphas[k][l] = (float) (rnd.nextDouble() * 1.3 - 0.3);
                }
            }
            ZVector mixed = ZVector.mix(experts, alphas);
            adapted.put(
                    Kind.SVF_MIXTURE,
                    new Adapted(Optional.of(mixed), base.withSvf(mixtureByDefinition(experts, alphas), false)));

            CASES.put(a, new Case(model, sequences(cfg.vocabSize(), a.seed), adapted));
        }
    }

    @AfterAll
    static void close() {
        CASES.values().forEach(c -> c.model().close());
        System.out.println(
                "DJL against the double-precision reference, worst |Δ logit| (tolerance " + TOLERANCE + "):");
        WORST.forEach((k, v) -> System.out.printf("  %-50s %.3g%n", k, v));
    }

    // ------------------------------------------------------------------ adapters and the mixture's definition

    /** A LoRA on every matrix of every layer and on the head, A and B both N(0, 0.05²) so it shows. */
    static LoraAdapter lora(ModelConfig cfg, int rank, float alpha, SplittableRandom rnd) {
        Map<MatrixRef, LoraAdapter.Factors> w = new TreeMap<>();
        for (MatrixRef m : allMatrices(cfg)) {
            int in = m.matrix().in(cfg);
            int out = m.matrix().out(cfg);
            w.put(m, new LoraAdapter.Factors(in, out, gaussian(in * rank, 0.05, rnd), gaussian(rank * out, 0.05, rnd)));
        }
        return new LoraAdapter(rank, alpha, w);
    }

    /** z = 1 + 0.4·N(0, 1) per singular value of every matrix and the head; rank = min(in, out). */
    static Map<MatrixRef, float[]> randomZ(ModelConfig cfg, SplittableRandom rnd) {
        Map<MatrixRef, float[]> z = new TreeMap<>();
        for (MatrixRef m : allMatrices(cfg)) {
            float[] v = gaussian(Math.min(m.matrix().in(cfg), m.matrix().out(cfg)), 0.4, rnd);
            for (int i = 0; i < v.length; i++) {
                v[i] += 1;
            }
            z.put(m, v);
        }
        return z;
    }

    /**
     * Transformer²'s mixture as {@link ZVector#mix} documents it, computed here: {@code z = Σ_k α_k z_k} with expert
     * {@code k}'s α of the matrix's layer, the head taking the last layer's α.
     */
    static Map<MatrixRef, double[]> mixtureByDefinition(List<ZVector> experts, float[][] alphas) {
        Map<MatrixRef, double[]> out = new TreeMap<>();
        for (MatrixRef m : experts.get(0).z().keySet()) {
            double[] acc = new double[experts.get(0).z().get(m).length];
            for (int k = 0; k < experts.size(); k++) {
                int layer = m.matrix() == TargetMatrix.HEAD ? alphas[k].length - 1 : m.layer();
                float[] zk = experts.get(k).z().get(m);
                for (int i = 0; i < acc.length; i++) {
                    acc[i] += (double) alphas[k][layer] * zk[i];
                }
            }
            out.put(m, acc);
        }
        return out;
    }

    static List<MatrixRef> allMatrices(ModelConfig cfg) {
        List<MatrixRef> refs = new ArrayList<>();
        for (int l = 0; l < cfg.numLayers(); l++) {
            for (TargetMatrix t : TargetMatrix.values()) {
                if (t != TargetMatrix.HEAD) {
                    refs.add(new MatrixRef(l, t));
                }
            }
        }
        refs.add(MatrixRef.head());
        return refs;
    }

    static Map<MatrixRef, double[]> widen(Map<MatrixRef, float[]> z) {
        Map<MatrixRef, double[]> out = new TreeMap<>();
        z.forEach((k, v) -> out.put(k, Naive.vector(v)));
        return out;
    }

    static float[] gaussian(int n, double std, SplittableRandom rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float)
                    (std * Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble()));
        }
        return v;
    }

    static int[][] sequences(int vocab, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[][] out = new int[PROMPT_LENGTHS.length][];
        for (int r = 0; r < out.length; r++) {
            out[r] = rnd.ints(PROMPT_LENGTHS[r] + CONTINUATION, 0, vocab).toArray();
        }
        return out;
    }

    // ------------------------------------------------------------------ the checks

    static Stream<Arguments> cases() {
        return Arrays.stream(Arch.values())
                .flatMap(a -> Arrays.stream(Kind.values()).map(k -> Arguments.of(a, k)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void prefill_batchOfDifferentLengths_matchesReference(Arch arch, Kind kind) {
        Case c = CASES.get(arch);
        Adapted a = c.adapted().get(kind);
        int rows = c.sequences().length;
        float[][][] logits;
        try (DecodeSession s = new DecodeSession(
                c.model().decoder(),
                rows,
                c.model().adapterBatch(same(a.adapter(), rows), RowAdapterBatch.Execution.AUTO))) {
            logits = s.prefillAllPositions(c.sequences());
        }
        double worst = 0;
        for (int r = 0; r < rows; r++) {
            double[][] expected = a.reference().logits(c.sequences()[r]);
            for (int p = 0; p < expected.length; p++) {
                worst = Math.max(worst, maxAbsDiff(logits[r][p], expected[p]));
            }
        }
        report(arch + " " + kind + " prefill", worst);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void decode_batchThroughKvCache_matchesReference(Arch arch, Kind kind) {
        Case c = CASES.get(arch);
        Adapted a = c.adapted().get(kind);
        int rows = c.sequences().length;
        double[][][] expected = new double[rows][][];
        for (int r = 0; r < rows; r++) {
            expected[r] = a.reference().logits(c.sequences()[r]);
        }
        double worst = 0;
        try (DecodeSession s = new DecodeSession(
                c.model().decoder(),
                rows,
                c.model().adapterBatch(same(a.adapter(), rows), RowAdapterBatch.Execution.AUTO))) {
            int[][] prompts = new int[rows][];
            for (int r = 0; r < rows; r++) {
                prompts[r] = Arrays.copyOf(c.sequences()[r], PROMPT_LENGTHS[r]);
            }
            float[][] logits = s.prefill(prompts);
            for (int r = 0; r < rows; r++) {
                worst = Math.max(worst, maxAbsDiff(logits[r], expected[r][PROMPT_LENGTHS[r] - 1]));
            }
            for (int step = 0; step < CONTINUATION; step++) {
                int[] next = new int[rows];
                for (int r = 0; r < rows; r++) {
                    next[r] = c.sequences()[r][PROMPT_LENGTHS[r] + step];
                }
                logits = s.step(next);
                for (int r = 0; r < rows; r++) {
                    worst = Math.max(worst, maxAbsDiff(logits[r], expected[r][PROMPT_LENGTHS[r] + step]));
                }
            }
        }
        report(arch + " " + kind + " decode", worst);
    }

    /** Rows with different adapters in one batch (the per-row delta path): each row is its own reference. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Arch.class)
    void mixedBatch_eachRowMatchesItsOwnReference(Arch arch) {
        Case c = CASES.get(arch);
        List<Adapted> rows = List.of(
                c.adapted().get(Kind.SVF_MIXTURE),
                c.adapted().get(Kind.BASE),
                c.adapted().get(Kind.LORA));
        float[][][] logits;
        try (DecodeSession s = new DecodeSession(
                c.model().decoder(),
                rows.size(),
                c.model().adapterBatch(rows.stream().map(Adapted::adapter).toList(), RowAdapterBatch.Execution.AUTO))) {
            logits = s.prefillAllPositions(c.sequences());
        }
        double worst = 0;
        for (int r = 0; r < rows.size(); r++) {
            double[][] expected = rows.get(r).reference().logits(c.sequences()[r]);
            for (int p = 0; p < expected.length; p++) {
                worst = Math.max(worst, maxAbsDiff(logits[r][p], expected[p]));
            }
        }
        report(arch + " mixed rows prefill", worst);
    }

    /**
     * The comparisons above mean something only if each adapter moves the reference's logits far beyond the
     * tolerance, and if keeping the sum of singular values changes the result.
     */
    @Test
    void everyAdapter_movesTheReferenceLogitsFarBeyondTheTolerance() {
        for (Arch arch : Arch.values()) {
            Case c = CASES.get(arch);
            int[] seq = c.sequences()[2];
            double[][] base = c.adapted().get(Kind.BASE).reference().logits(seq);
            for (Kind k : EnumSet.complementOf(EnumSet.of(Kind.BASE))) {
                double[][] adapted = c.adapted().get(k).reference().logits(seq);
                double moved = 0;
                for (int p = 0; p < seq.length; p++) {
                    moved = Math.max(moved, maxAbsDiff(adapted[p], base[p]));
                }
                assertTrue(moved > 1000 * TOLERANCE, arch + " " + k + " moves the logits by only " + moved);
            }
        }
    }

    static List<Optional<Adapter>> same(Optional<Adapter> a, int rows) {
        List<Optional<Adapter>> out = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            out.add(a);
        }
        return out;
    }

    private static void report(String what, double worst) {
        synchronized (WORST) {
            WORST.put(what, worst);
        }
        System.out.printf("reference forward, %s: max |Δ logit| = %.3g (tolerance %.0e)%n", what, worst, TOLERANCE);
        assertTrue(worst < TOLERANCE, what + ": max |Δ logit| " + worst + " exceeds " + TOLERANCE);
    }

    static double maxAbsDiff(float[] a, double[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths " + a.length + " and " + b.length);
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    static double maxAbsDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
