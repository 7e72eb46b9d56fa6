package ai.adaptserve.model.llama;

import ai.adaptserve.model.adapter.MatrixRef;
import ai.adaptserve.model.adapter.TargetMatrix;
import ai.adaptserve.model.checkpoint.CheckpointTensors;
import ai.adaptserve.model.checkpoint.MalformedCheckpointException;
import ai.adaptserve.model.config.ModelConfig;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The base weights of a Llama-family decoder, by their Hugging Face names, as native tensors owned by one
 * manager. Projection matrices are kept as {@code [in, out]} views so activations multiply them directly.
 * Nothing here is ever modified after loading: adapters are applied beside these weights, never into them.
 */
public final class LlamaWeights implements AutoCloseable {
    private final ModelConfig config;
    private final NDManager manager;
    private final DataType dtype;
    private final NDArray embed;
    private final NDArray finalNorm;
    private final NDArray lmHeadT;
    private final List<Layer> layers;

    /**
     * One decoder layer; {@code *T} are {@code [in, out]}; biases are empty unless the model has them. When the weights
     * were loaded from a checkpoint, {@code fused} holds the matrices that read the same input side by side, and the
     * separate ones are views into it (no weight is stored twice).
     */
    public record Layer(
            NDArray attnNorm,
            NDArray qT,
            Optional<NDArray> qBias,
            NDArray kT,
            Optional<NDArray> kBias,
            NDArray vT,
            Optional<NDArray> vBias,
            NDArray oT,
            NDArray mlpNorm,
            NDArray gateT,
            NDArray upT,
            NDArray downT,
            Optional<SideBySide> fused) {}

    /**
     * Matrices that read the same input, side by side: {@code qkvT} is {@code [hidden, q + k + v]} (queries, keys,
     * values, in that order), {@code gateUpT} is {@code [hidden, 2 * intermediate]} (gate, then up). One product over
     * each costs one call into the engine instead of three or two, which is most of a small model's decode step.
     */
    public record SideBySide(NDArray qkvT, Optional<NDArray> qkvBias, NDArray gateUpT) {}

    private LlamaWeights(
            ModelConfig config,
            NDManager manager,
            DataType dtype,
            NDArray embed,
            NDArray finalNorm,
            NDArray lmHeadT,
            List<Layer> layers) {
        this.config = config;
        this.manager = manager;
        this.dtype = dtype;
        this.embed = embed;
        this.finalNorm = finalNorm;
        this.lmHeadT = lmHeadT;
        this.layers = List.copyOf(layers);
    }

    /**
     * Loads every tensor the config calls for, checking each shape. BF16 and F16 are widened to F32 in Java
     * (BF16 on CPU crashes this DJL/PyTorch pair), then cast to {@code dtype} on the device.
     */
    public static LlamaWeights load(
            ModelConfig cfg, CheckpointTensors tensors, Path dir, NDManager parent, DataType dtype)
            throws MalformedCheckpointException {
        NDManager m = parent.newSubManager();
        try {
            Loader l = new Loader(tensors, dir, m, dtype);
            int h = cfg.hiddenSize();
            NDArray embed = l.matrix("model.embed_tokens.weight", cfg.vocabSize(), h);
            NDArray norm = l.vector("model.norm.weight", h);
            NDArray head = cfg.tieWordEmbeddings() || !tensors.names().contains("lm_head.weight")
                    ? embed
                    : l.matrix("lm_head.weight", cfg.vocabSize(), h);
            List<Layer> layers = new ArrayList<>();
            for (int i = 0; i < cfg.numLayers(); i++) {
                String p = "model.layers." + i + ".";
                String a = p + "self_attn.";
                long q = cfg.qDim();
                long kv = cfg.kvDim();
                long inter = cfg.intermediateSize();
                // Rows stacked as one [q + k + v, hidden] tensor; each matrix is a row range of it, so the separate
                // matrices (adapters, training, SVD) and the side-by-side product read the same bytes.
                NDArray qkv = l.rows(
                        List.of(a + "q_proj.weight", a + "k_proj.weight", a + "v_proj.weight"),
                        new long[] {q, kv, kv},
                        h);
                NDArray gateUp = l.rows(
                        List.of(p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"), new long[] {inter, inter}, h);
                Optional<NDArray> qkvBias = cfg.attentionBias()
                        ? Optional.of(l.rows(
                                List.of(a + "q_proj.bias", a + "k_proj.bias", a + "v_proj.bias"),
                                new long[] {q, kv, kv},
                                -1))
                        : Optional.empty();
                layers.add(new Layer(
                        l.vector(p + "input_layernorm.weight", h),
                        rowRange(qkv, 0, q).transpose(),
                        qkvBias.map(b -> rowRange(b, 0, q)),
                        rowRange(qkv, q, q + kv).transpose(),
                        qkvBias.map(b -> rowRange(b, q, q + kv)),
                        rowRange(qkv, q + kv, q + 2 * kv).transpose(),
                        qkvBias.map(b -> rowRange(b, q + kv, q + 2 * kv)),
                        l.matrix(p + "self_attn.o_proj.weight", h, cfg.qDim()).transpose(),
                        l.vector(p + "post_attention_layernorm.weight", h),
                        rowRange(gateUp, 0, inter).transpose(),
                        rowRange(gateUp, inter, 2 * inter).transpose(),
                        l.matrix(p + "mlp.down_proj.weight", h, cfg.intermediateSize())
                                .transpose(),
                        Optional.of(new SideBySide(qkv.transpose(), qkvBias, gateUp.transpose()))));
            }
            return new LlamaWeights(cfg, m, dtype, embed, norm, head.transpose(), layers);
        } catch (MalformedCheckpointException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * Weights over tensors that already exist, named and shaped as in a checkpoint ({@code [out, in]}): for training
     * from scratch, where they are one step's parameters, so that training and serving run the same forward pass.
     * Shapes are checked. The transposed views belong to {@code manager}, which {@link #close} closes; the named
     * tensors stay with their owners.
     *
     * @param tensors the tensor of each Hugging Face name, or null when there is none
     * @throws IllegalArgumentException for a missing tensor or a shape that does not fit {@code cfg}
     */
    public static LlamaWeights of(ModelConfig cfg, NDManager manager, Function<String, NDArray> tensors) {
        Function<NDArray, NDArray> t = a -> {
            NDArray view = a.transpose();
            view.attach(manager);
            return view;
        };
        int h = cfg.hiddenSize();
        NDArray embed = existing(tensors, "model.embed_tokens.weight", cfg.vocabSize(), h);
        NDArray head = cfg.tieWordEmbeddings() ? embed : existing(tensors, "lm_head.weight", cfg.vocabSize(), h);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < cfg.numLayers(); i++) {
            String p = "model.layers." + i + ".";
            boolean bias = cfg.attentionBias();
            layers.add(new Layer(
                    existing(tensors, p + "input_layernorm.weight", h),
                    t.apply(existing(tensors, p + "self_attn.q_proj.weight", cfg.qDim(), h)),
                    bias ? Optional.of(existing(tensors, p + "self_attn.q_proj.bias", cfg.qDim())) : Optional.empty(),
                    t.apply(existing(tensors, p + "self_attn.k_proj.weight", cfg.kvDim(), h)),
                    bias ? Optional.of(existing(tensors, p + "self_attn.k_proj.bias", cfg.kvDim())) : Optional.empty(),
                    t.apply(existing(tensors, p + "self_attn.v_proj.weight", cfg.kvDim(), h)),
                    bias ? Optional.of(existing(tensors, p + "self_attn.v_proj.bias", cfg.kvDim())) : Optional.empty(),
                    t.apply(existing(tensors, p + "self_attn.o_proj.weight", h, cfg.qDim())),
                    existing(tensors, p + "post_attention_layernorm.weight", h),
                    t.apply(existing(tensors, p + "mlp.gate_proj.weight", cfg.intermediateSize(), h)),
                    t.apply(existing(tensors, p + "mlp.up_proj.weight", cfg.intermediateSize(), h)),
                    t.apply(existing(tensors, p + "mlp.down_proj.weight", h, cfg.intermediateSize())),
                    Optional.empty()));
        }
        NDArray norm = existing(tensors, "model.norm.weight", h);
        return new LlamaWeights(cfg, manager, embed.getDataType(), embed, norm, t.apply(head), layers);
    }

    private static NDArray existing(Function<String, NDArray> tensors, String name, long... expected) {
        NDArray a = tensors.apply(name);
        if (a == null) {
            throw new IllegalArgumentException("tensor " + name + " is missing");
        }
        if (!Arrays.equals(a.getShape().getShape(), expected)) {
            throw new IllegalArgumentException(
                    "tensor " + name + " has shape " + a.getShape() + ", expected " + Arrays.toString(expected));
        }
        return a;
    }

    /** Rows {@code from..to} of {@code a} (its first axis), as a view sharing its storage. */
    private static NDArray rowRange(NDArray a, long from, long to) {
        return a.get(new NDIndex("{}:{}", from, to));
    }

    private record Loader(CheckpointTensors tensors, Path dir, NDManager manager, DataType dtype) {
        /**
         * Tensors stacked along their first axis into one: each {@code [rows[i], cols]} (vectors of {@code rows[i]}
         * when {@code cols} is negative), each shape checked as {@link #create} checks it.
         */
        NDArray rows(List<String> names, long[] rows, long cols) throws MalformedCheckpointException {
            long total = Arrays.stream(rows).sum();
            long width = cols < 0 ? 1 : cols;
            float[] all = new float[Math.toIntExact(total * width)];
            int at = 0;
            for (int i = 0; i < names.size(); i++) {
                float[] part =
                        checkedFloats(names.get(i), cols < 0 ? new long[] {rows[i]} : new long[] {rows[i], cols});
                System.arraycopy(part, 0, all, at, part.length);
                at += part.length;
            }
            return onDevice(all, cols < 0 ? new Shape(total) : new Shape(total, cols));
        }

        NDArray matrix(String name, long rows, long cols) throws MalformedCheckpointException {
            return create(name, rows, cols);
        }

        NDArray vector(String name, long n) throws MalformedCheckpointException {
            return create(name, n);
        }

        private NDArray create(String name, long... expected) throws MalformedCheckpointException {
            return onDevice(checkedFloats(name, expected), new Shape(expected));
        }

        private float[] checkedFloats(String name, long... expected) throws MalformedCheckpointException {
            if (!tensors.names().contains(name)) {
                throw new MalformedCheckpointException(dir, name, "tensor is missing from the checkpoint");
            }
            long[] shape = tensors.shape(name);
            if (!Arrays.equals(shape, expected)) {
                throw new MalformedCheckpointException(
                        dir,
                        name,
                        "shape " + Arrays.toString(shape) + " does not match config.json, expected "
                                + Arrays.toString(expected));
            }
            return tensors.readFloats(name);
        }

        private NDArray onDevice(float[] values, Shape shape) {
            NDArray a = manager.create(values, shape);
            if (dtype != DataType.FLOAT32) {
                NDArray cast = a.toType(dtype, false);
                a.close();
                a = cast;
            }
            return a;
        }
    }

    public ModelConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    public DataType dtype() {
        return dtype;
    }

    public NDArray embed() {
        return embed;
    }

    public NDArray finalNorm() {
        return finalNorm;
    }

    /** Output head as {@code [hidden, vocab]}. */
    public NDArray lmHeadT() {
        return lmHeadT;
    }

    public List<Layer> layers() {
        return layers;
    }

    /** A weight matrix as {@code [in, out]} (a transposed view of the checkpoint's {@code [out, in]}). */
    public NDArray matrixT(MatrixRef m) {
        if (m.matrix() == TargetMatrix.HEAD) {
            return lmHeadT;
        }
        Layer l = layers.get(m.layer());
        return switch (m.matrix()) {
            case Q -> l.qT();
            case K -> l.kT();
            case V -> l.vT();
            case O -> l.oT();
            case GATE -> l.gateT();
            case UP -> l.upT();
            case DOWN -> l.downT();
            case HEAD -> lmHeadT;
        };
    }

    /** Number of native arrays this model owns; constant for the model's life (leak checks use it). */
    public int nativeArrayCount() {
        return manager.getManagedArrays().size();
    }

    @Override
    public void close() {
        manager.close();
    }
}
