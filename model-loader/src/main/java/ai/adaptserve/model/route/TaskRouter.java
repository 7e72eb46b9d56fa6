package ai.adaptserve.model.route;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.checkpoint.ChecksummedSafetensors;
import ai.adaptserve.model.checkpoint.SafetensorsWriter;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.generate.Prefill;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Prompt to task family (Transformer²-style routing): a linear softmax classifier over standardised features of the
 * prompt under the base model ({@link LoadedModel#promptFeatures}, feature kind {@value #FEATURE_KIND}). Below the
 * confidence threshold a prompt routes to no family, and the service uses the base model. Immutable and thread-safe.
 *
 * <p>File format: a safetensors file with F32 tensors {@code weight} {@code [C, F]}, {@code bias} {@code [C]},
 * {@code feature_mean} and {@code feature_std} {@code [F]}, and string metadata {@code kind} ({@code router}),
 * {@code format_version} (1), {@code labels} (comma-joined, C of them), {@code threshold}, {@code features}
 * ({@value #FEATURE_KIND}), {@code hidden_size} (F = 2 × hidden size), {@code base_fingerprint}, {@code training}
 * (free-form) and {@code checksum} ({@link ChecksummedSafetensors}). Readers check all of it before use.
 */
public final class TaskRouter {
    /** Mean of the final-normed hidden states over the prompt, then the last position's: 2 × hidden values. */
    public static final String FEATURE_KIND = "mean+last.v1";

    static final String FORMAT_VERSION = "1";
    static final String KIND = "kind";
    static final String FORMAT = "format_version";
    static final String LABELS = "labels";
    static final String THRESHOLD = "threshold";
    static final String FEATURES = "features";
    static final String HIDDEN = "hidden_size";
    static final String BASE = "base_fingerprint";
    static final String TRAINING = "training";
    static final String KIND_ROUTER = "router";
    static final String DOMAIN = "adaptserve-router-v" + FORMAT_VERSION;

    static final String WEIGHT = "weight";
    static final String BIAS = "bias";
    static final String MEAN = "feature_mean";
    static final String STD = "feature_std";

    /**
     * Where a prompt goes.
     *
     * @param label the family to use, empty when {@code confidence} is below the threshold (use the base model)
     * @param best the most probable family, whatever the threshold
     * @param confidence the probability of {@code best} (the largest softmax probability)
     */
    public record Route(Optional<String> label, String best, double confidence) {
        public Route {
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(best, "best");
        }
    }

    private final List<String> labels;
    private final float[][] weight;
    private final float[] bias;
    private final float[] mean;
    private final float[] std;
    private final double threshold;
    private final int hiddenSize;
    private final String baseFingerprint;
    private final String training;

    /**
     * @param labels the C families, unique, non-blank, without commas
     * @param weight {@code [C][F]} over standardised features
     * @param bias {@code [C]}
     * @param mean per-feature mean subtracted before the classifier ({@code [F]})
     * @param std per-feature standard deviation divided by ({@code [F]}, positive)
     * @param threshold in [0, 1]: a confidence below it routes to no family
     * @param hiddenSize the base model's hidden size; F must be {@code 2 * hiddenSize}
     * @param baseFingerprint the base model the features come from
     * @param training free-form summary of how it was trained (may be empty)
     * @throws IllegalArgumentException when any of that does not hold, or a value is not finite
     */
    public TaskRouter(
            List<String> labels,
            float[][] weight,
            float[] bias,
            float[] mean,
            float[] std,
            double threshold,
            int hiddenSize,
            String baseFingerprint,
            String training) {
        this.labels = List.copyOf(labels);
        if (this.labels.isEmpty()) {
            throw new IllegalArgumentException("a router needs at least one label");
        }
        if (new HashSet<>(this.labels).size() != this.labels.size()) {
            throw new IllegalArgumentException("labels are not unique: " + this.labels);
        }
        for (String l : this.labels) {
            if (l.isBlank() || l.contains(",") || !l.strip().equals(l)) {
                throw new IllegalArgumentException("label '" + l + "' is blank, has a comma or surrounding space");
            }
        }
        if (hiddenSize <= 0) {
            throw new IllegalArgumentException("hidden size " + hiddenSize + " is not positive");
        }
        int c = this.labels.size();
        int f = 2 * hiddenSize;
        if (weight.length != c) {
            throw new IllegalArgumentException("weight has " + weight.length + " rows for " + c + " labels");
        }
        this.weight = new float[c][];
        for (int i = 0; i < c; i++) {
            if (weight[i].length != f) {
                throw new IllegalArgumentException("weight row " + i + " has " + weight[i].length + " values, expected "
                        + f + " (2 x hidden size " + hiddenSize + ")");
            }
            this.weight[i] = finite(weight[i], "weight");
        }
        this.bias = checkLength(finite(bias, "bias"), c, "bias");
        this.mean = checkLength(finite(mean, "feature_mean"), f, "feature_mean");
        this.std = checkLength(finite(std, "feature_std"), f, "feature_std");
        for (int i = 0; i < f; i++) {
            if (!(this.std[i] > 0)) {
                throw new IllegalArgumentException("feature_std[" + i + "] = " + this.std[i] + " is not positive");
            }
        }
        if (!(threshold >= 0 && threshold <= 1)) {
            throw new IllegalArgumentException("threshold " + threshold + " is not in [0, 1]");
        }
        this.threshold = threshold;
        this.hiddenSize = hiddenSize;
        this.baseFingerprint = Objects.requireNonNull(baseFingerprint, "baseFingerprint");
        this.training = training == null ? "" : training;
    }

    private static float[] finite(float[] v, String name) {
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new IllegalArgumentException(name + "[" + i + "] = " + v[i] + " is not finite");
            }
        }
        return v.clone();
    }

    private static float[] checkLength(float[] v, int n, String name) {
        if (v.length != n) {
            throw new IllegalArgumentException(name + " has " + v.length + " values, expected " + n);
        }
        return v;
    }

    public List<String> labels() {
        return labels;
    }

    public double threshold() {
        return threshold;
    }

    public int hiddenSize() {
        return hiddenSize;
    }

    /** Number of features a prompt needs: {@code 2 * hiddenSize()}. */
    public int featureCount() {
        return 2 * hiddenSize;
    }

    public String baseFingerprint() {
        return baseFingerprint;
    }

    public String training() {
        return training;
    }

    /**
     * The same classifier with another threshold. Hand-written: a router is a class (it keeps defensive copies of its
     * arrays), not a record, so there is no generated wither for it.
     */
    public TaskRouter withThreshold(double newThreshold) {
        return new TaskRouter(labels, weight, bias, mean, std, newThreshold, hiddenSize, baseFingerprint, training);
    }

    /** The softmax probability of each label, in {@link #labels()} order. */
    public double[] probabilities(float[] features) {
        if (features.length != featureCount()) {
            throw new IllegalArgumentException(
                    "expected " + featureCount() + " features (" + FEATURE_KIND + "), got " + features.length);
        }
        int f = featureCount();
        double[] z = new double[f];
        for (int j = 0; j < f; j++) {
            z[j] = (features[j] - mean[j]) / std[j];
        }
        double[] logits = new double[labels.size()];
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < logits.length; c++) {
            double s = bias[c];
            float[] w = weight[c];
            for (int j = 0; j < f; j++) {
                s += w[j] * z[j];
            }
            logits[c] = s;
            max = Math.max(max, s);
        }
        double total = 0;
        for (int c = 0; c < logits.length; c++) {
            logits[c] = Math.exp(logits[c] - max);
            total += logits[c];
        }
        for (int c = 0; c < logits.length; c++) {
            logits[c] /= total;
        }
        return logits;
    }

    /** The route of a prompt with these features. */
    public Route route(float[] features) {
        double[] p = probabilities(features);
        int best = 0;
        for (int c = 1; c < p.length; c++) {
            if (p[c] > p[best]) {
                best = c;
            }
        }
        String name = labels.get(best);
        return new Route(p[best] >= threshold ? Optional.of(name) : Optional.empty(), name, p[best]);
    }

    /**
     * Routes prompts under {@code model}, which must be the base model the router was trained for.
     *
     * @throws IllegalArgumentException if the model's fingerprint or hidden size differs from the router's
     */
    public List<Route> route(LoadedModel model, List<String> prompts) {
        requireFits(model);
        List<Route> out = new ArrayList<>(prompts.size());
        for (float[] f : model.promptFeatures(prompts)) {
            out.add(route(f));
        }
        return out;
    }

    /**
     * Routes a prompt already run through {@code model} (the request path: the same pass can then answer it), without
     * another forward pass.
     *
     * @throws IllegalArgumentException if the model's fingerprint or hidden size differs from the router's
     */
    public Route route(LoadedModel model, Prefill prompt) {
        requireFits(model);
        return route(model.promptFeatures(prompt));
    }

    private void requireFits(LoadedModel model) {
        String misfit = misfit(model.fingerprint(), model.config().hiddenSize());
        if (misfit != null) {
            throw new IllegalArgumentException("this router does not fit the model: " + misfit);
        }
    }

    /** Why the router cannot be used with this model, or null if it can. */
    private String misfit(String fingerprint, int modelHidden) {
        if (!baseFingerprint.equals(fingerprint)) {
            return "it was trained for base model " + baseFingerprint + ", the model is " + fingerprint;
        }
        if (hiddenSize != modelHidden) {
            return "it takes hidden size " + hiddenSize + ", the model has " + modelHidden;
        }
        return null;
    }

    // ---------------------------------------------------------------- the file

    private SafetensorsWriter writer() {
        return ChecksummedSafetensors.assemble(DOMAIN, metadataEntries(), tensorEntries());
    }

    /** The file's metadata, without the checksum. Tests edit it to build odd files. */
    Map<String, String> metadataEntries() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(KIND, KIND_ROUTER);
        m.put(FORMAT, FORMAT_VERSION);
        m.put(LABELS, String.join(",", labels));
        m.put(THRESHOLD, Double.toString(threshold));
        m.put(FEATURES, FEATURE_KIND);
        m.put(HIDDEN, Integer.toString(hiddenSize));
        m.put(BASE, baseFingerprint);
        m.put(TRAINING, training);
        return m;
    }

    /** The file's tensors by name. */
    Map<String, ChecksummedSafetensors.Tensor> tensorEntries() {
        int c = labels.size();
        int f = featureCount();
        float[] w = new float[c * f];
        for (int i = 0; i < c; i++) {
            System.arraycopy(weight[i], 0, w, i * f, f);
        }
        Map<String, ChecksummedSafetensors.Tensor> t = new TreeMap<>();
        t.put(WEIGHT, ChecksummedSafetensors.Tensor.f32(w, c, f));
        t.put(BIAS, ChecksummedSafetensors.Tensor.f32(bias, c));
        t.put(MEAN, ChecksummedSafetensors.Tensor.f32(mean, f));
        t.put(STD, ChecksummedSafetensors.Tensor.f32(std, f));
        return t;
    }

    /** The router file in memory. */
    public byte[] toBytes() {
        return writer().toBytes();
    }

    /** Writes the router file atomically (a temporary file in the same directory, then a move). */
    public void write(Path file) throws IOException {
        writer().write(file);
    }

    /**
     * Reads a router file and checks it is usable with {@code model}: everything {@link #read} checks, and that it
     * was trained on this model's features (same fingerprint and hidden size).
     *
     * @throws MalformedRouterException naming the file and the problem
     */
    public static TaskRouter load(Path file, LoadedModel model) throws MalformedRouterException, IOException {
        TaskRouter r = read(file);
        String misfit = r.misfit(model.fingerprint(), model.config().hiddenSize());
        if (misfit != null) {
            throw new MalformedRouterException("router " + file + ": " + misfit);
        }
        return r;
    }

    /**
     * Reads and verifies a router file; see {@link #fromBytes}.
     *
     * @throws MalformedRouterException naming the file and the problem
     */
    public static TaskRouter read(Path file) throws MalformedRouterException, IOException {
        long size = Files.size(file);
        if (size > 256L << 20) {
            throw new MalformedRouterException("router " + file + ": " + size + " bytes is too large for a router");
        }
        try {
            return fromBytes(Files.readAllBytes(file));
        } catch (MalformedRouterException e) {
            throw new MalformedRouterException("router " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses and verifies router bytes: safetensors structure and length, metadata present and well-formed (kind,
     * format version, feature kind, labels non-empty and unique, threshold in [0, 1], hidden size), checksum, that
     * the tensors are exactly {@code weight}, {@code bias}, {@code feature_mean}, {@code feature_std} in F32 with the
     * shapes the labels and hidden size imply, and that every value is finite (and every std positive).
     */
    public static TaskRouter fromBytes(byte[] bytes) throws MalformedRouterException {
        ChecksummedSafetensors.Contents f;
        try {
            f = ChecksummedSafetensors.parse(bytes);
        } catch (ChecksummedSafetensors.Invalid e) {
            throw new MalformedRouterException(e.getMessage(), e);
        }
        Map<String, String> meta = f.metadata();
        for (String key : List.of(
                KIND, FORMAT, LABELS, THRESHOLD, FEATURES, HIDDEN, BASE, TRAINING, ChecksummedSafetensors.CHECKSUM)) {
            if (!meta.containsKey(key)) {
                throw new MalformedRouterException("missing metadata '" + key + "'");
            }
        }
        if (!KIND_ROUTER.equals(meta.get(KIND))) {
            throw new MalformedRouterException("kind is '" + meta.get(KIND) + "', not '" + KIND_ROUTER + "'");
        }
        if (!FORMAT_VERSION.equals(meta.get(FORMAT))) {
            throw new MalformedRouterException(
                    "unsupported format_version '" + meta.get(FORMAT) + "' (this reader knows " + FORMAT_VERSION + ")");
        }
        try {
            ChecksummedSafetensors.verifyChecksum(DOMAIN, f);
        } catch (ChecksummedSafetensors.Invalid e) {
            throw new MalformedRouterException(e.getMessage(), e);
        }
        if (!FEATURE_KIND.equals(meta.get(FEATURES))) {
            throw new MalformedRouterException("feature kind '" + meta.get(FEATURES) + "' is not " + FEATURE_KIND);
        }
        List<String> labels = Arrays.asList(meta.get(LABELS).split(",", -1));
        if (meta.get(LABELS).isEmpty()) {
            throw new MalformedRouterException("labels are empty");
        }
        if (new HashSet<>(labels).size() != labels.size()) {
            throw new MalformedRouterException("labels are not unique: " + meta.get(LABELS));
        }
        double threshold;
        try {
            threshold = Double.parseDouble(meta.get(THRESHOLD));
        } catch (NumberFormatException e) {
            throw new MalformedRouterException("threshold '" + meta.get(THRESHOLD) + "' is not a number", e);
        }
        if (!(threshold >= 0 && threshold <= 1)) {
            throw new MalformedRouterException("threshold " + meta.get(THRESHOLD) + " is not in [0, 1]");
        }
        int hidden;
        try {
            hidden = Integer.parseInt(meta.get(HIDDEN));
        } catch (NumberFormatException e) {
            throw new MalformedRouterException("hidden_size '" + meta.get(HIDDEN) + "' is not an integer", e);
        }
        if (hidden <= 0) {
            throw new MalformedRouterException("hidden_size " + hidden + " is not positive");
        }
        int c = labels.size();
        long nf = 2L * hidden;
        Map<String, long[]> expected = new TreeMap<>();
        expected.put(WEIGHT, new long[] {c, nf});
        expected.put(BIAS, new long[] {c});
        expected.put(MEAN, new long[] {nf});
        expected.put(STD, new long[] {nf});
        Map<String, ChecksummedSafetensors.Tensor> tensors = f.tensors();
        for (String name : tensors.keySet()) {
            if (!expected.containsKey(name)) {
                throw new MalformedRouterException(
                        "unknown tensor '" + name + "' (a router has " + String.join(", ", expected.keySet()) + ")");
            }
        }
        Map<String, float[]> values = new TreeMap<>();
        for (var e : expected.entrySet()) {
            ChecksummedSafetensors.Tensor t = tensors.get(e.getKey());
            if (t == null) {
                throw new MalformedRouterException("missing tensor '" + e.getKey() + "'");
            }
            if (t.dtype() != TensorDType.F32) {
                throw new MalformedRouterException(e.getKey() + " is " + t.dtype() + ", router tensors are F32");
            }
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new MalformedRouterException(e.getKey() + " has shape " + Arrays.toString(t.shape())
                        + ", expected " + Arrays.toString(e.getValue()) + " for " + c + " labels and hidden size "
                        + hidden);
            }
            values.put(e.getKey(), t.floats());
        }
        float[] w = values.get(WEIGHT);
        float[][] rows = new float[c][];
        for (int i = 0; i < c; i++) {
            rows[i] = Arrays.copyOfRange(w, (int) (i * nf), (int) ((i + 1) * nf));
        }
        try {
            return new TaskRouter(
                    labels,
                    rows,
                    values.get(BIAS),
                    values.get(MEAN),
                    values.get(STD),
                    threshold,
                    hidden,
                    meta.get(BASE),
                    meta.get(TRAINING));
        } catch (IllegalArgumentException e) {
            throw new MalformedRouterException(e.getMessage(), e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TaskRouter r
                && labels.equals(r.labels)
                && Arrays.deepEquals(weight, r.weight)
                && Arrays.equals(bias, r.bias)
                && Arrays.equals(mean, r.mean)
                && Arrays.equals(std, r.std)
                && threshold == r.threshold
                && hiddenSize == r.hiddenSize
                && baseFingerprint.equals(r.baseFingerprint)
                && training.equals(r.training);
    }

    @Override
    public int hashCode() {
        return Objects.hash(labels, Arrays.deepHashCode(weight), threshold, hiddenSize, baseFingerprint);
    }

    @Override
    public String toString() {
        return "TaskRouter" + labels + " threshold " + threshold + " hidden " + hiddenSize + " base " + baseFingerprint;
    }
}
