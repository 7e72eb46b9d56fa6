package ai.adaptserve.model.train;

import ai.adaptserve.model.adapter.Adapter;
import java.util.Locale;
import java.util.Objects;

/**
 * What a trainer produced.
 *
 * @param adapter the adapter as it stood after the last step (the initial, identity adapter if no step ran)
 * @param steps optimizer steps taken
 * @param firstLoss loss of the first step, NaN if none ran
 * @param lastLoss loss of the last step, NaN if none ran
 * @param elapsedMs wall time of the whole call, setup included
 * @param stopReason why it stopped
 */
public record TrainingResult<A extends Adapter>(
        A adapter, int steps, double firstLoss, double lastLoss, long elapsedMs, StopReason stopReason) {
    public TrainingResult {
        Objects.requireNonNull(adapter, "adapter");
        Objects.requireNonNull(stopReason, "stopReason");
    }

    /**
     * A one-line JSON object for the adapter file's {@code training} metadata, e.g. {@code {"kind":"lora","steps":40,
     * "first_loss":3.2101,"last_loss":0.0412,"elapsed_ms":1834,"stop":"completed"}}; losses that are not numbers are
     * {@code null}.
     */
    public String summary() {
        return "{\"kind\":\"" + adapter.kind() + "\",\"steps\":" + steps + ",\"first_loss\":" + number(firstLoss)
                + ",\"last_loss\":" + number(lastLoss) + ",\"elapsed_ms\":" + elapsedMs + ",\"stop\":\""
                + stopReason.name().toLowerCase(Locale.ROOT) + "\"}";
    }

    static String number(double d) {
        return Double.isFinite(d) ? String.format(Locale.ROOT, "%.4f", d) : "null";
    }
}
