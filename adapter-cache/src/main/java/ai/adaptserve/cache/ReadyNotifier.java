package ai.adaptserve.cache;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.ProtocolVersion;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Wakes local waiters when another instance publishes on {@code as:ready} (an adapter announced, or a lock released).
 *
 * <p>One dedicated subscriber connection, opened on first use and reopened on the next wait after it drops. A missed
 * notification costs only latency: waiters also poll with back-off.
 */
final class ReadyNotifier implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ReadyNotifier.class.getName());

    private final Redis client;
    private final Map<String, CompletableFuture<Void>> waiters = new ConcurrentHashMap<>();
    private final AtomicBoolean connecting = new AtomicBoolean();
    private volatile RedisConnection connection;
    private volatile boolean closed;

    ReadyNotifier(Vertx vertx, RedisTier redis) {
        this.client = Redis.createClient(
                vertx,
                redis.options()
                        .setMaxPoolSize(1)
                        .setPoolName("adaptserve-adapter-cache-pubsub")
                        .setPreferredProtocolVersion(ProtocolVersion.RESP2));
    }

    /**
     * A future completed by the next notification for {@code qualifiedId}. Register <em>before</em> looking, so that a
     * notification between the look and the wait is not lost.
     */
    CompletableFuture<Void> next(String qualifiedId) {
        ensureSubscribed();
        return waiters.computeIfAbsent(qualifiedId, k -> new CompletableFuture<>());
    }

    void forget(String qualifiedId, CompletableFuture<Void> future) {
        waiters.remove(qualifiedId, future);
    }

    private void ensureSubscribed() {
        if (closed || connection != null || !connecting.compareAndSet(false, true)) {
            return;
        }
        client.connect().onComplete(connected -> {
            if (connected.failed()) {
                connecting.set(false);
                LOG.log(System.Logger.Level.DEBUG, "adapter cache: pub/sub connect failed: {0}", connected.cause());
                return;
            }
            RedisConnection c = connected.result();
            c.handler(this::onMessage);
            c.exceptionHandler(e -> dropped(c));
            c.endHandler(v -> dropped(c));
            c.send(Request.cmd(Command.SUBSCRIBE).arg(RedisTier.READY_CHANNEL)).onComplete(subscribed -> {
                if (subscribed.succeeded() && !closed) {
                    connection = c;
                } else {
                    c.close();
                }
                connecting.set(false);
            });
        });
    }

    private void dropped(RedisConnection c) {
        if (connection == c) {
            connection = null;
        }
        c.close();
    }

    private void onMessage(Response message) {
        if (message != null
                && message.size() == 3
                && "message".equals(message.get(0).toString())
                && message.get(2) != null) {
            CompletableFuture<Void> waiter = waiters.remove(message.get(2).toString());
            if (waiter != null) {
                waiter.complete(null);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        RedisConnection c = connection;
        connection = null;
        if (c != null) {
            c.close();
        }
        client.close();
        waiters.values().forEach(f -> f.complete(null));
    }
}
