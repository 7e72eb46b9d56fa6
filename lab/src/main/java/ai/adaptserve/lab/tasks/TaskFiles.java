package ai.adaptserve.lab.tasks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON Lines files of {@link FewShotTask}s and {@link DocumentTask}s: UTF-8, one object per line, each line ended
 * by {@code \n}, fields in a fixed order, so equal lists give byte-identical files. Reading skips blank lines and
 * ignores unknown fields; any other problem is a {@link TaskFileException} naming the file and the line.
 */
public final class TaskFiles {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true)
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private TaskFiles() {}

    public static List<FewShotTask> read(Path file) throws IOException {
        return readLines(file, FewShotTask.class);
    }

    public static void write(Path file, List<FewShotTask> tasks) throws IOException {
        writeLines(file, tasks);
    }

    public static List<DocumentTask> readDocuments(Path file) throws IOException {
        return readLines(file, DocumentTask.class);
    }

    public static void writeDocuments(Path file, List<DocumentTask> documents) throws IOException {
        writeLines(file, documents);
    }

    /** One task as its JSONL line (without the line end). */
    public static String toJson(Object taskOrDocument) {
        try {
            return MAPPER.writeValueAsString(taskOrDocument);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> List<T> readLines(Path file, Class<T> type) throws IOException {
        List<T> out = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    T value = MAPPER.readValue(line, type);
                    if (value == null) {
                        throw new TaskFileException(file, number, "expected a JSON object, found null", null);
                    }
                    out.add(value);
                } catch (JsonProcessingException e) {
                    throw new TaskFileException(file, number, describe(e), e);
                }
            }
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IOException(file + ": not valid UTF-8", e);
        }
        return out;
    }

    private static String describe(JsonProcessingException e) {
        if (e instanceof ValueInstantiationException
                && e.getCause() != null
                && e.getCause().getMessage() != null) {
            return e.getCause().getMessage();
        }
        String message = e.getOriginalMessage();
        if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
            StringBuilder path = new StringBuilder();
            for (JsonMappingException.Reference ref : mapping.getPath()) {
                if (ref.getFieldName() != null) {
                    path.append(path.isEmpty() ? "" : ".").append(ref.getFieldName());
                } else if (ref.getIndex() >= 0) {
                    path.append('[').append(ref.getIndex()).append(']');
                }
            }
            if (!path.isEmpty()) {
                message = "field " + path + ": " + message;
            }
        }
        var location = e.getLocation();
        if (location != null && location.getColumnNr() > 0) {
            message += " (column " + location.getColumnNr() + ")";
        }
        return message;
    }

    private static void writeLines(Path file, List<?> values) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (BufferedWriter writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Object value : values) {
                writer.write(MAPPER.writeValueAsString(value));
                writer.write('\n');
            }
        }
    }
}
