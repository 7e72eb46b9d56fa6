package ai.adaptserve.model.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.adaptserve.model.LoadedModel;
import ai.adaptserve.model.TestModels;
import ai.adaptserve.model.checkpoint.TensorDType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-token listener hears exactly what the finished {@link Generation} holds, and can stop the batch. */
class TokenListenerTest {
    @TempDir
    static Path tmp;

    static LoadedModel model;

    @BeforeAll
    static void load() {
        model = LoadedModel.load(
                TestModels.write(tmp.resolve("m"), TestModels.tinyLlama(true, false), 11, TensorDType.F32, 0));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void listener_hearsEveryTokenOfEachRow_inOrder_withTheFinishOnTheLast() {
        List<List<TokenListener.Token>> heard = List.of(new ArrayList<>(), new ArrayList<>());
        List<GenerationParams> params = List.of(
                GenerationParams.greedy(9).withListener(t -> heard.get(0).add(copy(t))),
                new GenerationParams(6, 0.9f, 1f, List.of(), 7)
                        .withListener(t -> heard.get(1).add(copy(t))));
        List<Generation> out = model.generate(List.of("listen", "to this"), params);
        for (int r = 0; r < 2; r++) {
            Generation g = out.get(r);
            List<TokenListener.Token> tokens = heard.get(r);
            assertEquals(
                    g.tokens(), tokens.stream().map(TokenListener.Token::id).toList(), "row " + r);
            assertEquals(
                    g.logprobs(),
                    tokens.stream().map(TokenListener.Token::logprob).toList(),
                    "row " + r);
            TokenListener.Token last = tokens.getLast();
            assertEquals(g.text(), last.text());
            assertEquals(g.finishReason(), last.finish());
            tokens.subList(0, tokens.size() - 1).forEach(t -> assertNull(t.finish()));
            assertEquals(model.config().vocabSize(), last.logits().length);
        }
    }

    @Test
    void listener_throwingCancelled_stopsTheBatch() {
        int[] heard = {0};
        GenerationParams params = GenerationParams.greedy(20).withListener(t -> {
            if (++heard[0] == 2) {
                throw new TokenListener.GenerationCancelled("client went away");
            }
        });
        var e = assertThrows(TokenListener.GenerationCancelled.class, () -> model.generate("cancel me", params));
        assertNotNull(e.getMessage());
        assertEquals(2, heard[0]);
        // The model still serves after a cancelled batch.
        assertEquals(
                model.generate("cancel me", GenerationParams.greedy(3)).tokens(),
                model.generate("cancel me", GenerationParams.greedy(3)).tokens());
    }

    private static TokenListener.Token copy(TokenListener.Token t) {
        return new TokenListener.Token(
                t.id(), t.logprob(), t.text(), t.finish(), t.logits().clone());
    }
}
