package ai.adaptserve.lab.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;

/**
 * PNG charts of results, drawn with java.awt in headless mode (no plotting library is installed here): a grouped bar
 * chart of exact-match accuracy per strategy and split, and the built-in model's training curve from its
 * {@code loss.csv}.
 *
 * <pre>
 * ResultsPlot --accuracy OUT.png --summary NAME=summary.json [--summary NAME2=summary2.json ...] [--title T]
 * ResultsPlot --curve OUT.png --loss loss.csv [--title T]
 * </pre>
 *
 * <p>A summary file is the evaluation CLI's JSON: {@code {"strategies": {"base": {"accuracy": 0.075, ...}, ...}}};
 * its NAME labels the group, and the bars are the keys of {@code strategies} in file order.
 */
public final class ResultsPlot {
    public static final int WIDTH = 1000;
    public static final int HEIGHT = 560;

    /** Matplotlib's "tab10" colours, so the charts look familiar. */
    static final Color[] PALETTE = {
        new Color(0x1f77b4),
        new Color(0xff7f0e),
        new Color(0x2ca02c),
        new Color(0xd62728),
        new Color(0x9467bd),
        new Color(0x8c564b),
        new Color(0xe377c2),
        new Color(0x7f7f7f),
        new Color(0xbcbd22),
        new Color(0x17becf)
    };

    static final int SMOOTHING_STEPS = 50;
    private static final Color GRID = new Color(0xe0e0e0);
    private static final Color AXIS = new Color(0x333333);
    private static final String FONT = Font.SANS_SERIF;

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private ResultsPlot() {}

    /** {@link #accuracyBars(Path, String, LinkedHashMap, int, int)} at 1000×560. */
    public static void accuracyBars(Path png, String title, LinkedHashMap<String, LinkedHashMap<String, Double>> groups)
            throws IOException {
        accuracyBars(png, title, groups, WIDTH, HEIGHT);
    }

    /**
     * A grouped bar chart: one group per key of {@code groups} (e.g. a split), one bar per strategy (the union of the
     * groups' keys, in first-seen order, one colour each), heights are accuracies on a 0..1 axis with the value
     * above each bar. A strategy missing from a group leaves a gap; values outside 0..1 are clipped to the axis
     * (their label says the true value).
     */
    public static void accuracyBars(
            Path png, String title, LinkedHashMap<String, LinkedHashMap<String, Double>> groups, int width, int height)
            throws IOException {
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("no groups to plot");
        }
        Set<String> strategySet = new LinkedHashSet<>();
        groups.values().forEach(g -> strategySet.addAll(g.keySet()));
        List<String> strategies = new ArrayList<>(strategySet);
        if (strategies.isEmpty()) {
            throw new IllegalArgumentException("no strategies to plot");
        }
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = begin(img);
        try {
            Font tickFont = new Font(FONT, Font.PLAIN, 13);
            Font legendFont = new Font(FONT, Font.PLAIN, 14);
            g.setFont(legendFont);
            int legendW = 0;
            for (String s : strategies) {
                legendW = Math.max(legendW, g.getFontMetrics().stringWidth(s));
            }
            legendW += 40;
            int left = 80;
            int right = width - legendW - 30;
            int top = 70;
            int bottom = height - 70;
            drawTitle(g, title, width, 34);

            // Axes and grid: 0..1 in steps of 0.1, labelled every 0.2.
            g.setFont(tickFont);
            FontMetrics fm = g.getFontMetrics();
            for (int i = 0; i <= 10; i++) {
                double v = i / 10.0;
                int y = yPix(v, 0, 1, top, bottom);
                g.setColor(GRID);
                g.drawLine(left, y, right, y);
                if (i % 2 == 0) {
                    g.setColor(AXIS);
                    String label = String.format(Locale.ROOT, "%.1f", v);
                    g.drawString(label, left - 8 - fm.stringWidth(label), y + fm.getAscent() / 2 - 1);
                    g.drawLine(left - 5, y, left, y);
                }
            }
            g.setColor(AXIS);
            g.drawLine(left, top, left, bottom);
            g.drawLine(left, bottom, right, bottom);
            g.setFont(new Font(FONT, Font.PLAIN, 15));
            drawRotated(g, "accuracy (exact match)", 26, (top + bottom) / 2);

            // Bars.
            int slot = (right - left) / groups.size();
            int inner = (int) (slot * 0.8);
            int barW = Math.max(1, inner / strategies.size());
            Font valueFont = new Font(FONT, Font.PLAIN, barW >= 44 ? 13 : barW >= 32 ? 11 : 9);
            Font groupFont = new Font(FONT, Font.BOLD, 15);
            int gi = 0;
            for (Map.Entry<String, LinkedHashMap<String, Double>> group : groups.entrySet()) {
                int x0 = left + gi * slot + (slot - barW * strategies.size()) / 2;
                for (int si = 0; si < strategies.size(); si++) {
                    Double v = group.getValue().get(strategies.get(si));
                    if (v == null || v.isNaN()) {
                        continue;
                    }
                    double clipped = Math.max(0, Math.min(1, v));
                    int x = x0 + si * barW;
                    int y = yPix(clipped, 0, 1, top, bottom);
                    g.setColor(PALETTE[si % PALETTE.length]);
                    g.fillRect(x + 1, y, barW - 2, bottom - y);
                    g.setColor(AXIS);
                    g.setFont(valueFont);
                    String label = String.format(Locale.ROOT, "%.2f", v);
                    int lw = g.getFontMetrics().stringWidth(label);
                    g.drawString(label, x + (barW - lw) / 2, y - 4);
                }
                g.setColor(AXIS);
                g.setFont(groupFont);
                int gw = g.getFontMetrics().stringWidth(group.getKey());
                g.drawString(group.getKey(), left + gi * slot + (slot - gw) / 2, bottom + 24);
                gi++;
            }

            // Legend, right of the plot.
            g.setFont(legendFont);
            fm = g.getFontMetrics();
            int lx = right + 20;
            int ly = top + 10;
            g.setColor(AXIS);
            g.setFont(new Font(FONT, Font.BOLD, 14));
            g.drawString("strategy", lx, ly);
            g.setFont(legendFont);
            for (int si = 0; si < strategies.size(); si++) {
                int y = ly + 14 + si * 24;
                g.setColor(PALETTE[si % PALETTE.length]);
                g.fillRect(lx, y, 16, 16);
                g.setColor(AXIS);
                g.drawString(strategies.get(si), lx + 24, y + 13);
            }
        } finally {
            g.dispose();
        }
        write(img, png);
    }

    /** {@link #trainingCurve(Path, Path, String, int, int)} at 1000×560 with a title from the file's name. */
    public static void trainingCurve(Path png, Path lossCsv) throws IOException {
        trainingCurve(png, lossCsv, "Built-in model training (" + lossCsv.getFileName() + ")", WIDTH, HEIGHT);
    }

    /**
     * The training curve of the base-model trainer's {@code loss.csv} (header {@code step,lr,loss,answer_loss,
     * grad_norm,tokens,step_ms,elapsed_s,val_loss,val_exact_match}, the validation columns empty except at
     * evaluation steps): the training answer loss per step (faint) and its centred moving average over
     * {@value #SMOOTHING_STEPS} steps, and the validation loss at each evaluation, on linear axes from 0.
     */
    public static void trainingCurve(Path png, Path lossCsv, String title, int width, int height) throws IOException {
        LossLog log = LossLog.read(lossCsv);
        if (log.steps.length == 0) {
            throw new IllegalArgumentException(lossCsv + " has no rows");
        }
        double[] smooth = movingAverage(log.answerLoss, SMOOTHING_STEPS);
        double yMax = 0;
        for (double v : log.answerLoss) {
            yMax = Math.max(yMax, v);
        }
        for (double v : log.valLoss) {
            if (!Double.isNaN(v)) {
                yMax = Math.max(yMax, v);
            }
        }
        double yStep = niceStep(yMax / 8);
        yMax = Math.ceil(yMax / yStep) * yStep;
        double xMax = log.steps[log.steps.length - 1];
        double xStep = niceStep(xMax / 10);
        xMax = Math.max(xStep, Math.ceil(xMax / xStep) * xStep);

        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = begin(img);
        try {
            int left = 80;
            int right = width - 30;
            int top = 80;
            int bottom = height - 70;
            drawTitle(g, title, width, 32);
            int lastVal = -1;
            for (int i = 0; i < log.valLoss.length; i++) {
                if (!Double.isNaN(log.valLoss[i])) {
                    lastVal = i;
                }
            }
            g.setFont(new Font(FONT, Font.PLAIN, 14));
            String sub = String.format(
                    Locale.ROOT,
                    "%d steps; last: answer loss (smoothed) %.3f%s",
                    (int) log.steps[log.steps.length - 1],
                    smooth[smooth.length - 1],
                    lastVal < 0
                            ? ""
                            : String.format(
                                    Locale.ROOT, ", validation loss %.3f at step %d", log.valLoss[lastVal], (int)
                                            log.steps[lastVal]));
            g.setColor(new Color(0x555555));
            g.drawString(sub, (width - g.getFontMetrics().stringWidth(sub)) / 2, 56);

            Font tickFont = new Font(FONT, Font.PLAIN, 13);
            g.setFont(tickFont);
            FontMetrics fm = g.getFontMetrics();
            for (double v = 0; v <= yMax + yStep / 2; v += yStep) {
                int y = yPix(v, 0, yMax, top, bottom);
                g.setColor(GRID);
                g.drawLine(left, y, right, y);
                g.setColor(AXIS);
                String label = tick(v, yStep);
                g.drawString(label, left - 8 - fm.stringWidth(label), y + fm.getAscent() / 2 - 1);
            }
            for (double v = 0; v <= xMax + xStep / 2; v += xStep) {
                int x = xPix(v, 0, xMax, left, right);
                g.setColor(GRID);
                g.drawLine(x, top, x, bottom);
                g.setColor(AXIS);
                String label = tick(v, xStep);
                g.drawString(label, x - fm.stringWidth(label) / 2, bottom + 20);
            }
            g.setColor(AXIS);
            g.drawLine(left, top, left, bottom);
            g.drawLine(left, bottom, right, bottom);
            g.setFont(new Font(FONT, Font.PLAIN, 15));
            String xl = "optimizer step";
            g.drawString(xl, (left + right - g.getFontMetrics().stringWidth(xl)) / 2, bottom + 48);
            drawRotated(g, "loss (nats per token)", 26, (top + bottom) / 2);

            Shape clip = g.getClip();
            g.clipRect(left, top - 1, right - left + 1, bottom - top + 2);
            Color raw = new Color(0x1f, 0x77, 0xb4, 60);
            Color line = PALETTE[0];
            Color val = PALETTE[1];
            g.setStroke(new BasicStroke(1f));
            g.setColor(raw);
            g.draw(polyline(log.steps, log.answerLoss, xMax, yMax, left, right, top, bottom));
            g.setStroke(new BasicStroke(2.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            g.setColor(line);
            g.draw(polyline(log.steps, smooth, xMax, yMax, left, right, top, bottom));
            List<double[]> valPoints = new ArrayList<>();
            for (int i = 0; i < log.valLoss.length; i++) {
                if (!Double.isNaN(log.valLoss[i])) {
                    valPoints.add(new double[] {log.steps[i], log.valLoss[i]});
                }
            }
            double[] vx = valPoints.stream().mapToDouble(p -> p[0]).toArray();
            double[] vy = valPoints.stream().mapToDouble(p -> p[1]).toArray();
            g.setColor(val);
            g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            if (vx.length > 1) {
                g.draw(polyline(vx, vy, xMax, yMax, left, right, top, bottom));
            }
            g.setClip(clip); // markers whole, also at the plot's edge
            for (int i = 0; i < vx.length; i++) {
                int x = xPix(vx[i], 0, xMax, left, right);
                int y = yPix(vy[i], 0, yMax, top, bottom);
                g.fill(new Ellipse2D.Double(x - 5, y - 5, 10, 10));
            }

            // Legend, top right inside the plot (the curves fall, so that corner is empty).
            g.setStroke(new BasicStroke(1f));
            Font lf = new Font(FONT, Font.PLAIN, 14);
            g.setFont(lf);
            String[] labels = {
                "training answer loss",
                "training answer loss, moving average over " + SMOOTHING_STEPS + " steps",
                "validation loss (" + vx.length + " evaluations)"
            };
            int lw = 0;
            for (String s : labels) {
                lw = Math.max(lw, g.getFontMetrics().stringWidth(s));
            }
            int bx = right - lw - 60;
            int by = top + 10;
            g.setColor(new Color(255, 255, 255, 230));
            g.fillRect(bx, by, lw + 50, 80);
            g.setColor(GRID);
            g.drawRect(bx, by, lw + 50, 80);
            for (int i = 0; i < labels.length; i++) {
                int y = by + 20 + i * 22;
                switch (i) {
                    case 0 -> {
                        g.setColor(new Color(0x1f, 0x77, 0xb4, 90));
                        g.setStroke(new BasicStroke(1.5f));
                        g.drawLine(bx + 8, y - 4, bx + 36, y - 4);
                    }
                    case 1 -> {
                        g.setColor(line);
                        g.setStroke(new BasicStroke(2.5f));
                        g.drawLine(bx + 8, y - 4, bx + 36, y - 4);
                    }
                    default -> {
                        g.setColor(val);
                        g.setStroke(new BasicStroke(1.5f));
                        g.drawLine(bx + 8, y - 4, bx + 36, y - 4);
                        g.fill(new Ellipse2D.Double(bx + 22 - 5, y - 9, 10, 10));
                    }
                }
                g.setColor(AXIS);
                g.drawString(labels[i], bx + 44, y + 1);
            }
        } finally {
            g.dispose();
        }
        write(img, png);
    }

    /**
     * The accuracy of each strategy in an evaluation summary, in file order: {@code strategies.<name>.accuracy}, or
     * {@code correct / total} when the accuracy is absent.
     */
    public static LinkedHashMap<String, Double> strategies(Path summaryJson) throws IOException {
        JsonNode root = new ObjectMapper().readTree(summaryJson.toFile());
        JsonNode s = root == null ? null : root.get("strategies");
        if (s == null || !s.isObject()) {
            throw new IllegalArgumentException(summaryJson + " has no \"strategies\" object");
        }
        LinkedHashMap<String, Double> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = s.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (v.hasNonNull("accuracy")) {
                out.put(e.getKey(), v.get("accuracy").asDouble());
            } else if (v.hasNonNull("correct")
                    && v.hasNonNull("total")
                    && v.get("total").asInt() > 0) {
                out.put(e.getKey(), v.get("correct").asDouble() / v.get("total").asInt());
            } else {
                throw new IllegalArgumentException(
                        summaryJson + ": strategy " + e.getKey() + " has neither accuracy nor correct/total");
            }
        }
        return out;
    }

    public static void main(String[] args) {
        try {
            System.exit(run(args, System.out, System.err));
        } catch (IOException e) {
            System.err.println("error: " + e);
            System.exit(1);
        }
    }

    static final String USAGE = "usage: ResultsPlot --accuracy OUT.png --summary NAME=summary.json [--summary ...]"
            + " [--title T]\n       ResultsPlot --curve OUT.png --loss loss.csv [--title T]";

    /** The CLI; returns the exit code (2 for bad arguments). */
    static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
        Path accuracy = null;
        Path curve = null;
        Path loss = null;
        String title = null;
        LinkedHashMap<String, Path> summaries = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                out.println(USAGE);
                return 0;
            }
            if (i + 1 >= args.length) {
                err.println(a + " needs a value\n" + USAGE);
                return 2;
            }
            String v = args[++i];
            switch (a) {
                case "--accuracy" -> accuracy = Path.of(v);
                case "--curve" -> curve = Path.of(v);
                case "--loss" -> loss = Path.of(v);
                case "--title" -> title = v;
                case "--summary" -> {
                    int eq = v.indexOf('=');
                    if (eq <= 0 || eq == v.length() - 1) {
                        err.println("--summary takes NAME=FILE, was " + v);
                        return 2;
                    }
                    summaries.put(v.substring(0, eq), Path.of(v.substring(eq + 1)));
                }
                default -> {
                    err.println("unknown option " + a + "\n" + USAGE);
                    return 2;
                }
            }
        }
        if ((accuracy == null) == (curve == null)) {
            err.println("give one of --accuracy or --curve\n" + USAGE);
            return 2;
        }
        if (accuracy != null) {
            if (summaries.isEmpty()) {
                err.println("--accuracy needs at least one --summary NAME=FILE\n" + USAGE);
                return 2;
            }
            LinkedHashMap<String, LinkedHashMap<String, Double>> groups = new LinkedHashMap<>();
            for (Map.Entry<String, Path> e : summaries.entrySet()) {
                groups.put(e.getKey(), strategies(e.getValue()));
            }
            accuracyBars(accuracy, title == null ? "Exact match by strategy" : title, groups);
            out.println("wrote " + accuracy);
        } else {
            if (loss == null) {
                err.println("--curve needs --loss loss.csv\n" + USAGE);
                return 2;
            }
            if (title == null) {
                trainingCurve(curve, loss);
            } else {
                trainingCurve(curve, loss, title, WIDTH, HEIGHT);
            }
            out.println("wrote " + curve);
        }
        return 0;
    }

    /** The columns of a {@code loss.csv} that the curve needs; {@code valLoss} is NaN where the cell is empty. */
    record LossLog(double[] steps, double[] answerLoss, double[] valLoss) {
        static LossLog read(Path csv) throws IOException {
            List<String> lines = Files.readAllLines(csv);
            if (lines.isEmpty()) {
                throw new IllegalArgumentException(csv + " is empty");
            }
            String[] header = lines.get(0).strip().split(",", -1);
            Map<String, Integer> col = new HashMap<>();
            for (int i = 0; i < header.length; i++) {
                col.put(header[i].strip(), i);
            }
            for (String need : List.of("step", "answer_loss", "val_loss")) {
                if (!col.containsKey(need)) {
                    throw new IllegalArgumentException(csv + ": no column " + need + " in " + lines.get(0));
                }
            }
            int cs = col.get("step");
            int ca = col.get("answer_loss");
            int cv = col.get("val_loss");
            List<double[]> rows = new ArrayList<>();
            for (int n = 1; n < lines.size(); n++) {
                String line = lines.get(n).strip();
                if (line.isEmpty()) {
                    continue;
                }
                String[] f = line.split(",", -1);
                try {
                    double v = cv < f.length && !f[cv].isBlank() ? Double.parseDouble(f[cv]) : Double.NaN;
                    rows.add(new double[] {Double.parseDouble(f[cs]), Double.parseDouble(f[ca]), v});
                } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                    throw new IllegalArgumentException(csv + " line " + (n + 1) + ": " + line, e);
                }
            }
            return new LossLog(
                    rows.stream().mapToDouble(r -> r[0]).toArray(),
                    rows.stream().mapToDouble(r -> r[1]).toArray(),
                    rows.stream().mapToDouble(r -> r[2]).toArray());
        }
    }

    /** Centred moving average over {@code window} points (fewer at the ends). */
    static double[] movingAverage(double[] v, int window) {
        double[] prefix = new double[v.length + 1];
        for (int i = 0; i < v.length; i++) {
            prefix[i + 1] = prefix[i] + v[i];
        }
        double[] out = new double[v.length];
        int half = window / 2;
        for (int i = 0; i < v.length; i++) {
            int lo = Math.max(0, i - half);
            int hi = Math.min(v.length, i - half + window);
            out[i] = (prefix[hi] - prefix[lo]) / (hi - lo);
        }
        return out;
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    static double niceStep(double raw) {
        if (!(raw > 0)) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        double m = raw / p;
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
    }

    private static String tick(double v, double step) {
        if (step >= 1) {
            return String.format(Locale.ROOT, "%d", Math.round(v));
        }
        int decimals = (int) Math.ceil(-Math.log10(step) - 1e-9);
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static Path2D polyline(
            double[] xs, double[] ys, double xMax, double yMax, int left, int right, int top, int bottom) {
        Path2D.Double p = new Path2D.Double();
        for (int i = 0; i < xs.length; i++) {
            double x = left + xs[i] / xMax * (right - left);
            double y = bottom - ys[i] / yMax * (bottom - top);
            if (i == 0) {
                p.moveTo(x, y);
            } else {
                p.lineTo(x, y);
            }
        }
        return p;
    }

    private static int yPix(double v, double lo, double hi, int top, int bottom) {
        return (int) Math.round(bottom - (v - lo) / (hi - lo) * (bottom - top));
    }

    private static int xPix(double v, double lo, double hi, int left, int right) {
        return (int) Math.round(left + (v - lo) / (hi - lo) * (right - left));
    }

    private static Graphics2D begin(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        return g;
    }

    private static void drawTitle(Graphics2D g, String title, int width, int baseline) {
        g.setFont(new Font(FONT, Font.BOLD, 20));
        g.setColor(Color.BLACK);
        g.drawString(title, (width - g.getFontMetrics().stringWidth(title)) / 2, baseline);
    }

    private static void drawRotated(Graphics2D g, String text, int x, int yCentre) {
        AffineTransform old = g.getTransform();
        g.rotate(-Math.PI / 2, x, yCentre);
        g.setColor(AXIS);
        g.drawString(text, x - g.getFontMetrics().stringWidth(text) / 2, yCentre);
        g.setTransform(old);
    }

    private static void write(BufferedImage img, Path png) throws IOException {
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(img, "png", png.toFile())) {
            throw new UncheckedIOException(new IOException("no PNG writer"));
        }
    }
}
