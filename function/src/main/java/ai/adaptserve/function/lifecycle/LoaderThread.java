package ai.adaptserve.function.lifecycle;

/** Daemon threads that load native libraries or the model, off Quarkus's start. */
final class LoaderThread {
    private LoaderThread() {}

    /**
     * Starts {@code body} on a daemon thread named {@code name} whose context class loader is the application's: DJL
     * finds its engines with ServiceLoader on the context class loader.
     */
    static void start(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.setContextClassLoader(LoaderThread.class.getClassLoader());
        thread.start();
    }
}
