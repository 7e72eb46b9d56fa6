package ai.adaptserve.lab.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.lab.tasks.FewShotTask;
import ai.adaptserve.lab.tasks.TaskFiles;
import ai.adaptserve.lab.tasks.TaskSuite;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short version of the evaluation command: every strategy on a few tasks (two held-out training families and one
 * novel task, from a suite seed nothing was built with), on the built-in model with its experts and router.
 */
class EvaluateTest {
    @TempDir
    Path tmp;

    @Test
    void evaluatesEveryStrategyAndWritesASummaryThatAddsUp() throws Exception {
        TaskSuite.Suite suite = TaskSuite.generate(424242L, new TaskSuite.Counts(0, 0, 26, 1, 0));
        List<FewShotTask> tasks = new ArrayList<>();
        tasks.add(suite.test().stream()
                .filter(t -> t.family().equals("reverse"))
                .findFirst()
                .orElseThrow());
        tasks.add(suite.test().stream()
                .filter(t -> t.family().equals("gravity"))
                .findFirst()
                .orElseThrow());
        tasks.add(suite.novel().get(0));
        Path file = tmp.resolve("tasks.jsonl");
        TaskFiles.write(file, tasks);
        Path json = tmp.resolve("out/summary.json");

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Evaluate.run(
                new String[] {
                    "--tasks",
                    file.toString(),
                    "--json",
                    json.toString(),
                    "--with-tasks",
                    "--ttt-steps",
                    "2",
                    "--cem-iterations",
                    "1",
                    "--cem-population",
                    "2",
                    "--relabels",
                    "1",
                    "--orders",
                    "1"
                },
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);
        System.out.println(printed);
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));

        JsonNode summary = new ObjectMapper().readTree(json.toFile());
        List<String> strategies = new ArrayList<>();
        summary.get("strategies").fieldNames().forEachRemaining(strategies::add);
        assertEquals(List.of("base", "vote", "svf", "svf-oracle", "cem", "ttt", "ttt+vote"), strategies);
        for (String s : strategies) {
            JsonNode n = summary.get("strategies").get(s);
            assertEquals(3, n.get("total").asInt(), s);
            int recount = 0;
            for (JsonNode t : summary.get("tasks")) {
                if (t.get("expected").asText().equals(t.get("answers").get(s).asText())) {
                    recount++;
                }
            }
            assertEquals(recount, n.get("correct").asInt(), s + ": the summary counts the answers it lists");
            int familyTotal = 0;
            for (Iterator<Map.Entry<String, JsonNode>> it = n.get("families").fields(); it.hasNext(); ) {
                familyTotal += it.next().getValue().get("total").asInt();
            }
            assertEquals(3, familyTotal, s);
            assertTrue(n.get("mean_ms").asDouble() > 0, s);
            assertTrue(printed.contains(" " + s + " |"), "the table has a column for " + s);
        }
        assertEquals(2, summary.get("routing").get("known").asInt());
        assertEquals(1, summary.get("routing").get("unknown").asInt());
        assertTrue(printed.contains("| reverse |") && printed.contains("| gravity |"), printed);
        assertTrue(printed.contains("routing: "), printed);
        assertEquals(
                java.util.HexFormat.of()
                        .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                                .digest(Files.readAllBytes(file))),
                summary.get("tasks_sha256").asText());
    }

    @Test
    void badArgumentsAndBadFilesAreNamed() throws IOException {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream o = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

        Path file = tmp.resolve("bad.jsonl");
        Files.writeString(
                file, "{\"id\": \"t1\", \"input\": \"ab\", \"output\": \"ba\"}\n{\"id\": \"t2\", \"input\": 5\n");
        assertEquals(2, Evaluate.run(new String[] {"--tasks", file.toString()}, o, e));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("bad.jsonl"), err.toString(StandardCharsets.UTF_8));

        err.reset();
        assertEquals(2, Evaluate.run(new String[] {"--tasks", file.toString(), "--strategies", "base,magic"}, o, e));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown strategy magic"));

        err.reset();
        assertEquals(2, Evaluate.run(new String[] {"--strategies", "base"}, o, e));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--tasks is required"));

        err.reset();
        Path good = tmp.resolve("good.jsonl");
        Files.writeString(good, "{\"id\": \"t1\", \"input\": \"ab\", \"output\": \"ba\"}\n");
        assertEquals(2, Evaluate.run(new String[] {"--tasks", good.toString(), "--limit", "0"}, o, e));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--limit must be >= 1"));
    }
}
