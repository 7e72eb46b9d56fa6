// The soak's memory chart (bin/soak): RSS and NMT committed per minute, as a PNG drawn with java.awt (headless), in the
// style of the lab's ResultsPlot. A single-file Java program.
//
//   java -Djava.awt.headless=true SoakPlot.java samples.tsv out.png warm-up-minutes
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

public class SoakPlot {
    public static void main(String[] args) throws Exception {
        List<double[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            String[] f = line.split("\t");
            if (f[0].equals("minute") || f.length < 3 || f[2].isEmpty()) {
                continue;
            }
            rows.add(new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])});
        }
        int warm = Integer.parseInt(args[2]);
        int w = 1000, h = 560, left = 80, right = 30, top = 60, bottom = 70;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        double maxX = Math.max(1, rows.get(rows.size() - 1)[0]);
        double maxY = 0;
        for (double[] r : rows) {
            maxY = Math.max(maxY, Math.max(r[1], r[2]));
        }
        maxY = Math.ceil(maxY * 1.15 / 100) * 100;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i <= 5; i++) {
            double v = maxY * i / 5;
            int y = (int) (h - bottom - (h - top - bottom) * v / maxY);
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(left, y, w - right, y);
            g.setColor(new Color(0x333333));
            g.drawString(String.format(Locale.ROOT, "%.0f", v), left - 45, y + 4);
        }
        for (int m = 0; m <= maxX; m += 5) {
            int x = (int) (left + (w - left - right) * m / maxX);
            g.drawString(Integer.toString(m), x - 5, h - bottom + 18);
        }
        int wx = (int) (left + (w - left - right) * warm / maxX);
        g.setColor(new Color(0xbbbbbb));
        g.drawLine(wx, top, wx, h - bottom);
        g.drawString("end of warm-up", wx + 4, top + 14);
        g.setColor(new Color(0x333333));
        g.drawLine(left, h - bottom, w - right, h - bottom);
        g.drawLine(left, top, left, h - bottom);
        g.drawString("minutes under load", w / 2 - 50, h - 25);
        g.drawString("MiB", 20, top - 10);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString("Soak: memory of one instance under mixed load", left, 30);
        Color[] colours = {new Color(0x1f77b4), new Color(0xd62728)};
        String[] names = {"RSS (process, incl. PyTorch)", "NMT committed (JVM)"};
        g.setStroke(new BasicStroke(2f));
        for (int s = 0; s < 2; s++) {
            g.setColor(colours[s]);
            int px = -1, py = -1;
            for (double[] r : rows) {
                int x = (int) (left + (w - left - right) * r[0] / maxX);
                int y = (int) (h - bottom - (h - top - bottom) * r[s + 1] / maxY);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                g.fillOval(x - 3, y - 3, 6, 6);
                px = x;
                py = y;
            }
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            g.drawLine(w - 300, top + 10 + 20 * s, w - 275, top + 10 + 20 * s);
            g.drawString(names[s], w - 268, top + 14 + 20 * s);
        }
        g.dispose();
        ImageIO.write(img, "png", Path.of(args[1]).toFile());
    }
}
