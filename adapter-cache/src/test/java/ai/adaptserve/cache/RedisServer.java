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
 * {@code @RegisterExtension}). It can be stopped and started again on the same port, empty. Public, in this module's
 * test-jar, for the application's tests too.
 *
 * <p>Other test runs on the same machine pick free ports too: a port found free can be taken before this server binds
 * it. The server is then recognised as not ours (its {@code dir} is not our directory) and started on another port.
 */
public final class RedisServer implements BeforeEachCallback, AfterEachCallback {

    private int port;
    private Path dir;
    private Process process;

    @Override
    public void beforeEach(ExtensionContext context) {
        init();
    }

    /** A server outside JUnit (a benchmark, a Quarkus test resource); {@link #stop()} it. */
    public static RedisServer launch() {
        RedisServer server = new RedisServer();
        server.init();
        return server;
    }

    private void init() {
        try {
            dir = Files.createTempDirectory("redis-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Processes.onFreePort(p -> {
            port = p;
            start();
        });
    }

    @Override
    public void afterEach(ExtensionContext context) {
        stop();
    }

    /**
     * Starts the server (again) on the same port.
     *
     * @throws Processes.PortTaken if another process holds the port
     */
    public void start() {
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
        if (!answersAsUs()) {
            Processes.stop(process);
            throw new Processes.PortTaken(port);
        }
    }

    /** Whether what listens on the port is this server: the only one whose working directory is {@link #dir}. */
    private boolean answersAsUs() {
        try (Resp resp = resp()) {
            Object reply = resp.call("CONFIG", "GET", "dir");
            return process.isAlive()
                    && reply instanceof List<?> l
                    && l.size() == 2
                    && l.get(1) instanceof byte[] b
                    && Path.of(new String(b, java.nio.charset.StandardCharsets.UTF_8))
                            .toRealPath()
                            .equals(dir.toRealPath());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    public void stop() {
        Processes.stop(process);
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** A raw client; close it. */
    public Resp resp() {
        return new Resp(port);
    }
}
