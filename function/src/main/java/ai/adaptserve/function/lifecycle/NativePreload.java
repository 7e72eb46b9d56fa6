package ai.adaptserve.function.lifecycle;

import ai.djl.engine.Engine;
import java.util.concurrent.CompletableFuture;

/**
 * Loads libtorch, then the tokenizers' native library, on one daemon thread, started once per class loader: from
 * {@link Main} as the JVM starts, so that the load (the biggest part of the model's start) runs while Quarkus boots,
 * or from {@link ModelLifecycle} where there is no {@code Main} (tests). Both libraries load on the same thread
 * because the dynamic linker loads one library at a time anyway. Nothing here logs: it may run before Quarkus has
 * set up logging; {@link ModelLifecycle} reports what it took.
 */
final class NativePreload {

    /** DJL must never reach for the network; the native library ships in the pytorch-native-cpu jar. */
    static final String DJL_OFFLINE = "ai.djl.offline";

    /** What the load found and what it took. */
    record Loaded(int gpus, long libtorchMillis, long tokenizersMillis, String tokenizersFailure) {}

    private static CompletableFuture<Loaded> loaded;

    private NativePreload() {}

    /** Starts the load if it has not started yet; completes with the GPUs libtorch sees, or with its failure. */
    static synchronized CompletableFuture<Loaded> start() {
        if (loaded == null) {
            if (System.getProperty(DJL_OFFLINE) == null) {
                System.setProperty(DJL_OFFLINE, "true");
            }
            CompletableFuture<Loaded> result = new CompletableFuture<>();
            LoaderThread.start("adaptserve-libtorch-loader", () -> load(result));
            loaded = result;
        }
        return loaded;
    }

    private static void load(CompletableFuture<Loaded> result) {
        long start = System.nanoTime();
        int gpus;
        try {
            gpus = Engine.getEngine("PyTorch").getGpuCount();
        } catch (Throwable e) {
            result.completeExceptionally(e);
            return;
        }
        long torch = System.nanoTime();
        String failure = "";
        try {
            // A model with a tokenizer.json needs it; loading it here keeps it off the model loader's path.
            ai.djl.huggingface.tokenizers.jni.LibUtils.checkStatus();
        } catch (Throwable e) {
            // The model loader loads it again if it needs it, and fails there if it must.
            failure = String.valueOf(e);
        }
        result.complete(
                new Loaded(gpus, (torch - start) / 1_000_000, (System.nanoTime() - torch) / 1_000_000, failure));
    }
}
