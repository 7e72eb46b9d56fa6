package ai.adaptserve.lab.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.prompt.Demonstration;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskFilesTest {
    @TempDir
    Path dir;

    static final FewShotTask DESIGN_EXAMPLE =
            new FewShotTask("t-0001", "reverse", List.of(new Demonstration("abc", "cba")), "hello", "olleh");

    @Test
    void writesTheDesignFormatExactly() throws IOException {
        Path file = dir.resolve("t.jsonl");
        TaskFiles.write(file, List.of(DESIGN_EXAMPLE));
        assertEquals(
                "{\"id\":\"t-0001\",\"family\":\"reverse\",\"examples\":[{\"input\":\"abc\",\"output\":\"cba\"}],"
                        + "\"input\":\"hello\",\"output\":\"olleh\"}\n",
                Files.readString(file));
    }

    @Test
    void readsTheDesignExampleAsWrittenThere() throws IOException {
        Path file = dir.resolve("design.jsonl");
        Files.writeString(
                file,
                "{\"id\": \"t-0001\", \"family\": \"reverse\", \"examples\": [{\"input\": \"abc\", \"output\": \"cba\"}],"
                        + " \"input\": \"hello\", \"output\": \"olleh\"}\n");
        assertEquals(List.of(DESIGN_EXAMPLE), TaskFiles.read(file));
    }

    @Test
    void roundTripsTasksWithAndWithoutFamilyAndParams() throws IOException {
        TaskSuite.Suite suite = TaskSuite.generate(3, new TaskSuite.Counts(26, 0, 0, 17, 2));
        List<FewShotTask> tasks = new java.util.ArrayList<>(suite.train());
        tasks.addAll(suite.novel());
        tasks.add(new FewShotTask("x-1", null, List.of(new Demonstration("ab", "ba")), "cd", "dc"));
        tasks.add(new FewShotTask("x-2", "caesar", List.of(), "é ü", "ü é", Map.of("k", "2")));
        Path file = dir.resolve("tasks.jsonl");
        TaskFiles.write(file, tasks);
        assertEquals(tasks, TaskFiles.read(file));
        assertTrue(Files.readAllLines(file).get(tasks.size() - 2).indexOf("family") < 0, "null family is omitted");

        Path docs = dir.resolve("docs.jsonl");
        TaskFiles.writeDocuments(docs, suite.docs());
        assertEquals(suite.docs(), TaskFiles.readDocuments(docs));
        assertEquals(2, Files.readAllLines(docs).size(), "one document per line");
    }

    @Test
    void absentFamilyReadsAsNullAndUnknownFieldsAndBlankLinesAreSkipped() throws IOException {
        Path file = dir.resolve("loose.jsonl");
        Files.writeString(
                file,
                "\n{\"id\":\"a\",\"examples\":[],\"input\":\"x\",\"output\":\"y\",\"split\":\"test\"}\n\n"
                        + "{\"id\":\"b\",\"input\":\"x\",\"output\":\"y\"}\n");
        List<FewShotTask> tasks = TaskFiles.read(file);
        assertEquals(2, tasks.size());
        assertNull(tasks.get(0).family());
        assertEquals(List.of(), tasks.get(1).examples());
        assertEquals(Map.of(), tasks.get(1).params());
    }

    @Test
    void aMalformedLineIsReportedWithFileAndLineNumber() throws IOException {
        Path file = dir.resolve("bad.jsonl");
        String good = TaskFiles.toJson(DESIGN_EXAMPLE);
        Files.writeString(file, good + "\n" + good + "\n{\"id\": \"t-3\", \"input\": \"abc\",\n" + good + "\n");
        TaskFileException e = assertThrows(TaskFileException.class, () -> TaskFiles.read(file));
        assertEquals(file, e.file());
        assertEquals(3, e.line());
        assertTrue(e.getMessage().startsWith(file + ":3: "), e.getMessage());
    }

    @Test
    void aMissingFieldIsReportedWithItsName() throws IOException {
        Path file = dir.resolve("missing.jsonl");
        Files.writeString(file, "\n{\"id\":\"t-1\",\"examples\":[],\"input\":\"abc\"}\n");
        TaskFileException e = assertThrows(TaskFileException.class, () -> TaskFiles.read(file));
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains(":2: ") && e.getMessage().contains("output"), e.getMessage());

        Files.writeString(file, "[1, 2]\n");
        assertEquals(
                1,
                assertThrows(TaskFileException.class, () -> TaskFiles.read(file))
                        .line());
        Files.writeString(file, "null\n");
        assertEquals(
                1,
                assertThrows(TaskFileException.class, () -> TaskFiles.read(file))
                        .line());
        Files.writeString(file, TaskFiles.toJson(DESIGN_EXAMPLE) + " {}\n");
        assertEquals(
                1,
                assertThrows(TaskFileException.class, () -> TaskFiles.read(file))
                        .line(),
                "trailing data");
        Files.writeString(file, "{\"id\":\"d\",\"questions\":[{\"question\":\"q?\"}]}\n");
        TaskFileException doc = assertThrows(TaskFileException.class, () -> TaskFiles.readDocuments(file));
        assertTrue(doc.getMessage().contains("answer"), doc.getMessage());
    }

    @Test
    void writingIsDeterministic() throws IOException {
        List<FewShotTask> tasks = NovelTasks.generate(34, new Random(1));
        Path a = dir.resolve("a.jsonl");
        Path b = dir.resolve("b.jsonl");
        TaskFiles.write(a, tasks);
        TaskFiles.write(b, TaskFiles.read(a));
        assertEquals(
                new String(Files.readAllBytes(a), StandardCharsets.UTF_8),
                new String(Files.readAllBytes(b), StandardCharsets.UTF_8));
    }
}
