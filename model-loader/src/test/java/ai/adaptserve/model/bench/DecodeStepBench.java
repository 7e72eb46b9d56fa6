package ai.adaptserve.model.bench;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.config.ModelConfig;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Our decode alone on the SmolLM2-135M-shaped F32 checkpoint of {@code bin/bench-model}: one warm-up generation,
 * then one timed, of {@code --steps} greedy steps at {@code --batch} rows after a 16-token prompt. Nothing else runs
 * in the JVM, so a profiler attached to it (async-profiler through {@code JAVA_TOOL_OPTIONS}) sees only the decoder:
 * two runs with different {@code --steps} give the calls into PyTorch per step by difference (docs/bench.md).
 *
 * <pre>BENCH_MAIN=ai.adaptserve.model.bench.DecodeStepBench bin/bench-model [modelDir] [--steps 32] [--batch 1]</pre>
 */
public final class DecodeStepBench {
    private DecodeStepBench() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 && !args[0].startsWith("--") ? args[0] : "model-loader/target/bench-models");
        int steps = AdapterBench.intOpt(args, "--steps", 32);
        int batch = AdapterBench.intOpt(args, "--batch", 1);
        ModelConfig cfg = ModelThroughputBench.smolLm2Shape();
        Path f32 = dir.resolve("smollm2-135m-shape-f32");
        ModelThroughputBench.ensureCheckpoints(cfg, f32, dir.resolve("smollm2-135m-shape-bf16"), System.err);
        try (LoadedModel model = LoadedModel.load(f32)) {
            ModelThroughputBench.Ours ours = new ModelThroughputBench.Ours(model, "F32");
            int[][] prompts = ModelThroughputBench.prompts(cfg.vocabSize(), batch, 16);
            ours.run(prompts, steps);
            ModelThroughputBench.Sample s = ours.run(prompts, steps);
            System.out.printf(
                    Locale.ROOT,
                    "decode: batch %d, %d steps, %.1f tok/s (%.1f ms per step)%n",
                    batch,
                    steps,
                    s.decodeTps()[0],
                    1000.0 * batch / s.decodeTps()[0]);
        }
    }
}
