package ai.adaptserve.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * A real S3 endpoint: s3proxy (filesystem backend, AWS v2/v4 authentication with fixed credentials) as a child
 * process on a free port. The jar is put in {@code target/s3proxy/} by the build (maven-dependency-plugin). Public, in
 * this module's test-jar, for the application's tests too.
 *
 * <p>{@link #shared()} is one instance for the whole test run; tests that stop S3 start their own with {@link
 * #start()}. A port found free can be taken by another test run before s3proxy binds it: the endpoint is then
 * recognised as not ours (it lacks the bucket only our data directory has) and s3proxy started on another port.
 */
public final class S3Proxy implements AutoCloseable {

    public static final String ACCESS_KEY = "adaptserve-test";
    public static final String SECRET_KEY = "adaptserve-test-secret";

    private static S3Proxy shared;
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    private final Path dir;
    /** A bucket that exists only in this instance's data directory: proof that the endpoint is ours. */
    private final String ownBucket = "own-" + UUID.randomUUID().toString().substring(0, 8);

    private int port;
    private Process process;
    private S3AsyncClient client;

    private S3Proxy() {
        try {
            this.dir = Files.createTempDirectory("s3proxy-test-");
            Files.createDirectories(dir.resolve("data").resolve(ownBucket));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void writeProperties() {
        try {
            Files.writeString(
                    dir.resolve("s3proxy.properties"),
                    String.join(
                            "\n",
                            "s3proxy.endpoint=http://127.0.0.1:" + port,
                            "s3proxy.authorization=aws-v2-or-v4",
                            "s3proxy.identity=" + ACCESS_KEY,
                            "s3proxy.credential=" + SECRET_KEY,
                            "jclouds.provider=filesystem",
                            "jclouds.filesystem.basedir=" + dir.resolve("data"),
                            ""));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The instance shared by all tests of this run (stopped when the JVM exits). */
    public static synchronized S3Proxy shared() {
        if (shared == null) {
            S3Proxy s = start();
            Runtime.getRuntime().addShutdownHook(new Thread(s::close));
            shared = s;
        }
        return shared;
    }

    /** A new instance of one's own; {@link #close()} it. */
    public static S3Proxy start() {
        S3Proxy s = new S3Proxy();
        Processes.onFreePort(p -> {
            s.port = p;
            s.writeProperties();
            s.startProcess();
        });
        return s;
    }

    static Path jar() {
        Path jar = Path.of(System.getProperty("s3proxy.jar", "target/s3proxy/s3proxy.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar
                    + " is missing: run the tests through Maven (`./mvnw -pl adapter-cache verify`), which copies it");
        }
        return jar;
    }

    /** Starts the process (again), on the same port and with the same data. */
    public void startProcess() {
        Path log = dir.resolve("s3proxy.log");
        ProcessBuilder pb = new ProcessBuilder(List.of(
                        Processes.java(),
                        "-Xmx256m",
                        "-XX:+UseSerialGC",
                        "-XX:TieredStopAtLevel=1",
                        // Class-data sharing archive, made by the first start: halves later start-ups (JDK 19+).
                        "-XX:+AutoCreateSharedArchive",
                        "-XX:SharedArchiveFile=" + jar().resolveSibling("s3proxy.jsa"),
                        "-jar",
                        jar().toString(),
                        "--properties",
                        dir.resolve("s3proxy.properties").toString()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("LOG_LEVEL", "warn");
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Processes.awaitPort(process, port, Duration.ofSeconds(60), log);
        if (!answersAsUs()) {
            Processes.stop(process);
            throw new Processes.PortTaken(port);
        }
    }

    private boolean answersAsUs() {
        try {
            client().headBucket(r -> r.bucket(ownBucket)).join();
            return process.isAlive();
        } catch (RuntimeException e) {
            synchronized (this) {
                client.close();
                client = null;
            }
            return false;
        }
    }

    public void stopProcess() {
        Processes.stop(process);
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** A new, empty bucket. */
    public String newBucket() {
        String bucket = "adapters-" + BUCKETS.incrementAndGet() + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        client().createBucket(r -> r.bucket(bucket)).join();
        return bucket;
    }

    /** The cache's S3 configuration for {@code bucket} on this endpoint. */
    public AdapterCacheConfig.S3 config(String bucket) {
        return AdapterCacheConfig.S3
                .builder(bucket)
                .endpoint(endpoint())
                .credentials(ACCESS_KEY, SECRET_KEY)
                .timeout(Duration.ofSeconds(3))
                .retryInterval(Duration.ofMillis(200))
                .build();
    }

    public synchronized S3AsyncClient client() {
        if (client == null) {
            client = S3AsyncClient.builder()
                    .endpointOverride(endpoint())
                    .forcePathStyle(true)
                    .region(Region.US_EAST_1)
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                    .credentialsProvider(
                            StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                    .build();
        }
        return client;
    }

    public byte[] getObject(String bucket, String key) {
        try {
            return client().getObject(r -> r.bucket(bucket).key(key), AsyncResponseTransformer.toBytes())
                    .join()
                    .asByteArray();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof NoSuchKeyException) {
                return null;
            }
            throw e;
        }
    }

    public void putObject(String bucket, String key, byte[] bytes) {
        client().putObject(r -> r.bucket(bucket).key(key), AsyncRequestBody.fromBytes(bytes))
                .join();
    }

    @Override
    public synchronized void close() {
        if (client != null) {
            client.close();
            client = null;
        }
        stopProcess();
    }
}
