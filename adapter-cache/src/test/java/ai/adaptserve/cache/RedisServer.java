package ai.adaptserve.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real {@code redis-server} process on a free port, without persistence, fresh for every test (register with
 * {@code @RegisterExtension}). It can be stopped and started again on the same port, empty.
 */
final class RedisServer implements BeforeEachCallback, AfterEachCallback {

    private int port;
    private Path dir;
    private Process process;

    @Override
    public void beforeEach(ExtensionContext context) {
        init();
    }

    /** A server outside JUnit (the benchmark); {@link #stop()} it. */
    static RedisServer launch() {
        RedisServer server = new RedisServer();
        server.init();
        return server;
    }

    private void init() {
        port = Processes.freePort();
        try {
            dir = Files.createTempDirectory("redis-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        start();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        stop();
    }

    /** Starts the server (again) on the same port. */
    void start() {
        Path log = dir.resolve("redis.log");
        try {
            process = new ProcessBuilder(List.of(
                            "redis-server",
                            "--port",
                            Integer.toString(port),
                            "--bind",
                            "127.0.0.1",
                            "--save",
                            "",
                            "--appendonly",
                            "no",
                            "--dir",
                            dir.toString(),
                            "--loglevel",
                            "warning"))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start redis-server (apt-get install redis-server): " + e, e);
        }
        Processes.awaitPort(process, port, Duration.ofSeconds(20), log);
    }

    void stop() {
        Processes.stop(process);
    }

    int port() {
        return port;
    }

    String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** A raw client; close it. */
    Resp resp() {
        return new Resp(port);
    }
}
