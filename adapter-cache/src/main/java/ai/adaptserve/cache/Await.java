package ai.adaptserve.cache;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Blocking on a remote call's future, with a bound. */
final class Await {

    private Await() {}

    static <T> T await(CompletionStage<T> stage, Duration timeout, String what) throws TierUnavailableException {
        CompletableFuture<T> future = stage.toCompletableFuture();
        try {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(false);
            throw new TierUnavailableException(what + " timed out after " + timeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            throw new TierUnavailableException(what + " failed: " + unwrap(e), unwrap(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TierUnavailableException(what + " interrupted", e);
        }
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
