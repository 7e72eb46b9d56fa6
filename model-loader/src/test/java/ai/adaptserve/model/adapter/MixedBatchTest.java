package ai.adaptserve.model.adapter;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.ModelOptions;
import ai.adaptserve.model.TestModels;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.llama.DecodeSession;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each row of a batch may carry its own adapter; every row must compute what it computes alone. */
class MixedBatchTest {
    static final double TOL = 2e-4;

    @TempDir
    static Path tmp;

    static LoadedModel model;
    static ZVector zA;
    static ZVector zB;
    static LoraAdapter loraA;
    static LoraAdapter loraB;

    @BeforeAll
    static void load() {
        Path dir = TestModels.write(tmp.resolve("m"), TestModels.tinyLlama(false, true), 3, TensorDType.F32, 0);
        model = LoadedModel.load(
                dir,
                ModelOptions.defaults()
                        .withSvdTargets(
                                EnumSet.of(TargetMatrix.GATE, TargetMatrix.UP, TargetMatrix.DOWN, TargetMatrix.Q))
                        .withSvdCacheDir(tmp.resolve("svd")));
        var ranks = model.svdFactors().ranks();
        zA = RandomAdapters.z(ranks, 0.4, 1, false);
        zB = RandomAdapters.z(ranks, 0.4, 2, true);
        loraA = RandomAdapters.lora(model.config(), TargetMatrix.ATTENTION, true, 4, 3);
        loraB = RandomAdapters.lora(model.config(), EnumSet.of(TargetMatrix.GATE, TargetMatrix.DOWN), false, 8, 4);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static final int[][] PROMPTS = {
        {256, 1, 2, 3, 4, 5, 6, 7},
        {256, 50, 60},
        {256, 9, 8, 7, 6, 5},
        {256, 100, 101, 102, 103, 104, 105, 106, 107},
        {256, 42}
    };

    static float[][][] run(int[][] prompts, List<Optional<Adapter>> adapters, RowAdapterBatch.Execution ex) {
        try (DecodeSession s = new DecodeSession(model.decoder(), prompts.length, model.adapterBatch(adapters, ex))) {
            return s.prefillAllPositions(prompts);
        }
    }

    static double diff(float[][] a, float[][] b) {
        double m = 0;
        for (int p = 0; p < a.length; p++) {
            for (int v = 0; v < a[p].length; v++) {
                m = Math.max(m, Math.abs(a[p][v] - b[p][v]));
            }
        }
        return m;
    }

    @Test
    void zOfOnes_reproducesBaseModel_inEveryExecution() {
        ZVector ones = ZVector.ones(model.svdFactors().ranks());
        float[][][] base = run(
                PROMPTS,
                List.of(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()),
                RowAdapterBatch.Execution.AUTO);
        for (RowAdapterBatch.Execution ex : RowAdapterBatch.Execution.values()) {
            List<Optional<Adapter>> all = List.of(
                    Optional.of(ones), Optional.of(ones), Optional.of(ones), Optional.of(ones), Optional.of(ones));
            float[][][] withOnes = run(PROMPTS, all, ex);
            for (int r = 0; r < PROMPTS.length; r++) {
                double d = diff(base[r], withOnes[r]);
                assertTrue(d < TOL, ex + " row " + r + " differs from the base by " + d);
            }
        }
    }

    @Test
    void adapters_changeTheLogits() {
        float[][][] base = run(new int[][] {PROMPTS[0]}, List.of(Optional.empty()), RowAdapterBatch.Execution.AUTO);
        for (Adapter a : List.of(zA, zB, loraA, loraB)) {
            float[][][] adapted =
                    run(new int[][] {PROMPTS[0]}, List.of(Optional.of(a)), RowAdapterBatch.Execution.AUTO);
            assertTrue(diff(base[0], adapted[0]) > 1e-2, a + " left the logits unchanged");
        }
    }

    @Test
    void mixedBatch_prefill_equalsEachRowAlone() {
        List<Optional<Adapter>> rows =
                List.of(Optional.empty(), Optional.of(zA), Optional.of(loraA), Optional.of(zB), Optional.of(loraB));
        for (RowAdapterBatch.Execution ex : List.of(RowAdapterBatch.Execution.AUTO, RowAdapterBatch.Execution.DELTA)) {
            float[][][] batched = run(PROMPTS, rows, ex);
            for (int r = 0; r < PROMPTS.length; r++) {
                float[][][] alone = run(new int[][] {PROMPTS[r]}, List.of(rows.get(r)), RowAdapterBatch.Execution.AUTO);
                double d = diff(batched[r], alone[0]);
                assertTrue(d < TOL, ex + " row " + r + " (" + rows.get(r) + ") differs by " + d);
            }
        }
    }

    @Test
    void sharedAdapter_mergedFactoredAndDelta_agree() {
        for (Adapter a : List.of(zA, loraB)) {
            List<Optional<Adapter>> rows =
                    List.of(Optional.of(a), Optional.of(a), Optional.of(a), Optional.of(a), Optional.of(a));
            float[][][] auto = run(PROMPTS, rows, RowAdapterBatch.Execution.AUTO);
            for (RowAdapterBatch.Execution ex :
                    List.of(RowAdapterBatch.Execution.MERGED, RowAdapterBatch.Execution.DELTA)) {
                float[][][] other = run(PROMPTS, rows, ex);
                for (int r = 0; r < PROMPTS.length; r++) {
                    double d = diff(auto[r], other[r]);
                    assertTrue(d < TOL, a + " " + ex + " row " + r + " differs by " + d);
                }
            }
        }
    }

    @Test
    void mixedBatch_decodeThroughKvCache_equalsEachRowAlone() {
        List<Optional<Adapter>> rows =
                List.of(Optional.of(loraB), Optional.empty(), Optional.of(zA), Optional.of(loraA), Optional.of(zB));
        int[] next = {11, 12, 13, 14, 15};
        float[][] batchedStep;
        try (DecodeSession s = new DecodeSession(
                model.decoder(), PROMPTS.length, model.adapterBatch(rows, RowAdapterBatch.Execution.AUTO))) {
            s.prefill(PROMPTS);
            s.step(next);
            batchedStep = s.step(next);
        }
        for (int r = 0; r < PROMPTS.length; r++) {
            int[] full = Arrays.copyOf(PROMPTS[r], PROMPTS[r].length + 2);
            full[full.length - 2] = next[r];
            full[full.length - 1] = next[r];
            float[][][] alone = run(new int[][] {full}, List.of(rows.get(r)), RowAdapterBatch.Execution.AUTO);
            double d = diff(new float[][] {batchedStep[r]}, new float[][] {alone[0][full.length - 1]});
            assertTrue(d < TOL, "row " + r + " differs by " + d);
        }
    }
}
