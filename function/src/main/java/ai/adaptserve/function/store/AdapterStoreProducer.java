package ai.adaptserve.function.store;

import ai.adaptserve.cache.AdapterCacheConfig;
import ai.adaptserve.cache.AdapterDecoder;
import ai.adaptserve.cache.AdapterStore;
import ai.adaptserve.cache.TieredAdapterStore;
import ai.adaptserve.cache.TrainingLimits;
import ai.adaptserve.function.settings.AdaptServeConfig;
import ai.adaptserve.function.settings.CacheConfig;
import ai.adaptserve.function.settings.CacheConfigMapper;
import ai.adaptserve.model.adapter.AdapterFile;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * The application's {@link AdapterStore}: built when the application starts (a bad {@code adaptserve.cache.*} value
 * stops start-up, naming the key), with Quarkus' Vert.x instance for the Redis client, its {@link MeterRegistry} (so
 * the {@code adapter_cache_*} meters are on {@code /q/metrics}) and the decoder of the forward pass (so that the memory
 * tier holds hot adapters parsed, once); closed when the application stops.
 */
@ApplicationScoped
public class AdapterStoreProducer {

    private static final Logger LOG = Logger.getLogger(AdapterStoreProducer.class);

    private ExecutorService training;

    /** The cache configuration, mapped from {@code adaptserve.cache.*} onto the library's defaults. */
    @Produces
    @Singleton
    AdapterCacheConfig cacheConfig(CacheConfig config) {
        return CacheConfigMapper.map(config);
    }

    @Produces
    @Singleton
    @Startup
    AdapterStore store(
            AdapterCacheConfig mapped,
            AdaptServeConfig appConfig,
            Vertx vertx,
            MeterRegistry registry,
            AdapterDecoder<AdapterFile.Read> decoder) {
        // At most adaptserve.ttt.max-concurrent trainings at once, admitted by the store's training queue (bounded by
        // max-queued, per tenant by max-running-per-tenant); the pool is as large, so an admitted training runs at
        // once.
        AdaptServeConfig.Ttt ttt = appConfig.ttt();
        training = Executors.newFixedThreadPool(ttt.maxConcurrent(), trainingThreads());
        return TieredAdapterStore.builder(mapped)
                .meterRegistry(registry)
                .vertx(vertx)
                .trainingExecutor(training)
                .trainingLimits(new TrainingLimits(ttt.maxConcurrent(), ttt.maxQueued(), ttt.maxRunningPerTenant()))
                .decoder(decoder)
                .build();
    }

    void close(@Disposes AdapterStore store) {
        store.close();
        if (training != null) {
            training.shutdownNow();
            try {
                if (!training.awaitTermination(10, TimeUnit.SECONDS)) {
                    LOG.warn("Adapter trainings still running at shutdown");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Daemon threads whose context class loader is the application's: DJL finds its engine with ServiceLoader on it,
     * and a pool thread would otherwise inherit whatever loader the thread that first needed it had.
     */
    private static ThreadFactory trainingThreads() {
        ClassLoader loader = AdapterStoreProducer.class.getClassLoader();
        AtomicInteger n = new AtomicInteger();
        return task -> {
            Thread t = new Thread(task, "adaptserve-train-" + n.incrementAndGet());
            t.setDaemon(true);
            t.setContextClassLoader(loader);
            return t;
        };
    }
}
