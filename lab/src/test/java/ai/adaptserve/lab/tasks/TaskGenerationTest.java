package ai.adaptserve.lab.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.prompt.Demonstration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TaskGenerationTest {
    static final int PER_FAMILY = 40;
    static final TaskSuite.Counts COUNTS = new TaskSuite.Counts(
            PER_FAMILY * TaskFamily.values().length,
            10 * TaskFamily.values().length,
            20 * TaskFamily.values().length,
            10 * NovelTasks.families().size(),
            2);
    static TaskSuite.Suite suite;

    @BeforeAll
    static void generate() {
        suite = TaskSuite.generate(11, COUNTS);
    }

    static List<FewShotTask> all() {
        List<FewShotTask> all = new ArrayList<>();
        Stream.of(suite.train(), suite.val(), suite.test(), suite.novel()).forEach(all::addAll);
        return all;
    }

    @Test
    void countsAndIdsAreAsAsked() {
        assertEquals(COUNTS.train(), suite.train().size());
        assertEquals(COUNTS.val(), suite.val().size());
        assertEquals(COUNTS.test(), suite.test().size());
        assertEquals(COUNTS.novel(), suite.novel().size());
        assertEquals("train-000001", suite.train().get(0).id());
        assertEquals("test-000001", suite.test().get(0).id());
        assertEquals("novel-000001", suite.novel().get(0).id());
        Set<String> ids = new HashSet<>();
        all().forEach(t -> assertTrue(ids.add(t.id()), "duplicate id " + t.id()));
    }

    @Test
    void everyTaskIsConsistentWithItsFunction() {
        for (FewShotTask task : all()) {
            Operation op = Operations.forTask(task).orElseThrow(() -> new AssertionError("no function: " + task));
            int demos = task.examples().size();
            assertTrue(demos >= TaskGenerator.MIN_DEMOS && demos <= TaskGenerator.MAX_DEMOS, task.toString());
            Set<String> inputs = new HashSet<>();
            for (Demonstration e : task.examples()) {
                assertEquals(op.apply(e.input()), e.output(), "demo of " + task);
                assertNotEquals(e.input(), e.output(), "identity demo in " + task);
                assertTrue(inputs.add(e.input()), "repeated demo input in " + task);
            }
            assertEquals(op.apply(task.input()), task.output(), "test pair of " + task);
            assertNotEquals(task.input(), task.output(), task.toString());
            assertFalse(inputs.contains(task.input()), "test input among the demos: " + task);
            assertTrue(op.answerable(task.examples(), task.input()), task.toString());
            assertFalse(task.output().contains("\n"), task.toString());
        }
    }

    @Test
    void substitutionTasksAreLearnableFromTheirDemos() {
        int seen = 0;
        for (FewShotTask task : suite.train()) {
            if ("substitute".equals(task.family())) {
                seen++;
                Set<Character> shown = new HashSet<>();
                task.examples().forEach(e -> e.input().chars().forEach(c -> shown.add((char) c)));
                task.input().chars().forEach(c -> assertTrue(shown.contains((char) c), task.toString()));
            }
        }
        assertEquals(PER_FAMILY, seen);
    }

    @Test
    void trainingSplitsAreBalancedAndInTheTrainingRanges() {
        for (List<FewShotTask> split : List.of(suite.train(), suite.val(), suite.test())) {
            Map<String, Integer> perFamily = new HashMap<>();
            for (FewShotTask task : split) {
                TaskFamily family = task.trainingFamily().orElseThrow(() -> new AssertionError(task.toString()));
                perFamily.merge(family.label(), 1, Integer::sum);
                List<String> inputs = new ArrayList<>();
                task.examples().forEach(e -> inputs.add(e.input()));
                inputs.add(task.input());
                for (String x : inputs) {
                    switch (family.domain()) {
                        case GRID -> assertTrue(x.matches("[0-9]{6,12}"), task.toString());
                        case TEXT ->
                            assertTrue(
                                    family == TaskFamily.ADD
                                            ? x.matches("\\d{1,2}\\+\\d{1,2}")
                                            : x.matches("[a-z]{3,8}"),
                                    task.toString());
                    }
                }
                switch (family) {
                    case ROTATE, CAESAR -> assertTrue(k(task) >= 1 && k(task) <= 3, task.toString());
                    case SHIFT -> {
                        int k = k(task);
                        assertTrue(k >= 1 && k <= 2, task.toString());
                        for (String x : inputs) {
                            assertTrue(x.endsWith("0".repeat(k)), "nothing falls off the row: " + task);
                        }
                    }
                    case RECOLOUR ->
                        assertNotEquals(task.params().get("from"), task.params().get("to"));
                    default -> {}
                }
            }
            int expected = split.size() / TaskFamily.values().length;
            perFamily.values().forEach(n -> assertEquals(expected, n));
            assertEquals(TaskFamily.values().length, perFamily.size());
        }
    }

    private static int k(FewShotTask task) {
        return Integer.parseInt(task.params().get("k"));
    }

    @Test
    void heldOutSplitsAreDisjointFromEarlierOnes() {
        Set<String> trainContent = new HashSet<>();
        Set<String> trainInputs = new HashSet<>();
        for (FewShotTask t : suite.train()) {
            trainContent.add(TaskGenerator.contentKey(t));
            trainInputs.add(TaskGenerator.inputKey(t.family(), t.params(), t.input()));
            t.examples().forEach(e -> trainInputs.add(TaskGenerator.inputKey(t.family(), t.params(), e.input())));
        }
        Set<String> valContent = new HashSet<>();
        Set<String> valQueries = new HashSet<>();
        for (FewShotTask t : suite.val()) {
            assertFalse(trainContent.contains(TaskGenerator.contentKey(t)), t.toString());
            assertFalse(trainInputs.contains(TaskGenerator.inputKey(t.family(), t.params(), t.input())), t.toString());
            valContent.add(TaskGenerator.contentKey(t));
            valQueries.add(TaskGenerator.inputKey(t.family(), t.params(), t.input()));
        }
        for (FewShotTask t : suite.test()) {
            // The criterion: (family, input, examples) never shared with train.
            assertFalse(trainContent.contains(TaskGenerator.contentKey(t)), t.toString());
            assertFalse(valContent.contains(TaskGenerator.contentKey(t)), t.toString());
            // Stronger: the same question under the same function never occurs in train, even as a demo.
            assertFalse(trainInputs.contains(TaskGenerator.inputKey(t.family(), t.params(), t.input())), t.toString());
            assertFalse(valQueries.contains(TaskGenerator.inputKey(t.family(), t.params(), t.input())), t.toString());
        }
        Set<String> within = new HashSet<>();
        all().forEach(t -> assertTrue(within.add(TaskGenerator.contentKey(t)), "duplicate content " + t));
    }

    @Test
    void novelFamiliesNeverAppearInTraining() {
        Set<String> trainingFamilies = new HashSet<>();
        Stream.of(suite.train(), suite.val(), suite.test())
                .flatMap(List::stream)
                .forEach(t -> trainingFamilies.add(t.family()));
        Set<String> novelFamilies = new HashSet<>();
        suite.novel().forEach(t -> novelFamilies.add(t.family()));
        assertEquals(new HashSet<>(NovelTasks.families()), novelFamilies, "every novel family is generated");
        for (String label : novelFamilies) {
            assertTrue(label.startsWith(NovelTasks.PREFIX), label);
            assertFalse(trainingFamilies.contains(label), label);
            assertTrue(TaskFamily.byLabel(label).isEmpty(), label);
        }
        for (FewShotTask t : suite.novel()) {
            assertTrue(t.trainingFamily().isEmpty());
            String f = t.family();
            if (f.equals("novel:range:rotate")) {
                assertTrue(k(t) > TaskFamily.ROTATE_MAX_K && k(t) <= NovelTasks.ROTATE_MAX_K, t.toString());
            } else if (f.equals("novel:range:caesar")) {
                assertTrue(k(t) > TaskFamily.CAESAR_MAX_K && k(t) <= NovelTasks.CAESAR_MAX_K, t.toString());
            } else if (f.equals("novel:range:shift")) {
                assertTrue(k(t) > TaskFamily.SHIFT_MAX_K && k(t) <= NovelTasks.SHIFT_MAX_K, t.toString());
            } else if (f.equals("novel:range:add")) {
                assertTrue(t.input().matches("\\d{3}\\+\\d{3}"), t.toString());
            }
        }
    }

    @Test
    void compositionsShowBothSteps() {
        List<FewShotTask> compositions = suite.novel().stream()
                .filter(t -> t.family().startsWith("novel:compose:"))
                .toList();
        assertFalse(compositions.isEmpty(), "the suite's novel split has compositions");
        for (FewShotTask t : compositions) {
            String[] parts = t.family().substring("novel:compose:".length()).split("\\+");
            Map<String, String> firstParams = new HashMap<>();
            Map<String, String> secondParams = new HashMap<>();
            t.params().forEach((k, v) -> {
                if (k.startsWith(parts[0] + ".")) {
                    firstParams.put(k.substring(parts[0].length() + 1), v);
                } else {
                    secondParams.put(k.substring(parts[1].length() + 1), v);
                }
            });
            Operation first = Operations.of(parts[0], firstParams).orElseThrow();
            Operation second = Operations.of(parts[1], secondParams).orElseThrow();
            for (Demonstration e : t.examples()) {
                String mid = first.apply(e.input());
                assertNotEquals(e.input(), mid, t.toString());
                assertNotEquals(mid, e.output(), t.toString());
                assertEquals(second.apply(mid), e.output());
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameSuiteAndAnotherSeedAnother() {
        TaskSuite.Suite again = TaskSuite.generate(11, COUNTS);
        assertEquals(suite, again);
        TaskSuite.Suite other = TaskSuite.generate(12, COUNTS);
        assertNotEquals(suite.train(), other.train());
        assertNotEquals(suite.novel(), other.novel());
        assertNotEquals(suite.docs(), other.docs());
    }
}
