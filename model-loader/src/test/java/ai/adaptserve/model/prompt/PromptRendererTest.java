package ai.adaptserve.model.prompt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class PromptRendererTest {
    static final List<Demonstration> DEMOS = List.of(new Demonstration("abc", "cba"));
    static final TaskDescription REVERSE = new TaskDescription("reverse", "Reverse the text.");

    @Test
    void everyPhrasingEndsWhereTheAnswerStarts() {
        // The strings of the Phrasing javadoc table, written out by hand.
        assertEquals(
                "in: abc\nout: cba\nin: hello\nout: ",
                PromptRenderer.render(Phrasing.GENERIC, REVERSE, DEMOS, "hello"));
        assertEquals("reverse: abc -> cba; hello -> ", PromptRenderer.render(Phrasing.ARROW, REVERSE, DEMOS, "hello"));
        assertEquals(
                "Reverse the text.\nabc => cba\nhello => ",
                PromptRenderer.render(Phrasing.INSTRUCTION, REVERSE, DEMOS, "hello"));
        assertEquals(
                "Task: reverse\nQ: abc\nA: cba\nQ: hello\nA: ",
                PromptRenderer.render(Phrasing.QA, REVERSE, DEMOS, "hello"));
        assertEquals("in: x\nout: ", PromptRenderer.inOut(List.of(), "x"));
    }

    @Test
    void valuesAreNeverReadAsPlaceholders() {
        List<Demonstration> tricky = List.of(new Demonstration("{output}", "{input}"));
        assertEquals(
                "{tag}: {output} -> {input}; {x} -> ",
                PromptRenderer.render(Phrasing.ARROW, new TaskDescription("{tag}", "i"), tricky, "{x}"));
    }

    @Test
    void documentGoesFirstThenABlankLine() {
        assertEquals("doc\n\nq", PromptRenderer.withDocument("doc", "q"));
        assertEquals("q", PromptRenderer.withDocument(null, "q"));
        assertEquals("ab", PromptRenderer.answer("ab\ncd"));
        assertEquals("ab", PromptRenderer.answer("ab"));
    }

    @Test
    void phrasingsKeepTheirIndexOrder() {
        // Seeded data generation draws phrasings by index: the order is part of the task suite's reproducibility.
        assertEquals(
                List.of(Phrasing.GENERIC, Phrasing.ARROW, Phrasing.INSTRUCTION, Phrasing.QA),
                List.of(Phrasing.values()));
        assertEquals("instruction", Phrasing.at(2).label());
        assertThrows(IllegalArgumentException.class, () -> Phrasing.at(4));
    }
}
