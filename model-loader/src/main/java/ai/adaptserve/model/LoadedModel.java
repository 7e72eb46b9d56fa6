package ai.adaptserve.model;

import ai.adaptserve.model.adapter.Adapter;
import ai.adaptserve.model.adapter.AdapterBatch;
import ai.adaptserve.model.adapter.MatrixRef;
import ai.adaptserve.model.adapter.PreparedAdapters;
import ai.adaptserve.model.adapter.RowAdapterBatch;
import ai.adaptserve.model.adapter.SvdFactors;
import ai.adaptserve.model.adapter.ZVector;
import ai.adaptserve.model.checkpoint.CheckpointTensors;
import ai.adaptserve.model.checkpoint.MalformedCheckpointException;
import ai.adaptserve.model.config.ModelConfig;
import ai.adaptserve.model.generate.BatchGenerator;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.generate.GenerationParams;
import ai.adaptserve.model.generate.Prefill;
import ai.adaptserve.model.generate.PromptTokens;
import ai.adaptserve.model.generate.TextGenerator;
import ai.adaptserve.model.llama.DecodeSession;
import ai.adaptserve.model.llama.LlamaDecoder;
import ai.adaptserve.model.llama.LlamaWeights;
import ai.adaptserve.model.tokenizer.ByteTokenizer;
import ai.adaptserve.model.tokenizer.HfTokenizer;
import ai.adaptserve.model.tokenizer.TextTokenizer;
import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/** A checkpoint loaded into DJL, ready to generate. Closing it frees its native memory. */
public final class LoadedModel implements TextGenerator, AutoCloseable {
    private final Path dir;
    private final ModelConfig config;
    private final String fingerprint;
    private final NDManager root;
    private final LlamaWeights weights;
    private final LlamaDecoder decoder;
    private final TextTokenizer tokenizer;
    private final BatchGenerator generator;
    private final ModelOptions options;
    private final Object svdLock = new Object();
    private volatile SvdFactors svd;

    private LoadedModel(
            Path dir,
            ModelConfig config,
            String fingerprint,
            NDManager root,
            LlamaWeights weights,
            TextTokenizer tokenizer,
            ModelOptions options) {
        this.dir = dir;
        this.options = options;
        this.config = config;
        this.fingerprint = fingerprint;
        this.root = root;
        this.weights = weights;
        this.decoder = new LlamaDecoder(weights);
        this.tokenizer = tokenizer;
        Set<Integer> eos = new HashSet<>(config.eosTokenIds());
        this.generator = new BatchGenerator(
                decoder,
                tokenizer,
                eos,
                config.maxPositionEmbeddings(),
                config.bosTokenId().isPresent());
    }

    /** Loads a Hugging Face-format checkpoint directory (config.json, safetensors, tokenizer) in F32. */
    public static LoadedModel load(Path checkpointDir) {
        return load(checkpointDir, ModelOptions.defaults());
    }

    /**
     * Loads a checkpoint directory. Problems with the files come back as {@link IllegalArgumentException}s that
     * name the file and, where there is one, the tensor.
     */
    public static LoadedModel load(Path checkpointDir, ModelOptions options) {
        Path dir = checkpointDir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("model directory " + dir + " does not exist");
        }
        ModelConfig config;
        String fingerprint;
        try {
            config = ModelConfig.read(dir);
            fingerprint = ModelFingerprint.of(dir);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        Engine engine = Engine.getEngine("PyTorch");
        Device device = options.device().isBlank() ? engine.defaultDevice() : Device.fromName(options.device());
        NDManager root = engine.newBaseManager(device);
        TextTokenizer tokenizer = null;
        try (CheckpointTensors tensors = CheckpointTensors.open(dir)) {
            LlamaWeights weights = LlamaWeights.load(config, tensors, dir, root, options.computeType());
            Path tj = dir.resolve("tokenizer.json");
            tokenizer = Files.isRegularFile(tj) ? new HfTokenizer(tj) : new ByteTokenizer(config.bosTokenId());
            return new LoadedModel(dir, config, fingerprint, root, weights, tokenizer, options);
        } catch (MalformedCheckpointException e) {
            root.close();
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IOException e) {
            root.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            root.close();
            if (tokenizer != null) {
                tokenizer.close();
            }
            throw e;
        }
    }

    /** Stable id of the base weights (sha256 over config and tensor bytes), used to key adapters. */
    public String fingerprint() {
        return fingerprint;
    }

    /** The checkpoint directory's name, shown in /v1/models. */
    public String name() {
        return dir.getFileName().toString();
    }

    public Path directory() {
        return dir;
    }

    public ModelConfig config() {
        return config;
    }

    public LlamaDecoder decoder() {
        return decoder;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /** Native arrays held by the weights; stays constant while the model serves (a leak check). */
    public int nativeArrayCount() {
        return weights.nativeArrayCount();
    }

    /** Token ids of a prompt as the model sees it (with BOS where the model uses one). */
    public int[] encode(String prompt) {
        return generator.encode(prompt);
    }

    /** Prompts per forward pass in {@link #promptFeatures}. */
    static final int FEATURE_BATCH = 16;

    /**
     * Features of each prompt for routing (feature kind {@code mean+last.v1}), under the base model: the final-normed
     * hidden state (what the output head reads) averaged over the prompt's tokens, followed by the hidden state at
     * its last token; {@code 2 * hiddenSize} values per prompt. The prompt is encoded as {@link #encode} does (with
     * BOS where the model uses one). Prompts are batched by length; padding does not change a prompt's features.
     *
     * @throws IllegalArgumentException for a prompt that encodes to no tokens or does not fit the context
     */
    public float[][] promptFeatures(List<String> prompts) {
        int n = prompts.size();
        int[][] ids = new int[n][];
        for (int i = 0; i < n; i++) {
            ids[i] = encode(prompts.get(i));
            if (ids[i].length == 0) {
                throw new IllegalArgumentException("prompt " + i + " encodes to no tokens");
            }
            if (ids[i].length > config.maxPositionEmbeddings()) {
                throw new IllegalArgumentException("prompt " + i + " has " + ids[i].length
                        + " tokens; the context holds " + config.maxPositionEmbeddings());
            }
        }
        // Similar lengths share a batch, so little is spent on padding.
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> ids[i].length));
        int hidden = config.hiddenSize();
        float[][] out = new float[n][];
        for (int start = 0; start < n; start += FEATURE_BATCH) {
            int b = Math.min(FEATURE_BATCH, n - start);
            int[][] rows = new int[b][];
            for (int r = 0; r < b; r++) {
                rows[r] = ids[order[start + r]];
            }
            float[] h;
            int maxLen = rows[b - 1].length;
            try (NDManager step = weights.manager().newSubManager()) {
                h = decoder.hiddenAllPositions(step, rows, AdapterBatch.NONE).toFloatArray();
            }
            for (int r = 0; r < b; r++) {
                int len = rows[r].length;
                out[order[start + r]] = meanAndLast(h, (r * maxLen + maxLen - len) * hidden, len, hidden);
            }
        }
        return out;
    }

    /**
     * The routing features of a prefilled prompt, as {@link #promptFeatures(List)} computes them for its text: read
     * from the prefill's hidden states, without another forward pass.
     */
    public float[] promptFeatures(Prefill prefill) {
        if (!prefill.madeBy(generator)) {
            throw new IllegalArgumentException("this prefill was made by another model");
        }
        return meanAndLast(prefill.hiddenStates(), 0, prefill.prompt().length(), config.hiddenSize());
    }

    /** Feature kind {@code mean+last.v1} of {@code len} positions of {@code hidden} values in {@code h} from {@code from}. */
    private static float[] meanAndLast(float[] h, int from, int len, int hidden) {
        double[] sum = new double[hidden];
        for (int p = 0; p < len; p++) {
            int off = from + p * hidden;
            for (int d = 0; d < hidden; d++) {
                sum[d] += h[off + d];
            }
        }
        float[] f = new float[2 * hidden];
        int last = from + (len - 1) * hidden;
        for (int d = 0; d < hidden; d++) {
            f[d] = (float) (sum[d] / len);
            f[hidden + d] = h[last + d];
        }
        return f;
    }

    /**
     * Runs the prompt through the base model once, for the router ({@link #promptFeatures(Prefill)}) and for a base
     * model answer ({@link #generate(Prefill, List)}) alike. Close it.
     *
     * @throws IllegalArgumentException for a prompt without tokens or without room for an answer in the context
     */
    public Prefill prefill(PromptTokens prompt) {
        return generator.prefill(prompt);
    }

    /**
     * Answers the prefilled prompt with the base model, one generation per entry of {@code params}, decoding on from
     * the prefill's cache; see {@link Prefill} for why an adapter cannot.
     */
    public List<Generation> generate(Prefill prefill, List<GenerationParams> params) {
        return generator.generate(prefill, params);
    }

    @Override
    public PromptTokens tokenize(String text) {
        return generator.tokenize(text);
    }

    @Override
    public List<Generation> generateFromTokens(List<PromptTokens> prompts, List<GenerationParams> params) {
        return generator.generateFromTokens(prompts, params);
    }

    /**
     * Generates with one adapter (or none) per row, all in one batch.
     *
     * @throws IllegalArgumentException when an adapter does not fit this model (shapes, or a z-vector on a
     *     matrix that is not factored)
     */
    public List<Generation> generate(
            List<String> prompts, List<GenerationParams> params, List<Optional<Adapter>> adapters) {
        return generate(prompts, params, adapters, RowAdapterBatch.Execution.AUTO);
    }

    /** As {@link #generate(List, List, List)}, from prompts already tokenized by {@link #tokenize}. */
    public List<Generation> generateFromTokens(
            List<PromptTokens> prompts, List<GenerationParams> params, List<Optional<Adapter>> adapters) {
        return generateFromTokens(prompts, params, adapters, RowAdapterBatch.Execution.AUTO);
    }

    /** As {@link #generate(List, List, List)}, with the execution forced (benchmarks and tests). */
    public List<Generation> generate(
            List<String> prompts,
            List<GenerationParams> params,
            List<Optional<Adapter>> adapters,
            RowAdapterBatch.Execution execution) {
        return generateFromTokens(prompts.stream().map(this::tokenize).toList(), params, adapters, execution);
    }

    private List<Generation> generateFromTokens(
            List<PromptTokens> prompts,
            List<GenerationParams> params,
            List<Optional<Adapter>> adapters,
            RowAdapterBatch.Execution execution) {
        if (adapters.size() != prompts.size()) {
            throw new IllegalArgumentException("need one adapter entry per prompt");
        }
        return generator.generateFromTokens(prompts, params, adapterBatch(adapters, execution));
    }

    /** The adapters of a batch, ready for {@link DecodeSession}; for callers that drive decoding themselves. */
    public Function<NDManager, AdapterBatch> adapterBatch(
            List<Optional<Adapter>> adapters, RowAdapterBatch.Execution execution) {
        return adapterBatch(adapters, execution, null);
    }

    /**
     * As {@link #adapterBatch(List, RowAdapterBatch.Execution)}, with each adapter's tensors taken from {@code
     * prepared} (kept across batches; pinned until the batch's manager closes); null prepares them per batch.
     */
    public Function<NDManager, AdapterBatch> adapterBatch(
            List<Optional<Adapter>> adapters, RowAdapterBatch.Execution execution, PreparedAdapters prepared) {
        SvdFactors factors = needsSvd(adapters) ? svdFactors() : null;
        return owner -> new RowAdapterBatch(adapters, factors, owner, execution, prepared);
    }

    private boolean needsSvd(List<Optional<Adapter>> adapters) {
        boolean any = false;
        for (Optional<Adapter> a : adapters) {
            if (a.isPresent() && a.get() instanceof ZVector z) {
                for (MatrixRef m : z.targets()) {
                    if (!options.svdTargets().contains(m.matrix())) {
                        throw new IllegalArgumentException("z." + m.key() + ": this model factors only "
                                + options.svdTargets() + " for z-vectors");
                    }
                }
                any = true;
            }
        }
        return any;
    }

    /**
     * The SVD factors of the target matrices, computed on first use (or read from their cache file, keyed by
     * the fingerprint) and kept for the model's life.
     */
    public SvdFactors svdFactors() {
        SvdFactors f = svd;
        if (f == null) {
            synchronized (svdLock) {
                f = svd;
                if (f == null) {
                    try {
                        f = SvdFactors.loadOrCompute(weights, fingerprint, options.svdTargets(), svdCacheDir(), root);
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot compute or read SVD factors", e);
                    }
                    svd = f;
                }
            }
        }
        return f;
    }

    private Path svdCacheDir() {
        if (options.svdCacheDir().isPresent()) {
            return options.svdCacheDir().get();
        }
        if (Files.isWritable(dir)) {
            return dir;
        }
        return Path.of(System.getProperty("user.home"), ".cache", "adaptserve", "svd");
    }

    @Override
    public int contextLength() {
        return generator.contextLength();
    }

    @Override
    public void close() {
        if (svd != null) {
            svd.close();
        }
        tokenizer.close();
        root.close();
    }
}
