package ai.adaptserve.model.adapter;

import ai.adaptserve.model.config.ModelConfig;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The weight matrices an adapter may change, by their place in a Llama-family layer. */
public enum TargetMatrix {
    Q("self_attn.q_proj"),
    K("self_attn.k_proj"),
    V("self_attn.v_proj"),
    O("self_attn.o_proj"),
    GATE("mlp.gate_proj"),
    UP("mlp.up_proj"),
    DOWN("mlp.down_proj"),
    /** The output head ({@code lm_head}); its layer index is {@link MatrixRef#HEAD_LAYER}. */
    HEAD("lm_head");

    /** Transformer²'s default: the MLP matrices. */
    public static final Set<TargetMatrix> MLP = EnumSet.of(GATE, UP, DOWN);

    public static final Set<TargetMatrix> ATTENTION = EnumSet.of(Q, K, V, O);

    private final String hfName;

    TargetMatrix(String hfName) {
        this.hfName = hfName;
    }

    /** The module name inside a layer, as Hugging Face checkpoints spell it. */
    public String hfName() {
        return hfName;
    }

    /** Short lower-case name used in adapter files and configuration: q, k, v, o, gate, up, down, head. */
    public String shortName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Input width of this matrix in a model of the given shape. */
    public int in(ModelConfig c) {
        return switch (this) {
            case Q, K, V, GATE, UP, HEAD -> c.hiddenSize();
            case O -> c.qDim();
            case DOWN -> c.intermediateSize();
        };
    }

    /** Output width of this matrix in a model of the given shape. */
    public int out(ModelConfig c) {
        return switch (this) {
            case Q -> c.qDim();
            case K, V -> c.kvDim();
            case O, DOWN -> c.hiddenSize();
            case GATE, UP -> c.intermediateSize();
            case HEAD -> c.vocabSize();
        };
    }

    public static TargetMatrix fromShortName(String s) {
        for (TargetMatrix t : values()) {
            if (t.shortName().equals(s)) {
                return t;
            }
        }
        throw new IllegalArgumentException(
                "unknown target matrix '" + s + "' (known: q, k, v, o, gate, up, down, head)");
    }
}
