package ai.adaptserve.lab.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultsPlotTest {
    @TempDir
    Path tmp;

    static BufferedImage decode(Path png, int width, int height) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, png + " is not a PNG");
        assertEquals(width, img.getWidth());
        assertEquals(height, img.getHeight());
        int first = img.getRGB(0, 0);
        long other = 0;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                other += img.getRGB(x, y) != first ? 1 : 0;
            }
        }
        assertTrue(other > width * height / 100, "the image is (nearly) one colour");
        return img;
    }

    /** Per run of adjacent columns holding {@code c}: the count of {@code c} pixels in the run's middle column. */
    static List<Integer> barHeights(BufferedImage img, Color c) {
        List<Integer> heights = new ArrayList<>();
        int runStart = -1;
        for (int x = 0; x <= img.getWidth(); x++) {
            int n = x < img.getWidth() ? count(img, x, c) : 0;
            if (n > 0 && runStart < 0) {
                runStart = x;
            } else if (n == 0 && runStart >= 0) {
                heights.add(count(img, (runStart + x - 1) / 2, c));
                runStart = -1;
            }
        }
        return heights;
    }

    /** Runs of adjacent columns holding at least {@code min} pixels of {@code c}. */
    static int runs(BufferedImage img, Color c, int min) {
        int runs = 0;
        boolean in = false;
        for (int x = 0; x < img.getWidth(); x++) {
            boolean hit = count(img, x, c) >= min;
            runs += hit && !in ? 1 : 0;
            in = hit;
        }
        return runs;
    }

    static int count(BufferedImage img, int x, Color c) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            n += (img.getRGB(x, y) & 0xffffff) == (c.getRGB() & 0xffffff) ? 1 : 0;
        }
        return n;
    }

    @Test
    void accuracyBars_barHeightsFollowTheValues() throws IOException {
        LinkedHashMap<String, LinkedHashMap<String, Double>> groups = new LinkedHashMap<>();
        groups.put("held-out families", map("base", 0.2, "ttt", 0.8));
        groups.put("novel split", map("base", 0.5, "ttt", 0.1));
        Path png = tmp.resolve("acc.png");
        ResultsPlot.accuracyBars(png, "test", groups);
        BufferedImage img = decode(png, 1000, 560);

        // base is the first colour, ttt the second; each has a bar per group, then a legend swatch (16 px).
        List<Integer> base = barHeights(img, ResultsPlot.PALETTE[0]);
        List<Integer> ttt = barHeights(img, ResultsPlot.PALETTE[1]);
        assertEquals(3, base.size(), "two bars and a swatch: " + base);
        assertEquals(3, ttt.size(), "two bars and a swatch: " + ttt);
        assertEquals(16, base.get(2));
        // The plot's 0..1 axis spans 420 px.
        assertEquals(0.2 * 420, base.get(0), 2);
        assertEquals(0.5 * 420, base.get(1), 2);
        assertEquals(0.8 * 420, ttt.get(0), 2);
        assertEquals(0.1 * 420, ttt.get(1), 2);

        // Another size, a strategy missing from one group: no bar there.
        groups.get("novel split").remove("ttt");
        ResultsPlot.accuracyBars(png, "test", groups, 640, 400);
        img = decode(png, 640, 400);
        assertEquals(2, barHeights(img, ResultsPlot.PALETTE[1]).size(), "one bar and a swatch");
    }

    @Test
    void trainingCurve_fallingLossIsDrawnFallingWithValidationPoints() throws IOException {
        Path csv = tmp.resolve("loss.csv");
        StringBuilder sb = new StringBuilder(
                "step,lr,loss,answer_loss,grad_norm,tokens,step_ms,elapsed_s,val_loss,val_exact_match\n");
        for (int s = 1; s <= 400; s++) {
            double loss = 4.0 - 3.0 * s / 400 + (s % 2 == 0 ? 0.3 : -0.3);
            String val = s % 100 == 0 ? String.format(Locale.ROOT, "%.6f,%.6f", 4.2 - 3.0 * s / 400, 0.01) : ",";
            sb.append(String.format(
                    Locale.ROOT, "%d,1e-3,%.6f,%.6f,1.0,1000,100,%.1f,%s%n", s, loss, loss, s * 0.1, val));
        }
        Files.writeString(csv, sb.toString());
        ResultsPlot.LossLog log = ResultsPlot.LossLog.read(csv);
        assertEquals(400, log.steps().length);
        assertEquals(
                4,
                java.util.Arrays.stream(log.valLoss())
                        .filter(v -> !Double.isNaN(v))
                        .count());

        Path png = tmp.resolve("curve.png");
        ResultsPlot.trainingCurve(png, csv);
        BufferedImage img = decode(png, 1000, 560);
        // The smoothed line (first colour) is high on the left and low on the right; below the legend box.
        double left = meanRow(img, ResultsPlot.PALETTE[0], 120, 220);
        double right = meanRow(img, ResultsPlot.PALETTE[0], 820, 920);
        assertTrue(left + 150 < right, "smoothed loss at y " + left + " (left) and " + right + " (right)");
        // Four validation markers plus the legend's one, in the second colour (columns with 6+ such pixels: the
        // markers' 10 px discs, not the thin line between them).
        assertEquals(5, runs(img, ResultsPlot.PALETTE[1], 6));
    }

    /** Mean y of the pixels of colour {@code c} in columns [x0, x1), below the legend (y > 180). */
    static double meanRow(BufferedImage img, Color c, int x0, int x1) {
        long sum = 0;
        int n = 0;
        for (int x = x0; x < x1; x++) {
            for (int y = 180; y < img.getHeight(); y++) {
                if ((img.getRGB(x, y) & 0xffffff) == (c.getRGB() & 0xffffff)) {
                    sum += y;
                    n++;
                }
            }
        }
        assertTrue(n > 0, "no pixel of the colour in columns " + x0 + ".." + x1);
        return (double) sum / n;
    }

    @Test
    void cli_readsSummariesInFileOrder_andRejectsBadArguments() throws IOException {
        Path a = tmp.resolve("a.json");
        Files.writeString(
                a,
                "{\"strategies\": {\"ttt\": {\"correct\": 30, \"total\": 40, \"accuracy\": 0.75, \"families\": {}},"
                        + " \"base\": {\"correct\": 3, \"total\": 40}}, \"routing\": {}}");
        Path b = tmp.resolve("b.json");
        Files.writeString(b, "{\"strategies\": {\"base\": {\"accuracy\": 0.1}, \"ttt\": {\"accuracy\": 0.4}}}");
        LinkedHashMap<String, Double> s = ResultsPlot.strategies(a);
        assertEquals(List.of("ttt", "base"), List.copyOf(s.keySet()));
        assertArrayEquals(
                new double[] {0.75, 0.075},
                s.values().stream().mapToDouble(d -> d).toArray(),
                1e-12);

        Path png = tmp.resolve("out/acc.png");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        int code = ResultsPlot.run(
                new String[] {"--accuracy", png.toString(), "--summary", "held-out=" + a, "--summary", "novel=" + b},
                o,
                e);
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        BufferedImage img = decode(png, 1000, 560);
        // ttt (first key of the first file) gets the first colour: bars 0.75 and 0.4.
        List<Integer> ttt = barHeights(img, ResultsPlot.PALETTE[0]);
        assertEquals(0.75 * 420, ttt.get(0), 2);
        assertEquals(0.4 * 420, ttt.get(1), 2);

        assertEquals(2, ResultsPlot.run(new String[] {"--accuracy", png.toString()}, o, e));
        assertEquals(2, ResultsPlot.run(new String[] {"--curve", png.toString()}, o, e));
        assertEquals(2, ResultsPlot.run(new String[] {"--accuracy", png.toString(), "--summary", "x"}, o, e));
        assertEquals(2, ResultsPlot.run(new String[] {"--bogus", "1"}, o, e));
    }

    @Test
    void movingAverage_isCentredAndShrinksAtTheEnds() {
        double[] v = {0, 0, 0, 10, 0, 0, 0};
        assertArrayEquals(
                new double[] {0, 0, 10 / 3.0, 10 / 3.0, 10 / 3.0, 0, 0}, ResultsPlot.movingAverage(v, 3), 1e-12);
    }

    static LinkedHashMap<String, Double> map(String k1, double v1, String k2, double v2) {
        LinkedHashMap<String, Double> m = new LinkedHashMap<>();
        m.put(k1, v1);
        m.put(k2, v2);
        return m;
    }
}
