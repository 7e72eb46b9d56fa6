package ai.adaptserve.lab.tasks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskSuiteTest {
    static final List<String> FILES =
            List.of("train.jsonl", "val.jsonl", "test.jsonl", "novel.jsonl", "docs.jsonl", "README.md");

    @TempDir
    Path dir;

    private int run(String... args) {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        return TaskSuite.run(args, quiet, quiet);
    }

    private String[] args(Path out, String seed) {
        return new String[] {
            "generate",
            "--out",
            out.toString(),
            "--seed",
            seed,
            "--train",
            "130",
            "--val",
            "26",
            "--test",
            "39",
            "--novel",
            "34",
            "--docs",
            "3"
        };
    }

    @Test
    void theSameSeedWritesByteIdenticalFiles() throws IOException {
        Path a = dir.resolve("a");
        Path b = dir.resolve("nested/b");
        assertEquals(0, run(args(a, "42")));
        assertEquals(0, run(args(b, "42")));
        for (String name : FILES) {
            assertArrayEquals(Files.readAllBytes(a.resolve(name)), Files.readAllBytes(b.resolve(name)), name);
        }
        assertEquals(130, TaskFiles.read(a.resolve("train.jsonl")).size());
        assertEquals(26, TaskFiles.read(a.resolve("val.jsonl")).size());
        assertEquals(39, TaskFiles.read(a.resolve("test.jsonl")).size());
        assertEquals(34, TaskFiles.read(a.resolve("novel.jsonl")).size());
        assertEquals(3, TaskFiles.readDocuments(a.resolve("docs.jsonl")).size());

        Path c = dir.resolve("c");
        assertEquals(0, run(args(c, "43")));
        assertFalse(Arrays.equals(
                Files.readAllBytes(a.resolve("train.jsonl")), Files.readAllBytes(c.resolve("train.jsonl"))));
    }

    @Test
    void theReadmeListsFamiliesCountsAndTheCommand() throws IOException {
        assertEquals(0, run(args(dir, "42")));
        String readme = Files.readString(dir.resolve("README.md"));
        for (TaskFamily f : TaskFamily.values()) {
            assertTrue(readme.contains("| `" + f.label() + "` |"), f.label());
        }
        for (String label : NovelTasks.families()) {
            assertTrue(readme.contains("`" + label + "`"), label);
        }
        assertTrue(readme.contains("| `train.jsonl` | 130 |"), readme);
        assertTrue(readme.contains("| `docs.jsonl` | 3 |"), readme);
        assertTrue(readme.contains(TaskSuite.COMMAND_PREFIX));
        assertTrue(
                readme.contains("generate --out OUT --seed 42 --train 130 --val 26 --test 39 --novel 34 --docs 3"),
                readme);
    }

    @Test
    void badArgumentsExitWithUsage() {
        assertEquals(2, run());
        assertEquals(2, run("make"));
        assertEquals(2, run("generate", "--seed", "1"));
        assertEquals(2, run("generate", "--out", dir.toString()));
        assertEquals(2, run("generate", "--out", dir.toString(), "--seed", "x"));
        assertEquals(2, run("generate", "--out", dir.toString(), "--seed", "1", "--train", "-1"));
        assertEquals(2, run("generate", "--out", dir.toString(), "--seed", "1", "--bogus", "3"));
        assertEquals(2, run("generate", "--out", dir.toString(), "--seed"));
    }
}
