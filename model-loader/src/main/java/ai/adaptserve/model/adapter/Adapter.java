package ai.adaptserve.model.adapter;

import java.util.Set;

/** A change to the base model applied beside its weights, never into them. */
public sealed interface Adapter permits ZVector, LoraAdapter {

    /** {@code svf} or {@code lora}, as in adapter files and the API. */
    String kind();

    /** The matrices this adapter changes. */
    Set<MatrixRef> targets();

    /** Bytes of the adapter's parameters as F32. */
    long parameterBytes();
}
