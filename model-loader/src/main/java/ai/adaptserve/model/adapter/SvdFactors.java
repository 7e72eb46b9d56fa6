package ai.adaptserve.model.adapter;

import ai.adaptserve.model.Sha256;
import ai.adaptserve.model.checkpoint.MalformedCheckpointException;
import ai.adaptserve.model.checkpoint.SafetensorsFile;
import ai.adaptserve.model.checkpoint.SafetensorsWriter;
import ai.adaptserve.model.checkpoint.TensorDType;
import ai.adaptserve.model.checkpoint.TensorInfo;
import ai.adaptserve.model.config.ModelConfig;
import ai.adaptserve.model.llama.LlamaWeights;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Singular value decompositions of a base model's target matrices, for SVF ({@link ZVector}). Computed once per base
 * model with EJML (DJL has no SVD) in double precision and kept in a safetensors cache file keyed by the model's
 * fingerprint; a later start with the same model and targets reads the file instead of decomposing again. A cache file
 * that is corrupt or belongs to another model or target set is logged and recomputed, never used.
 *
 * <p>Layout: for {@code W} as the checkpoint stores it ({@code [out, in]}) with {@code W = U Σ Vᵀ}, the decoder multiplies
 * by {@code Wᵀ = V Σ Uᵀ}, so each {@link Factors} holds {@code v = V} ({@code [in, r]}), {@code sigma = Σ} ({@code [r]},
 * descending) and {@code ut = Uᵀ} ({@code [r, out]}), with {@code r = min(in, out)}. The arrays are F32.
 */
public final class SvdFactors implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SvdFactors.class);

    static final String FORMAT_VERSION = "1";
    static final String KEY_FINGERPRINT = "base_fingerprint";
    static final String KEY_TARGETS = "targets";
    static final String KEY_FORMAT = "format_version";
    static final String KEY_CHECKSUM = "checksum";

    /** Factors of one matrix in the decoder's layout: {@code Wᵀ ([in,out]) = v · diag(sigma) · ut}. */
    public record Factors(NDArray v, NDArray sigma, NDArray ut) {
        /** r, the number of singular values. */
        public int rank() {
            return Math.toIntExact(sigma.getShape().get(0));
        }
    }

    private final NDManager manager;
    private final Map<MatrixRef, Factors> factors;
    private final boolean computedNow;
    private final Path file;

    private SvdFactors(NDManager manager, Map<MatrixRef, Factors> factors, boolean computedNow, Path file) {
        this.manager = manager;
        this.factors = Collections.unmodifiableMap(factors);
        this.computedNow = computedNow;
        this.file = file;
    }

    /**
     * Loads the cached factors for ({@code baseFingerprint}, {@code targets}) from {@code cacheDir}, or computes them
     * (EJML, compact SVD, double precision, r = min(in, out)) and writes the cache file atomically. If the file cannot
     * be written the factors are still returned (and the problem logged).
     *
     * @param targets which matrices of every layer; {@link TargetMatrix#HEAD} adds the output head
     * @param parent the arrays live in a sub-manager of it, closed by {@link #close()}
     */
    public static SvdFactors loadOrCompute(
            LlamaWeights weights, String baseFingerprint, Set<TargetMatrix> targets, Path cacheDir, NDManager parent)
            throws IOException {
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("no target matrices given");
        }
        ModelConfig cfg = weights.config();
        List<MatrixRef> refs = refs(cfg, targets);
        String targetsName = targetsName(targets);
        Path file = cacheDir.resolve("svd-" + shortHex(baseFingerprint) + "-" + targetsName + ".safetensors");

        if (Files.exists(file)) {
            NDManager m = parent.newSubManager();
            try {
                Map<MatrixRef, Factors> loaded = load(file, cfg, refs, baseFingerprint, targetsName, m);
                LOG.debug("SVD factors of {} matrices read from {}", refs.size(), file);
                return new SvdFactors(m, loaded, false, file);
            } catch (MalformedCheckpointException | RuntimeException e) {
                m.close();
                LOG.warn("SVD cache {} is unusable ({}); recomputing", file, e.getMessage());
            }
        }

        NDManager m = parent.newSubManager();
        try {
            long t0 = System.nanoTime();
            SafetensorsWriter writer = new SafetensorsWriter()
                    .metadata(KEY_FINGERPRINT, baseFingerprint)
                    .metadata(KEY_TARGETS, targetsName)
                    .metadata(KEY_FORMAT, FORMAT_VERSION);
            MessageDigest md = checksumStart(baseFingerprint, targetsName);
            Map<MatrixRef, Factors> computed = compute(weights, refs, m, writer, md);
            writer.metadata(KEY_CHECKSUM, checksumEnd(md));
            LOG.info(
                    "SVD of {} matrices ({}) computed in {} ms",
                    refs.size(),
                    targetsName,
                    (System.nanoTime() - t0) / 1_000_000);
            try {
                writer.write(file);
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot write the SVD cache {}: {}", file, e.toString());
            }
            return new SvdFactors(m, computed, true, file);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** The factors of one matrix. */
    public Factors get(MatrixRef m) {
        Factors f = factors.get(m);
        if (f == null) {
            throw new IllegalArgumentException("no SVD factors for matrix " + m.key() + " (have "
                    + factors.keySet().stream().map(MatrixRef::key).collect(Collectors.joining(", ")) + ")");
        }
        return f;
    }

    /** r of every decomposed matrix, in matrix order. */
    public Map<MatrixRef, Integer> ranks() {
        TreeMap<MatrixRef, Integer> r = new TreeMap<>();
        factors.forEach((k, f) -> r.put(k, f.rank()));
        return Collections.unmodifiableMap(r);
    }

    /** True when this call ran the SVD, false when the factors came from the cache file. */
    public boolean computedNow() {
        return computedNow;
    }

    /** The cache file (it may not exist if it could not be written). */
    public Path file() {
        return file;
    }

    @Override
    public void close() {
        manager.close();
    }

    // ---------------------------------------------------------------- naming

    static List<MatrixRef> refs(ModelConfig cfg, Set<TargetMatrix> targets) {
        List<MatrixRef> refs = new ArrayList<>();
        for (int layer = 0; layer < cfg.numLayers(); layer++) {
            for (TargetMatrix t : EnumSet.copyOf(targets)) {
                if (t != TargetMatrix.HEAD) {
                    refs.add(new MatrixRef(layer, t));
                }
            }
        }
        if (targets.contains(TargetMatrix.HEAD)) {
            refs.add(MatrixRef.head());
        }
        Collections.sort(refs);
        return refs;
    }

    static String targetsName(Set<TargetMatrix> targets) {
        return EnumSet.copyOf(targets).stream().map(TargetMatrix::shortName).collect(Collectors.joining("-"));
    }

    /** The first 16 hex digits of a {@code sha256:<hex>} (or bare hex) fingerprint. */
    static String shortHex(String fingerprint) {
        String hex = fingerprint.substring(fingerprint.lastIndexOf(':') + 1);
        if (hex.length() < 16 || !hex.substring(0, 16).matches("[0-9a-fA-F]{16}")) {
            throw new IllegalArgumentException(
                    "base fingerprint must be sha256:<hex> with at least 16 hex digits, was '" + fingerprint + "'");
        }
        return hex.substring(0, 16).toLowerCase(Locale.ROOT);
    }

    static String tensorName(MatrixRef m, String part) {
        return "svd." + m.key() + "." + part;
    }

    // ---------------------------------------------------------------- computing

    /** One decomposition in row-major floats, ready for the file and for NDArrays. */
    private record Result(MatrixRef ref, int in, int out, int r, float[] v, float[] s, float[] ut) {}

    private static Map<MatrixRef, Factors> compute(
            LlamaWeights weights, List<MatrixRef> refs, NDManager m, SafetensorsWriter writer, MessageDigest md) {
        ModelConfig cfg = weights.config();
        int threads = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), refs.size()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "svd-factors");
            t.setDaemon(true);
            return t;
        });
        Map<MatrixRef, Factors> out = new TreeMap<>();
        try {
            Deque<Future<Result>> inFlight = new ArrayDeque<>();
            for (MatrixRef ref : refs) {
                int in = ref.matrix().in(cfg);
                int o = ref.matrix().out(cfg);
                // Native arrays are read on this thread; only the pure-Java SVD runs in the pool.
                double[] wT = rowMajor(weights.matrixT(ref), in, o, ref);
                inFlight.add(pool.submit(() -> decompose(ref, wT, in, o)));
                if (inFlight.size() > threads) {
                    accept(await(inFlight.poll()), m, writer, md, out);
                }
            }
            while (!inFlight.isEmpty()) {
                accept(await(inFlight.poll()), m, writer, md, out);
            }
        } finally {
            pool.shutdownNow();
        }
        return out;
    }

    private static Result await(Future<Result> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while computing SVD factors", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private static void accept(
            Result r, NDManager m, SafetensorsWriter writer, MessageDigest md, Map<MatrixRef, Factors> out) {
        long[] vShape = {r.in, r.r};
        long[] sShape = {r.r};
        long[] utShape = {r.r, r.out};
        add(writer, md, tensorName(r.ref, "v"), r.v, vShape);
        add(writer, md, tensorName(r.ref, "s"), r.s, sShape);
        add(writer, md, tensorName(r.ref, "ut"), r.ut, utShape);
        out.put(
                r.ref,
                new Factors(
                        m.create(r.v, new Shape(vShape)),
                        m.create(r.s, new Shape(sShape)),
                        m.create(r.ut, new Shape(utShape))));
    }

    private static void add(SafetensorsWriter writer, MessageDigest md, String name, float[] data, long[] shape) {
        ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        checksumAdd(md, name, b);
        writer.addRaw(name, TensorDType.F32, b.array(), shape);
    }

    /** {@code wT} ({@code [in, out]}, possibly a strided view, any float dtype) as row-major doubles. */
    @SuppressWarnings("try") // the scope is only there to be closed
    private static double[] rowMajor(NDArray wT, int in, int out, MatrixRef ref) {
        if (wT.getShape().dimension() != 2
                || wT.getShape().get(0) != in
                || wT.getShape().get(1) != out) {
            throw new IllegalStateException(
                    "weight " + ref.key() + " has shape " + wT.getShape() + ", expected (" + in + ", " + out + ")");
        }
        float[] f;
        // Temporaries (a cast, a contiguous copy) are closed with the scope, so the weights' manager is unchanged.
        try (NDScope scope = new NDScope()) {
            NDArray a = wT.getDataType() == DataType.FLOAT32 ? wT : wT.toType(DataType.FLOAT32, false);
            f = a.toFloatArray();
        }
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** Compact SVD of the {@code in × out} matrix {@code wT = V Σ Uᵀ}, singular values descending. */
    static Result decompose(MatrixRef ref, double[] wT, int in, int out) {
        int r = Math.min(in, out);
        DMatrixRMaj a = DMatrixRMaj.wrap(in, out, wT);
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(in, out, true, true, true);
        if (!svd.decompose(a)) {
            throw new IllegalStateException("SVD of " + ref.key() + " did not converge");
        }
        DMatrixRMaj left = svd.getU(null, false); // in × r: the decoder's v
        DMatrixRMaj w = svd.getW(null); // r × r
        DMatrixRMaj right = svd.getV(null, false); // out × r: transposed, the decoder's ut
        SingularOps_DDRM.descendingOrder(left, false, w, right, false);
        float[] v = new float[in * r];
        float[] s = new float[r];
        float[] ut = new float[r * out];
        for (int i = 0; i < in; i++) {
            for (int k = 0; k < r; k++) {
                v[i * r + k] = (float) left.unsafe_get(i, k);
            }
        }
        for (int k = 0; k < r; k++) {
            s[k] = (float) w.unsafe_get(k, k);
        }
        for (int j = 0; j < out; j++) {
            for (int k = 0; k < r; k++) {
                ut[k * out + j] = (float) right.unsafe_get(j, k);
            }
        }
        return new Result(ref, in, out, r, v, s, ut);
    }

    // ---------------------------------------------------------------- the cache file

    private static Map<MatrixRef, Factors> load(
            Path file, ModelConfig cfg, List<MatrixRef> refs, String fingerprint, String targetsName, NDManager m)
            throws MalformedCheckpointException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, String> meta = f.metadata();
            if (!FORMAT_VERSION.equals(meta.get(KEY_FORMAT))) {
                throw new MalformedCheckpointException(
                        file, null, "format_version is " + meta.get(KEY_FORMAT) + ", expected " + FORMAT_VERSION);
            }
            if (!fingerprint.equals(meta.get(KEY_FINGERPRINT))) {
                throw new MalformedCheckpointException(
                        file,
                        null,
                        "base fingerprint " + meta.get(KEY_FINGERPRINT) + " does not match the loaded model "
                                + fingerprint);
            }
            if (!targetsName.equals(meta.get(KEY_TARGETS))) {
                throw new MalformedCheckpointException(
                        file, null, "targets are " + meta.get(KEY_TARGETS) + ", expected " + targetsName);
            }
            Map<String, long[]> expected = new TreeMap<>();
            for (MatrixRef ref : refs) {
                int in = ref.matrix().in(cfg);
                int out = ref.matrix().out(cfg);
                int r = Math.min(in, out);
                expected.put(tensorName(ref, "v"), new long[] {in, r});
                expected.put(tensorName(ref, "s"), new long[] {r});
                expected.put(tensorName(ref, "ut"), new long[] {r, out});
            }
            if (!f.tensors().keySet().equals(expected.keySet())) {
                Set<String> missing = new TreeSet<>(expected.keySet());
                missing.removeAll(f.tensors().keySet());
                Set<String> extra = new TreeSet<>(f.tensors().keySet());
                extra.removeAll(expected.keySet());
                throw new MalformedCheckpointException(
                        file,
                        null,
                        "tensors differ from the expected set: missing " + missing + ", unexpected " + extra);
            }
            for (var e : expected.entrySet()) {
                TensorInfo t = f.tensors().get(e.getKey());
                if (t.dtype() != TensorDType.F32 || !Arrays.equals(t.shape(), e.getValue())) {
                    throw new MalformedCheckpointException(
                            file,
                            e.getKey(),
                            t.dtype() + " " + Arrays.toString(t.shape()) + ", expected F32 "
                                    + Arrays.toString(e.getValue()));
                }
            }
            MessageDigest md = checksumStart(fingerprint, targetsName);
            for (MatrixRef ref : refs) {
                for (String part : PARTS) {
                    checksumAdd(md, tensorName(ref, part), f.readRaw(tensorName(ref, part)));
                }
            }
            String sum = checksumEnd(md);
            if (!sum.equals(meta.get(KEY_CHECKSUM))) {
                throw new MalformedCheckpointException(
                        file, null, "checksum mismatch: file says " + meta.get(KEY_CHECKSUM) + ", content is " + sum);
            }
            Map<MatrixRef, Factors> out = new TreeMap<>();
            for (MatrixRef ref : refs) {
                float[] s = f.readFloats(tensorName(ref, "s"));
                for (int i = 0; i < s.length; i++) {
                    if (!(s[i] >= 0) || (i > 0 && s[i] > s[i - 1])) {
                        throw new MalformedCheckpointException(
                                file, tensorName(ref, "s"), "singular values are not non-negative and descending");
                    }
                }
                out.put(
                        ref,
                        new Factors(
                                create(f, m, tensorName(ref, "v"), expected),
                                m.create(s, new Shape(expected.get(tensorName(ref, "s")))),
                                create(f, m, tensorName(ref, "ut"), expected)));
            }
            return out;
        }
    }

    private static NDArray create(SafetensorsFile f, NDManager m, String name, Map<String, long[]> shapes)
            throws MalformedCheckpointException {
        return m.create(f.readFloats(name), new Shape(shapes.get(name)));
    }

    private static final List<String> PARTS = List.of("v", "s", "ut");

    /**
     * SHA-256 over the fingerprint, the targets and every tensor (name, length, bytes) in matrix order, v, s, ut: the
     * order in which they are computed, so the digest is built as the factors arrive.
     */
    private static MessageDigest checksumStart(String fingerprint, String targetsName) {
        MessageDigest md = Sha256.digest();
        Sha256.updateString(md, "adaptserve-svd-v" + FORMAT_VERSION);
        Sha256.updateString(md, fingerprint);
        Sha256.updateString(md, targetsName);
        return md;
    }

    private static void checksumAdd(MessageDigest md, String name, ByteBuffer bytes) {
        Sha256.updateString(md, name);
        ByteBuffer b = bytes.duplicate();
        b.position(0);
        md.update(ByteBuffer.allocate(8).putLong(b.remaining()).flip());
        md.update(b);
    }

    private static String checksumEnd(MessageDigest md) {
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }
}
