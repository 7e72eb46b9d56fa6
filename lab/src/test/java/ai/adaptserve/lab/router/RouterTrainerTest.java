package ai.adaptserve.lab.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.route.TaskRouter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RouterTrainerTest {
    static final int HIDDEN = 12; // 24 features
    static final int CLASSES = 5;
    static final String BASE = "sha256:" + "ab".repeat(32);

    record Data(float[][] x, List<String> y) {}

    static float[][] centres(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] c = new float[CLASSES][2 * HIDDEN];
        for (float[] row : c) {
            for (int j = 0; j < row.length; j++) {
                row[j] = (float) (3 * r.nextGaussian());
            }
        }
        return c;
    }

    /** Gaussian clusters around the centres, unit variance per feature, plus a feature offset and scale. */
    static Data clusters(float[][] centres, int perClass, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = perClass * CLASSES;
        float[][] x = new float[n][];
        List<String> y = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int c = i % CLASSES;
            x[i] = new float[2 * HIDDEN];
            for (int j = 0; j < x[i].length; j++) {
                // Features on different scales and offsets, as hidden states are: standardisation must cope.
                x[i][j] = (float) ((centres[c][j] + r.nextGaussian()) * (1 + j) + 100 * j);
            }
            y.add("family" + c);
        }
        return new Data(x, y);
    }

    static double accuracy(TaskRouter router, Data d) {
        int right = 0;
        for (int i = 0; i < d.x().length; i++) {
            if (router.route(d.x()[i]).best().equals(d.y().get(i))) {
                right++;
            }
        }
        return (double) right / d.x().length;
    }

    static final RouterTrainer.Config CONFIG = RouterTrainer.Config.DEFAULT.withEpochs(200);

    @Test
    void separableClustersAreLearnt() {
        float[][] centres = centres(1);
        Data train = clusters(centres, 60, 2);
        Data test = clusters(centres, 60, 3);
        TaskRouter router = RouterTrainer.train(train.x(), train.y(), HIDDEN, BASE, CONFIG);
        assertEquals(List.of("family0", "family1", "family2", "family3", "family4"), router.labels());
        assertEquals(BASE, router.baseFingerprint());
        assertEquals(2 * HIDDEN, router.featureCount());
        double acc = accuracy(router, test);
        assertTrue(acc > 0.95, "held-out accuracy " + acc);
        // Most held-out points are confident enough to be routed at the default threshold.
        long routed = java.util.Arrays.stream(test.x())
                .filter(x -> router.route(x).label().isPresent())
                .count();
        assertTrue(routed > 0.9 * test.x().length, routed + " routed");
    }

    @Test
    void randomLabelsAreNearChanceOnHeldOutPoints() {
        float[][] centres = centres(1);
        Data train = clusters(centres, 60, 2);
        Data test = clusters(centres, 200, 3);
        SplittableRandom r = new SplittableRandom(9);
        List<String> shuffled = new ArrayList<>();
        for (int i = 0; i < train.y().size(); i++) {
            shuffled.add("family" + r.nextInt(CLASSES));
        }
        TaskRouter router = RouterTrainer.train(train.x(), shuffled, HIDDEN, BASE, CONFIG);
        // Held-out labels drawn the same way: independent of the features.
        List<String> testLabels = new ArrayList<>();
        for (int i = 0; i < test.y().size(); i++) {
            testLabels.add("family" + r.nextInt(CLASSES));
        }
        double acc = accuracy(router, new Data(test.x(), testLabels));
        // Chance is 0.2; with 1000 held-out points the standard error is about 0.013.
        assertTrue(acc < 0.32, "held-out accuracy on random labels " + acc);
        // On its own (random) training labels it fits above chance: it did learn something.
        assertTrue(accuracy(router, new Data(train.x(), shuffled)) > 0.35);
    }

    @Test
    void lowConfidenceRoutesToNone() {
        float[][] centres = centres(1);
        Data train = clusters(centres, 60, 2);
        TaskRouter router = RouterTrainer.train(train.x(), train.y(), HIDDEN, BASE, CONFIG.withThreshold(0.9));
        // Halfway between two clusters' centres (in the same feature transform as the data).
        float[] between = new float[2 * HIDDEN];
        for (int j = 0; j < between.length; j++) {
            between[j] = (float) (((centres[0][j] + centres[1][j]) / 2) * (1 + j) + 100 * j);
        }
        TaskRouter.Route r = router.route(between);
        assertTrue(r.confidence() < 0.9, "confidence " + r.confidence());
        assertEquals(Optional.empty(), r.label());
        assertTrue(r.best().equals("family0") || r.best().equals("family1"), r.best());
        // The same point is routed when the threshold allows it.
        assertEquals(
                Optional.of(r.best()), router.withThreshold(0).route(between).label());
        // A cluster centre is confident.
        float[] centre = new float[2 * HIDDEN];
        for (int j = 0; j < centre.length; j++) {
            centre[j] = (float) (centres[2][j] * (1 + j) + 100 * j);
        }
        assertEquals(Optional.of("family2"), router.route(centre).label());
    }

    @Test
    void trainingIsAPureFunctionOfItsInputs() {
        Data train = clusters(centres(1), 20, 2);
        TaskRouter a = RouterTrainer.train(train.x(), train.y(), HIDDEN, BASE, CONFIG.withEpochs(30));
        TaskRouter b = RouterTrainer.train(train.x(), train.y(), HIDDEN, BASE, CONFIG.withEpochs(30));
        assertEquals(a, b);
        TaskRouter c = RouterTrainer.train(
                train.x(), train.y(), HIDDEN, BASE, CONFIG.withEpochs(30).withSeed(2));
        assertNotEquals(a, c);
    }

    @Test
    void badInputsAreRefused() {
        Data train = clusters(centres(1), 2, 2);
        assertThrows(
                IllegalArgumentException.class,
                () -> RouterTrainer.train(
                        train.x(), train.y().subList(1, train.y().size()), HIDDEN, BASE, CONFIG));
        assertThrows(
                IllegalArgumentException.class,
                () -> RouterTrainer.train(train.x(), train.y(), HIDDEN + 1, BASE, CONFIG));
        train.x()[3][4] = Float.NaN;
        assertThrows(
                IllegalArgumentException.class, () -> RouterTrainer.train(train.x(), train.y(), HIDDEN, BASE, CONFIG));
    }
}
