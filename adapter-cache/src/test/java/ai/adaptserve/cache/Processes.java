package ai.adaptserve.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Helpers for the server processes the tests start. */
final class Processes {

    private Processes() {}

    /** Another process bound the port between our finding it free and our server binding it. */
    static final class PortTaken extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PortTaken(int port) {
            super("port " + port + " was taken by another process before our server bound it");
        }
    }

    /**
     * Runs {@code start} with a free port, and again with another while it throws {@link PortTaken} or its process
     * died at start (a port is only free until someone binds it: other test runs share this machine).
     */
    static void onFreePort(java.util.function.IntConsumer start) {
        RuntimeException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                start.accept(freePort());
                return;
            } catch (PortTaken | ExitedAtStart e) {
                last = e;
            }
        }
        throw new IllegalStateException("no free port after 5 attempts", last);
    }

    /** The server's process ended before it listened (on a taken port, it cannot bind). */
    static final class ExitedAtStart extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        ExitedAtStart(String message) {
            super(message);
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until something accepts connections on {@code port}, or fails if {@code process} died first. */
    static void awaitPort(Process process, int port, Duration timeout, Path log) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new ExitedAtStart("process exited with " + process.exitValue() + "; see " + log);
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                sleep(25);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("nothing listened on port " + port + " within " + timeout + "; see " + log);
    }

    static void stop(Process process) {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** The java launcher of the running JVM, for child processes. */
    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
