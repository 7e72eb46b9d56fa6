package ai.adaptserve.lab.tasks;

import java.io.IOException;
import java.nio.file.Path;

/** A line of a JSONL task file that cannot be read; the message starts with {@code <file>:<line>: }. */
public final class TaskFileException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final int line;

    public TaskFileException(Path file, int line, String problem, Throwable cause) {
        super(file + ":" + line + ": " + problem, cause);
        this.file = file;
        this.line = line;
    }

    public Path file() {
        return file;
    }

    /** 1-based line number. */
    public int line() {
        return line;
    }
}
