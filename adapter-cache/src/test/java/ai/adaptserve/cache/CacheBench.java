package ai.adaptserve.cache;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Get latency per tier, for a z-vector-sized (4 KiB) and a LoRA-sized (4 MiB) adapter, next to {@code redis-benchmark}
 * GET of the same sizes on the same Redis server, in the same run.
 *
 * <p>Each tier is measured through {@link TieredAdapterStore#get} with the faster tiers switched off, so a number is
 * what a request served by that tier costs: network, copy and envelope verification (SHA-256 of the payload). Run:
 * {@code ./mvnw -B -ntp -pl adapter-cache -Pbench -DskipTests verify}.
 */
public final class CacheBench {

    private record Row(String tier, String size, int n, double p50, double p99, double mean) {}

    private CacheBench() {}

    public static void main(String[] args) throws Exception {
        int[] sizes = {4 * 1024, 4 * 1024 * 1024};
        List<Row> rows = new ArrayList<>();
        List<Row> reference = new ArrayList<>();
        RedisServer redis = RedisServer.launch();
        Path local = Files.createTempDirectory("bench-local-");
        try (S3Proxy s3 = S3Proxy.start()) {
            String bucket = s3.newBucket();
            for (int size : sizes) {
                boolean small = size < 1 << 20;
                int n = small ? 5000 : 500;
                int warmup = small ? 1000 : 50;
                String label = small ? "4 KiB" : "4 MiB";
                AdapterKey key = TestSupport.key("bench-" + size);
                byte[] payload = TestSupport.payload(size, size);

                AdapterCacheConfig base = AdapterCacheConfig.builder()
                        .local(new AdapterCacheConfig.Local(local))
                        .maxTrainingTime(Duration.ofMinutes(1))
                        .build();
                AdapterCacheConfig.Redis redisConfig = AdapterCacheConfig.Redis.builder(redis.url())
                        .timeout(Duration.ofSeconds(2))
                        .build();
                AdapterCacheConfig.Memory noMemory = new AdapterCacheConfig.Memory(0);

                // Write once through every tier (S3 + Redis, and the local directory).
                try (TieredAdapterStore writer = TestSupport.store(base.toBuilder()
                        .redis(redisConfig)
                        .s3(s3.config(bucket))
                        .build())) {
                    writer.put(key, TrainedAdapter.of(AdapterKind.LORA, payload));
                }
                try (TieredAdapterStore writer = TestSupport.store(base)) {
                    writer.put(key, TrainedAdapter.of(AdapterKind.LORA, payload));
                }

                rows.add(measure("memory", label, base, key, AdapterSource.MEMORY, warmup, n));
                rows.add(measure(
                        "redis",
                        label,
                        base.toBuilder()
                                .memory(noMemory)
                                .redis(redisConfig)
                                .s3(s3.config(bucket))
                                .build(),
                        key,
                        AdapterSource.REDIS,
                        warmup,
                        n));
                rows.add(measure(
                        "s3 (s3proxy)",
                        label,
                        base.toBuilder().memory(noMemory).s3(s3.config(bucket)).build(),
                        key,
                        AdapterSource.S3,
                        warmup,
                        small ? 2000 : n));
                rows.add(measure(
                        "local dir",
                        label,
                        base.toBuilder().memory(noMemory).build(),
                        key,
                        AdapterSource.LOCAL,
                        warmup,
                        n));
                rows.add(verifyOnly(label, key, payload, warmup, n, false));
                rows.add(verifyOnly(label, key, payload, warmup, n, true));
                reference.add(redisBenchmark(redis.port(), size, label, small ? 20000 : 500));
            }
        } finally {
            redis.stop();
        }
        System.out.println();
        System.out.println("| tier | adapter | n | p50 ms | p99 ms | mean ms |");
        System.out.println("| --- | --- | ---: | ---: | ---: | ---: |");
        for (Row r : rows) {
            System.out.println(format(r));
        }
        System.out.println();
        System.out.println("| redis-benchmark GET (-c 1, same server) | value | n | p50 ms | p99 ms | mean ms |");
        System.out.println("| --- | --- | ---: | ---: | ---: | ---: |");
        for (Row r : reference) {
            System.out.println(format(r));
        }
    }

    private static String format(Row r) {
        return String.format(
                Locale.ROOT,
                "| %s | %s | %d | %.3f | %.3f | %.3f |",
                r.tier(),
                r.size(),
                r.n(),
                r.p50(),
                r.p99(),
                r.mean());
    }

    private static Row measure(
            String tier,
            String size,
            AdapterCacheConfig config,
            AdapterKey key,
            AdapterSource expected,
            int warmup,
            int n) {
        try (TieredAdapterStore store = TestSupport.store(config)) {
            store.get(key); // the memory tier fills on the first read
            for (int i = 0; i < warmup; i++) {
                check(store.get(key), expected);
            }
            long[] nanos = new long[n];
            for (int i = 0; i < n; i++) {
                long start = System.nanoTime();
                var result = store.get(key);
                nanos[i] = System.nanoTime() - start;
                check(result, expected);
            }
            return row(tier, size, nanos);
        }
    }

    /** The part of every non-memory read spent checking the envelope (SHA-256 of the payload, CRC of the header). */
    private static Row verifyOnly(String size, AdapterKey key, byte[] payload, int warmup, int n, boolean sha256)
            throws Exception {
        byte[] envelope = AdapterEnvelope.encode(
                        key, TrainedAdapter.of(AdapterKind.LORA, payload), java.time.Instant.now(), 0)
                .envelope();
        for (int i = 0; i < warmup; i++) {
            AdapterEnvelope.decode(envelope, key, Long.MAX_VALUE, sha256);
        }
        long[] nanos = new long[n];
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            AdapterEnvelope.decode(envelope, key, Long.MAX_VALUE, sha256);
            nanos[i] = System.nanoTime() - start;
        }
        return row(sha256 ? "(envelope check with verify-sha256)" : "(envelope check alone)", size, nanos);
    }

    private static void check(java.util.Optional<AdapterResult> result, AdapterSource expected) {
        if (result.isEmpty() || result.get().source() != expected) {
            throw new IllegalStateException("expected a hit in " + expected + ", got " + result);
        }
    }

    private static Row row(String tier, String size, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        double mean = Arrays.stream(sorted).average().orElse(0) / 1e6;
        return new Row(
                tier,
                size,
                sorted.length,
                sorted[(int) Math.floor(0.50 * (sorted.length - 1))] / 1e6,
                sorted[(int) Math.floor(0.99 * (sorted.length - 1))] / 1e6,
                mean);
    }

    private static Row redisBenchmark(int port, int size, String label, int n) throws Exception {
        Process p = new ProcessBuilder(
                        "redis-benchmark",
                        "-h",
                        "127.0.0.1",
                        "-p",
                        Integer.toString(port),
                        "-t",
                        "set,get",
                        "-d",
                        Integer.toString(size),
                        "-n",
                        Integer.toString(n),
                        "-c",
                        "1",
                        "--csv")
                .redirectErrorStream(true)
                .start();
        Row row = null;
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms",...
                if (line.startsWith("\"GET\"")) {
                    String[] f = line.replace("\"", "").split(",");
                    row = new Row(
                            "redis-benchmark GET",
                            label,
                            n,
                            Double.parseDouble(f[4]),
                            Double.parseDouble(f[6]),
                            Double.parseDouble(f[2]));
                }
            }
        }
        p.waitFor();
        if (row == null) {
            throw new IllegalStateException("redis-benchmark printed no GET line");
        }
        return row;
    }
}
