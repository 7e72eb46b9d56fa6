package ai.adaptserve.lab.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OperationsTest {

    @Test
    void textFamiliesOnHandCheckedCases() {
        assertEquals("cba", Operations.reverse("abc"));
        assertEquals("olleh", Operations.reverse("hello"));
        assertEquals("abc", Operations.sort("cab"));
        assertEquals("aadooyyz", Operations.sort("zyodoyaa"));
        assertEquals("cdeab", Operations.rotate("abcde", 2));
        assertEquals("bca", Operations.rotate("abc", 1));
        assertEquals("bca", Operations.rotate("abc", 4), "k wraps modulo the length");
        assertEquals("yza", Operations.caesar("xyz", 1));
        assertEquals("def", Operations.caesar("abc", 3));
        assertEquals("Aa", Operations.caesar("Zz", 1));
        assertEquals("ABC", Operations.upper("abc"));
        assertEquals("abc", Operations.dedup("abacb"));
        assertEquals("a", Operations.dedup("aaaa"));
        assertEquals("yohr", Operations.dedup("yoohrhoo"));
        assertEquals("19", Operations.add("12+7"));
        assertEquals("198", Operations.add("99+99"));
        assertEquals("0", Operations.add("0+0"));
        assertThrows(IllegalArgumentException.class, () -> Operations.add("12-7"));
        assertThrows(IllegalArgumentException.class, () -> Operations.add("+7"));
        assertEquals("bad", Operations.substitute("abc", "abcdef", "badcfe"));
        assertEquals("bxd", Operations.substitute("axc", "abcdef", "badcfe"), "letters outside the table stay");
    }

    @Test
    void caesarLeavesOtherCharactersAlone() {
        assertEquals("b+1", Operations.caesar("a+1", 1));
    }

    @Test
    void gridFamiliesOnHandCheckedCases() {
        assertEquals("0001200", Operations.shift("0120000", 2));
        assertEquals("0012300", Operations.shift("0123000", 1));
        assertEquals("0010", Operations.shift("1000", 2));
        assertEquals("0000", Operations.shift("1200", 5), "zero fill, no wrap");
        assertEquals("0032100", Operations.mirror("0012300"));
        assertEquals("0070700", Operations.recolour("0030300", '3', '7'));
        assertEquals("0333330", Operations.fill("0300030"));
        assertEquals("0300040", Operations.fill("0300040"), "different colours: nothing to fill");
        assertEquals("0333330", Operations.fill("0303030"));
        assertEquals("44440033333", Operations.fill("40040030003"));
        assertEquals("33", Operations.fill("33"));
        assertEquals("0000123", Operations.gravity("0102030"));
        assertEquals("0000093", Operations.gravity("0930000"));
    }

    @Test
    void novelOperationsOnHandCheckedCases() {
        assertEquals("badcfe", Operations.swapPairs("abcdef"));
        assertEquals("badce", Operations.swapPairs("abcde"));
        assertEquals("adbecf", Operations.interleave("abcdef"));
        assertEquals("adbec", Operations.interleave("abcde"));
        assertEquals("aabbcc", Operations.doubleEach("abc"));
        assertEquals("3", Operations.count("0302010"));
        assertEquals("0", Operations.count("000000"));
        assertEquals("0300030", Operations.hollow("0333330"));
        assertEquals("0330404", Operations.hollow("0330444"));
        assertEquals("1002203300", Operations.hollow("1002203300"), "runs shorter than 3 stay");
        assertEquals("2020", Operations.hollow("2020"));
    }

    @Test
    void boundOperationsRecordTheirParametersAndRebuildFromThem() {
        Random random = new Random(3);
        for (TaskFamily family : TaskFamily.values()) {
            for (int i = 0; i < 20; i++) {
                Operation op = family.sample(random);
                assertEquals(family.label(), op.family());
                Operation rebuilt = family.bind(op.params());
                assertEquals(op.params(), rebuilt.params());
                for (int j = 0; j < 5; j++) {
                    String x = op.sampleInput(random);
                    assertEquals(op.apply(x), rebuilt.apply(x), family + " " + op.params() + " on " + x);
                }
            }
        }
        assertEquals("cdeab", TaskFamily.ROTATE.bind(Map.of("k", "2")).apply("abcde"));
        assertEquals("yza", TaskFamily.CAESAR.bind(Map.of("k", "1")).apply("xyz"));
        assertEquals(
                "0007700",
                TaskFamily.RECOLOUR.bind(Map.of("from", "3", "to", "7")).apply("0003300"));
        assertEquals("0001200", TaskFamily.SHIFT.bind(Map.of("k", "2")).apply("0120000"));
        assertThrows(IllegalArgumentException.class, () -> TaskFamily.ROTATE.bind(Map.of()));
        assertThrows(IllegalArgumentException.class, () -> TaskFamily.RECOLOUR.bind(Map.of("from", "3", "to", "3")));
        assertThrows(IllegalArgumentException.class, () -> TaskFamily.CAESAR.bind(Map.of("k", "x")));
    }

    @Test
    void substitutionTablesMoveEveryLetter() {
        Random random = new Random(5);
        for (int i = 0; i < 200; i++) {
            String to = TaskFamily.derangement(random, Operations.SUBSTITUTE_ALPHABET);
            assertEquals(Operations.sort(Operations.SUBSTITUTE_ALPHABET), Operations.sort(to), "a permutation");
            for (int c = 0; c < to.length(); c++) {
                assertNotEquals(Operations.SUBSTITUTE_ALPHABET.charAt(c), to.charAt(c));
            }
        }
    }

    @Test
    void samplersStayInTheirDomains() {
        Random random = new Random(9);
        for (TaskFamily family : TaskFamily.values()) {
            Operation op = family.sample(random);
            for (int i = 0; i < 200; i++) {
                String x = op.sampleInput(random);
                if (family.domain() == TaskFamily.Domain.GRID) {
                    assertTrue(x.matches("[0-9]{6,12}"), family + ": " + x);
                    assertTrue(x.chars().anyMatch(c -> c != '0'), family + " row has a colour: " + x);
                } else if (family == TaskFamily.ADD) {
                    assertTrue(x.matches("[0-9]{1,2}\\+[0-9]{1,2}"), x);
                } else {
                    assertTrue(x.matches("[a-z]{3,8}"), family + ": " + x);
                }
            }
        }
    }
}
