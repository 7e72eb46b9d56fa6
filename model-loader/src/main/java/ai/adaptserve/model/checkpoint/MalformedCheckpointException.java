package ai.adaptserve.model.checkpoint;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A checkpoint file is missing, unreadable or malformed. Checked, so that the caller can fall back or report. The
 * message always names the file and, if there is one, the tensor.
 */
public final class MalformedCheckpointException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String tensor;
    private final String problem;

    public MalformedCheckpointException(Path file, String tensor, String problem) {
        this(file, tensor, problem, null);
    }

    public MalformedCheckpointException(Path file, String tensor, String problem, Throwable cause) {
        super(message(file, tensor, problem), cause);
        this.file = Objects.requireNonNull(file, "file");
        this.tensor = tensor;
        this.problem = problem;
    }

    private static String message(Path file, String tensor, String problem) {
        StringBuilder sb = new StringBuilder("malformed checkpoint ").append(file);
        if (tensor != null) {
            sb.append(", tensor '").append(tensor).append('\'');
        }
        return sb.append(": ").append(problem).toString();
    }

    /** The file (or checkpoint directory) at fault. */
    public Path file() {
        return file;
    }

    /** The tensor at fault, if the problem concerns one. */
    public Optional<String> tensor() {
        return Optional.ofNullable(tensor);
    }

    /** The problem, without the file and tensor names. */
    public String problem() {
        return problem;
    }
}
