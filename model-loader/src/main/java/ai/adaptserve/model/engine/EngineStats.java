package ai.adaptserve.model.engine;

import ai.adaptserve.model.adapter.PreparedAdapters;

/**
 * A snapshot of an engine, for metrics and autoscaling.
 *
 * @param runningRows rows being prefilled or decoded
 * @param waitingRequests requests waiting for slots
 * @param kvBytesInUse bytes of the slots held by rows
 * @param kvBytesTotal bytes of every slot (the preallocated budget actually used)
 * @param slots number of slots
 * @param steps decode steps run since start
 * @param tokens tokens produced since start (every row of every step, and each row's first token)
 * @param stepNanos time spent in decode steps since start
 * @param prefillNanos time spent in prefill chunks since start
 * @param prefillPasses forward passes run for prompts since start (a chunk of one prompt, or whole prompts together)
 * @param promptsPrefilled prompts whose prefill ended since start
 * @param lastStepNanos duration of the last decode step
 * @param preparedAdapters the adapters prepared across requests: hits, misses, evictions, bytes
 */
public record EngineStats(
        int runningRows,
        int waitingRequests,
        long kvBytesInUse,
        long kvBytesTotal,
        int slots,
        long steps,
        long tokens,
        long stepNanos,
        long prefillNanos,
        long prefillPasses,
        long promptsPrefilled,
        long lastStepNanos,
        PreparedAdapters.Stats preparedAdapters) {}
