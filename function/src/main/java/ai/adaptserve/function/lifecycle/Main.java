package ai.adaptserve.function.lifecycle;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.logging.LogManager;

/**
 * The service's entry point: starts loading the native libraries and the base model before Quarkus boots (one to two
 * seconds of work that would otherwise wait for Quarkus's start event), then runs Quarkus as usual.
 */
@QuarkusMain
public final class Main {

    private static final String NO_JAVAFX = "org.hibernate.validator.force-disable-javafx-integration";

    private Main() {}

    public static void main(String... args) {
        // Quarkus's log manager (already named by java.util.logging.manager here) is set up on this thread first:
        // DJL's loggers on the preload thread would otherwise set it up at the same time, and the two deadlock.
        LogManager.getLogManager();
        CompletableFuture<NativePreload.Loaded> natives = NativePreload.start();
        // The model's own load (files, weights, experts, router: most of a second) on its own thread too, on the plan
        // the system properties and the environment give; ModelLifecycle takes it over if the configuration agrees.
        ModelPlan.guess(properties(), System.getenv(), Path.of(""))
                .ifPresent(plan ->
                        EarlyLoad.MODEL.start(plan, p -> ModelLoad.run(p, natives), "adaptserve-model-preload"));
        loadJdkNativeLibraries();
        // Hibernate Validator looks for JavaFX at start: a class lookup that misses on every jar of the class path and
        // a logged exception with its stack trace (the top cost of Quarkus's static init in the profile); there is
        // no JavaFX here.
        if (System.getProperty(NO_JAVAFX) == null) {
            System.setProperty(NO_JAVAFX, "true");
        }
        Quarkus.run(args);
    }

    private static Map<String, String> properties() {
        Map<String, String> properties = new HashMap<>();
        System.getProperties().forEach((k, v) -> properties.put(String.valueOf(k), String.valueOf(v)));
        return properties;
    }

    /**
     * Loads the JDK's native libraries that Quarkus's start needs (sockets: libextnet; metrics: libmanagement,
     * libmanagement_ext) while the preload thread is still finding libtorch's files: once it opens libtorch, it holds
     * the dynamic linker's lock for the whole load (a second or more), and a library loaded meanwhile waits for it
     * (the profile showed Vert.x's socket set-up and Micrometer's JVM metrics stalled there). Quarkus would do this
     * work on this thread a little later anyway.
     */
    private static void loadJdkNativeLibraries() {
        try (ServerSocketChannel unused = ServerSocketChannel.open()) {
            // opening one initialises the JDK's socket support, extended socket options included
        } catch (IOException | RuntimeException e) {
            // only an earlier start of what Quarkus does anyway, which reports its own failures
        }
        ManagementFactory.getClassLoadingMXBean();
        ManagementFactory.getOperatingSystemMXBean();
    }
}
