package ai.adaptserve.model.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.adaptserve.model.BuiltinModel;
import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.generate.Generation;
import ai.adaptserve.model.generate.GenerationParams;
import ai.adaptserve.model.tokenizer.ByteTokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built-in model's own template, and chat on the built-in model end to end. */
class ChatTemplateBuiltinTest {
    /** Demonstrations as user/assistant pairs, then the question. */
    static final List<ChatMessage> UPPER = List.of(
            ChatMessage.user("abc"),
            ChatMessage.assistant("ABC"),
            ChatMessage.user("hello"),
            ChatMessage.assistant("HELLO"),
            ChatMessage.user("moon"));

    @Test
    void demonstrationsRenderAsTheGenericPhraseTheModelWasTrainedOn() {
        // PromptFormat's generic phrasing (model-loader's tasks package, docs/builtin-model.md):
        // "in: <input>\nout: <output>\n" per demonstration, then "in: <input>\nout: " where the answer starts.
        assertEquals(
                "in: abc\nout: ABC\nin: hello\nout: HELLO\nin: moon\nout: ",
                ChatTemplate.builtin().render(UPPER, true));
        assertEquals(
                "in: abc\nout: ABC\nin: hello\nout: HELLO\nin: moon\n",
                ChatTemplate.builtin().render(UPPER, false));
    }

    @Test
    void systemMessageIsTheFirstLine() {
        assertEquals(
                "Write the text in capitals.\nin: moon\nout: ",
                ChatTemplate.builtin()
                        .render(
                                List.of(ChatMessage.system("Write the text in capitals."), ChatMessage.user("moon")),
                                true));
    }

    @Test
    void stopsAtTheNewlineAndLeavesBosToTheTokenizer() {
        ChatTemplate t = ChatTemplate.builtin();
        assertEquals(List.of("\n"), t.stopStrings());
        assertFalse(t.startsWithBos(t.render(UPPER, true)));
        assertEquals("<s>", t.bosToken().orElseThrow());
        assertSame(t, ChatTemplate.builtin());
        assertEquals("built-in chat template", t.source());
    }

    @Test
    void chatWorksOnTheBuiltinModel(@TempDir Path tmp) {
        ChatTemplate t = ChatTemplate.builtin();
        try (LoadedModel model = LoadedModel.load(BuiltinModel.materialize(tmp))) {
            String prompt = t.render(UPPER, true);
            // One BOS, as in training: the template writes none and the tokenizer adds it.
            int[] ids = model.tokenizer().encode(prompt, !t.startsWithBos(prompt));
            assertEquals(ByteTokenizer.BOS, ids[0]);
            assertEquals('i', ids[1]);
            assertArrayEquals(model.encode(prompt), ids, "today's generation path encodes it the same way");

            Generation g = model.generate(prompt, new GenerationParams(16, 0f, 1f, t.stopStrings(), 0));
            assertEquals("MOON", g.text());
        }
    }

    @Test
    void bosTextInAPromptBecomesTheBosIdSoItMustNotBeAddedAgain(@TempDir Path tmp) {
        // Why startsWithBos matters: a Hugging Face tokenizer reads special-token text in the prompt as that token.
        try (LoadedModel model = LoadedModel.load(BuiltinModel.materialize(tmp))) {
            int[] once = model.tokenizer().encode("<s>in: a", false);
            int[] twice = model.tokenizer().encode("<s>in: a", true);
            assertEquals(ByteTokenizer.BOS, once[0]);
            assertEquals('i', once[1]);
            assertEquals(
                    List.of(ByteTokenizer.BOS, ByteTokenizer.BOS),
                    Arrays.stream(twice).limit(2).boxed().toList(),
                    "encoding with addBos as well gives two");
        }
    }
}
