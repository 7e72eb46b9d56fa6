package ai.adaptserve.cache;

import java.util.Optional;

/**
 * The kind of an adapter: how its tensors change the base model.
 *
 * <p>The {@linkplain #wireName() wire name} is what goes into an {@link AdapterKey}'s canonical form and into the
 * stored envelope; it never changes for an existing kind.
 */
public enum AdapterKind {
    /** Transformer² singular-value fine-tuning: a z-vector per target matrix scales its singular values. */
    SVF("svf"),
    /** Low-rank adaptation: a pair of matrices {@code A}, {@code B} per target matrix. */
    LORA("lora");

    private final String wireName;

    AdapterKind(String wireName) {
        this.wireName = wireName;
    }

    /** The stable lower-case name: {@code svf} or {@code lora}. */
    public String wireName() {
        return wireName;
    }

    /** The kind with this wire name, or empty for a name this version does not know. */
    public static Optional<AdapterKind> fromWireName(String name) {
        for (AdapterKind kind : values()) {
            if (kind.wireName.equals(name)) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }
}
