package ai.adaptserve.load;

/** Ranks 0..n-1 with P(k) proportional to 1 / (k + 1)^s (load-tests/lib/tasks.ts {@code Zipf}). */
final class Zipf {
    private final double[] cdf;

    Zipf(int n, double s) {
        if (n < 1) {
            throw new IllegalArgumentException("Zipf over an empty list");
        }
        double[] w = new double[n];
        double total = 0;
        for (int k = 0; k < n; k++) {
            w[k] = 1 / Math.pow(k + 1, s);
            total += w[k];
        }
        cdf = new double[n];
        double acc = 0;
        for (int k = 0; k < n; k++) {
            acc += w[k] / total;
            cdf[k] = acc;
        }
    }

    int sample(Rng r) {
        double u = r.next();
        int lo = 0;
        int hi = cdf.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >> 1;
            if (cdf[mid] < u) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
