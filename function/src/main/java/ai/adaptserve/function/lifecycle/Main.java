package ai.adaptserve.function.lifecycle;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.util.logging.LogManager;

/**
 * The service's entry point: starts loading the native libraries before Quarkus boots (about a second of work that
 * otherwise waits for Quarkus's start event), then runs Quarkus as usual.
 */
@QuarkusMain
public final class Main {

    private Main() {}

    public static void main(String... args) {
        // Quarkus's log manager (already named by java.util.logging.manager here) is set up on this thread first:
        // DJL's loggers on the preload thread would otherwise set it up at the same time, and the two deadlock.
        LogManager.getLogManager();
        NativePreload.start();
        Quarkus.run(args);
    }
}
