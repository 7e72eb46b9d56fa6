package ai.adaptserve.cache;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The Redis tier, through the Vert.x Redis client (the client under {@code quarkus-redis-client}).
 *
 * <p>Keys ({@code <tenant>:} in front when the key has a tenant):
 *
 * <ul>
 *   <li>{@code as:adapter:<id>} — the envelope of an adapter that is durable, with the configured TTL;
 *   <li>{@code as:pending:<id>} — the envelope of an adapter trained while the durable tier was down: usable by every
 *       instance, but not announced as durable (removed when it becomes durable);
 *   <li>{@code as:lock:<id>} — the fleet-wide training lock (see {@link FleetTrainingLock});
 *   <li>{@code as:fence} — the fencing-token counter; channel {@code as:ready} — ready notifications.
 * </ul>
 *
 * <p>Values are binary. Only adapters whose stored form is at most {@code redis.max-value-bytes} are written; reads
 * use {@code GETRANGE 0 max-value-bytes}, so even a foreign, huge value costs at most that much. Multi-command writes
 * are pipelined in one round trip; every call is bounded by {@code redis.timeout}.
 */
final class RedisTier implements AutoCloseable {

    static final String READY_CHANNEL = "as:ready";
    static final String FENCE_KEY = "as:fence";

    private final AdapterCacheConfig.Redis config;
    private final RedisOptions options;
    private final Redis client;

    RedisTier(Vertx vertx, AdapterCacheConfig.Redis config) {
        this.config = config;
        this.options = options(config);
        this.client = Redis.createClient(vertx, options);
    }

    static RedisOptions options(AdapterCacheConfig.Redis config) {
        RedisOptions options = new RedisOptions()
                .setConnectionString(config.url())
                .setMaxPoolSize(config.maxPoolSize())
                .setMaxPoolWaiting(4096)
                .setMaxWaitingHandlers(4096)
                .setPoolName("adaptserve-adapter-cache");
        options.getNetClientOptions()
                .setConnectTimeout(
                        (int) Math.min(Integer.MAX_VALUE, config.timeout().toMillis()))
                .setTcpNoDelay(true)
                .setTcpKeepAlive(true);
        return options;
    }

    RedisOptions options() {
        return new RedisOptions(options);
    }

    Redis client() {
        return client;
    }

    Duration timeout() {
        return config.timeout();
    }

    static String namespace(AdapterKey key) {
        return key.tenant().map(t -> t + ":").orElse("");
    }

    static String dataKey(AdapterKey key) {
        return namespace(key) + "as:adapter:" + key.id();
    }

    static String pendingKey(AdapterKey key) {
        return namespace(key) + "as:pending:" + key.id();
    }

    static String lockKey(AdapterKey key) {
        return namespace(key) + "as:lock:" + key.id();
    }

    boolean fits(StoredAdapter adapter) {
        return adapter.storedLength() <= config.maxValueBytes();
    }

    /** The announced (durable) entry of {@code key}. */
    Optional<byte[]> get(AdapterKey key) throws TierUnavailableException, BadEntryException {
        return getBounded(dataKey(key));
    }

    /** The entry of {@code key} that is not durable yet. */
    Optional<byte[]> getPending(AdapterKey key) throws TierUnavailableException, BadEntryException {
        return getBounded(pendingKey(key));
    }

    private Optional<byte[]> getBounded(String redisKey) throws TierUnavailableException, BadEntryException {
        Response response;
        try {
            response = call(Request.cmd(Command.GETRANGE).arg(redisKey).arg(0).arg(config.maxValueBytes()));
        } catch (TierUnavailableException e) {
            if (e.getCause() != null
                    && String.valueOf(e.getCause().getMessage()).startsWith("WRONGTYPE")) {
                throw BadEntryException.corrupt("wrong-type", redisKey + " is not a string");
            }
            throw e;
        }
        byte[] bytes = response == null ? null : response.toBytes();
        // GETRANGE gives "" for a missing key; an envelope is never empty.
        return bytes == null || bytes.length == 0 ? Optional.empty() : Optional.of(bytes);
    }

    /**
     * Makes a durable adapter visible to the fleet, pipelined: {@code SET as:adapter:<id> PX ttl NX} (if it fits),
     * {@code DEL as:pending:<id>}, {@code PUBLISH as:ready <qualified id>}.
     */
    void announce(StoredAdapter adapter) throws TierUnavailableException {
        AdapterKey key = adapter.key();
        List<Request> batch = new ArrayList<>(3);
        if (fits(adapter)) {
            batch.add(set(dataKey(key), adapter.envelope()));
        }
        batch.add(Request.cmd(Command.DEL).arg(pendingKey(key)));
        batch.add(publish(key));
        await(client.batch(batch).toCompletionStage(), "announce " + key.qualifiedId());
    }

    /** Shares an adapter that is not durable yet: {@code SET as:pending:<id> PX ttl NX} (if it fits) and a notification. */
    void sharePending(StoredAdapter adapter) throws TierUnavailableException {
        AdapterKey key = adapter.key();
        List<Request> batch = new ArrayList<>(2);
        if (fits(adapter)) {
            batch.add(set(pendingKey(key), adapter.envelope()));
        }
        batch.add(publish(key));
        await(client.batch(batch).toCompletionStage(), "share pending " + key.qualifiedId());
    }

    /** Writes the announced entry only (a promotion from the durable tier), without waiting. */
    CompletionStage<Response> promote(StoredAdapter adapter) {
        return client.send(set(dataKey(adapter.key()), adapter.envelope())).toCompletionStage();
    }

    /** A round trip: succeeds when Redis answers. */
    void ping() throws TierUnavailableException {
        call(Request.cmd(Command.PING));
    }

    void delete(AdapterKey key) throws TierUnavailableException {
        call(Request.cmd(Command.DEL).arg(dataKey(key)));
    }

    void deletePending(AdapterKey key) throws TierUnavailableException {
        call(Request.cmd(Command.DEL).arg(pendingKey(key)));
    }

    Response call(Request request) throws TierUnavailableException {
        return await(client.send(request).toCompletionStage(), request.command().toString());
    }

    private <T> T await(CompletionStage<T> stage, String what) throws TierUnavailableException {
        return Await.await(stage, config.timeout(), "Redis " + what);
    }

    /** {@code SET … PX ttl NX}: create-only, like every write of the cache, so the first writer's bytes stay. */
    private Request set(String redisKey, byte[] envelope) {
        return Request.cmd(Command.SET)
                .arg(redisKey)
                .arg(envelope)
                .arg("PX")
                .arg(config.ttl().toMillis())
                .arg("NX");
    }

    private static Request publish(AdapterKey key) {
        return Request.cmd(Command.PUBLISH).arg(READY_CHANNEL).arg(key.qualifiedId());
    }

    @Override
    public void close() {
        client.close();
    }
}
