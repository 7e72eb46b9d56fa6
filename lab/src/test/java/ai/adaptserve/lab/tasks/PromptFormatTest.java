package ai.adaptserve.lab.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.adaptserve.model.prompt.Demonstration;
import ai.adaptserve.model.prompt.Phrasing;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PromptFormatTest {
    static final FewShotTask REVERSE =
            new FewShotTask("t-1", "reverse", List.of(new Demonstration("abc", "cba")), "hello", "olleh");

    @Test
    void rendersEachPhrasingEndingWhereTheAnswerStarts() {
        assertEquals("in: abc\nout: cba\nin: hello\nout: ", PromptFormat.render(REVERSE, true, Phrasing.GENERIC));
        assertEquals("in: hello\nout: ", PromptFormat.render(REVERSE, false, Phrasing.GENERIC));
        assertEquals("reverse: abc -> cba; hello -> ", PromptFormat.render(REVERSE, true, Phrasing.ARROW));
        assertEquals("reverse: hello -> ", PromptFormat.render(REVERSE, false, Phrasing.ARROW));
        assertEquals(
                "Reverse the text.\nabc => cba\nhello => ", PromptFormat.render(REVERSE, true, Phrasing.INSTRUCTION));
        assertEquals("Reverse the text.\nhello => ", PromptFormat.render(REVERSE, false, Phrasing.INSTRUCTION));
        assertEquals("Task: reverse\nQ: abc\nA: cba\nQ: hello\nA: ", PromptFormat.render(REVERSE, true, Phrasing.QA));
        assertEquals("olleh\n", PromptFormat.completion(REVERSE));
        assertThrows(IllegalArgumentException.class, () -> Phrasing.at(PromptFormat.PHRASINGS));
    }

    @Test
    void parametersAppearInTagsButTablesAndNovelLabelsDoNot() {
        FewShotTask rotate = new FewShotTask("t", "rotate", List.of(), "abcde", "cdeab", Map.of("k", "2"));
        assertEquals("rotate 2: abcde -> ", PromptFormat.render(rotate, false, Phrasing.ARROW));
        assertEquals("Rotate the text left by 2.\nabcde => ", PromptFormat.render(rotate, false, Phrasing.INSTRUCTION));
        FewShotTask recolour =
                new FewShotTask("t", "recolour", List.of(), "0030", "0070", Map.of("from", "3", "to", "7"));
        assertEquals("Task: recolour 3>7\nQ: 0030\nA: ", PromptFormat.render(recolour, false, Phrasing.QA));
        FewShotTask substitute =
                new FewShotTask("t", "substitute", List.of(), "abc", "bad", Map.of("from", "abcdef", "to", "badcfe"));
        assertEquals("substitute: abc -> ", PromptFormat.render(substitute, false, Phrasing.ARROW));
        FewShotTask novel =
                new FewShotTask("t", "novel:compose:reverse+upper", List.of(new Demonstration("ab", "BA")), "cd", "DC");
        assertEquals("task: ab -> BA; cd -> ", PromptFormat.render(novel, true, Phrasing.ARROW));
        assertEquals(
                "Find the rule in the examples.\nab => BA\ncd => ",
                PromptFormat.render(novel, true, Phrasing.INSTRUCTION));
        FewShotTask unknown = new FewShotTask("t", null, List.of(), "cd", "DC");
        assertEquals("Task: task\nQ: cd\nA: ", PromptFormat.render(unknown, true, Phrasing.QA));
    }

    @Test
    void answerableOnlyWhenThePromptCarriesTheRule() {
        assertTrue(PromptFormat.answerable(REVERSE, false, Phrasing.ARROW));
        assertFalse(PromptFormat.answerable(REVERSE, false, Phrasing.GENERIC));
        assertTrue(PromptFormat.answerable(REVERSE, true, Phrasing.GENERIC));
        FewShotTask substitute =
                new FewShotTask("t", "substitute", List.of(new Demonstration("ab", "ba")), "ba", "ab", Map.of());
        assertFalse(PromptFormat.answerable(substitute, false, Phrasing.INSTRUCTION));
        assertTrue(PromptFormat.answerable(substitute, true, Phrasing.INSTRUCTION));
        FewShotTask novel = new FewShotTask("t", "novel:op:double", REVERSE.examples(), "ab", "aabb");
        assertFalse(PromptFormat.answerable(novel, false, Phrasing.QA));
    }

    @Test
    void generatedPromptsStayWithinTheByteBudget() {
        TaskSuite.Suite suite = TaskSuite.generate(21, new TaskSuite.Counts(1300, 0, 130, 340, 0));
        List<FewShotTask> tasks = new ArrayList<>(suite.train());
        tasks.addAll(suite.test());
        tasks.addAll(suite.novel());
        int longest = 0;
        for (FewShotTask task : tasks) {
            for (Phrasing p : Phrasing.values()) {
                String prompt = PromptFormat.render(task, true, p);
                int bytes = prompt.getBytes(StandardCharsets.UTF_8).length;
                longest = Math.max(longest, bytes);
                assertTrue(bytes <= PromptFormat.MAX_DEMO_PROMPT_BYTES, bytes + " bytes: " + prompt);
                int withAnswer = bytes + PromptFormat.completion(task).length();
                assertTrue(withAnswer <= 256, "prompt and answer fit a 256-byte context: " + prompt);
                for (Demonstration e : task.examples()) {
                    assertTrue(prompt.contains(e.input()) && prompt.contains(e.output()));
                }
                assertTrue(prompt.endsWith(" "), "answer follows a space: " + prompt);
                assertTrue(PromptFormat.render(task, false, p).length() < 80);
            }
        }
        assertTrue(longest > 120, "the budget test sees long prompts: " + longest);
    }
}
