package ai.adaptserve.load;

/**
 * The seeded generator of load-tests/lib/tasks.ts ({@code random}: xmur3 hash of the seed into mulberry32), bit for bit:
 * the same seed gives the same floats, hence the same tasks and adapter ids, in k6 and here. Not thread-safe.
 */
final class Rng {
    private int a;

    Rng(String seed) {
        int h = 1779033703 ^ seed.length();
        for (int i = 0; i < seed.length(); i++) {
            h = (h ^ seed.charAt(i)) * (int) 3432918353L;
            h = (h << 13) | (h >>> 19);
        }
        h = (h ^ (h >>> 16)) * (int) 2246822507L;
        h = (h ^ (h >>> 13)) * (int) 3266489909L;
        h ^= h >>> 16;
        a = h;
    }

    /** A float in [0, 1). */
    double next() {
        a += 0x6d2b79f5;
        int t = a;
        t = (t ^ (t >>> 15)) * (t | 1);
        t ^= t + (t ^ (t >>> 7)) * (t | 61);
        return Integer.toUnsignedLong(t ^ (t >>> 14)) / 4294967296.0;
    }

    /** An integer in [min, max]. */
    int between(int min, int max) {
        return min + (int) Math.floor(next() * (max - min + 1));
    }

    <T> T pick(java.util.List<T> items) {
        return items.get((int) Math.floor(next() * items.size()));
    }

    char pick(String chars) {
        return chars.charAt((int) Math.floor(next() * chars.length()));
    }
}
