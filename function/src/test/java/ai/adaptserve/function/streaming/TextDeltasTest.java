package ai.adaptserve.function.streaming;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pure logic: what a stream may send of a completion that is still growing. */
class TextDeltasTest {

    /** Feeds each prefix as the decoder would and returns the pieces sent. */
    private static List<String> pieces(List<String> stop, List<String> texts) {
        TextDeltas d = new TextDeltas(stop);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            out.add(d.next(texts.get(i), i == texts.size() - 1));
        }
        return out;
    }

    @Test
    void noStop_everyTokenSentAtOnce() {
        assertEquals(List.of("a", "b", "c"), pieces(List.of(), List.of("a", "ab", "abc")));
    }

    @Test
    void possibleStartOfStop_heldBack_thenReleasedWhenItIsNot() {
        // "EN" could begin "END": held until "ENX" shows it does not
        assertEquals(List.of("a", "", "ENX"), pieces(List.of("END"), List.of("aE", "aEN", "aENX")));
    }

    @Test
    void stopFound_heldTailNeverSent() {
        // the decoder cuts the text before the stop string; the held "E" was never sent
        assertEquals(List.of("a", "", ""), pieces(List.of("END"), List.of("aE", "aEN", "a")));
    }

    @Test
    void incompleteUtf8_heldUntilTheCharacterIsWhole() {
        assertEquals(List.of("x", "é"), pieces(List.of(), List.of("x\uFFFD", "xé")));
    }

    @Test
    void piecesAlwaysConcatenateToTheFinalText() {
        List<String> texts = List.of("1", "1\n", "1\n2", "1\n2\n", "1\n2\n3");
        assertEquals("1\n2\n3", String.join("", pieces(List.of("\n\n"), texts)));
    }
}
