package ai.adaptserve.model.placement;

import ai.djl.ndarray.types.DataType;

/** The outcome of {@link PlacementRule#choose}: a device and a data type, or why the request cannot be met. */
public sealed interface Placement {

    /**
     * Run on {@code device} in {@code dtype}.
     *
     * @param device DJL device name: {@code cpu} or {@code gpu0}
     * @param why one line for the start-up log: what was asked, what was found
     */
    record Chosen(String device, ComputeDType dtype, String why) implements Placement {
        public boolean gpu() {
            return device.startsWith("gpu");
        }

        public DataType djlType() {
            return dtype.djl();
        }
    }

    /**
     * The configuration cannot be met on this host.
     *
     * @param key the configuration key at fault ({@code device} or {@code dtype}, relative to the model's keys)
     * @param reason what is wrong and what to set instead
     */
    record Refused(String key, String reason) implements Placement {}
}
