package ai.adaptserve.lab.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SyntheticDocumentsTest {
    static final Pattern FACT =
            Pattern.compile("^\\S+ (\\S+) (" + String.join("|", SyntheticDocuments.FACT_ATTRIBUTES) + "): (\\S+)$");
    static final Pattern ENTITY = Pattern.compile("\\bT-\\d{3}\\b|\\b[a-z]+-\\d{1,2}\\b");
    static List<DocumentTask> docs;

    @BeforeAll
    static void generate() {
        docs = SyntheticDocuments.generate(12, 5);
    }

    /** subject -> attribute -> value, failing on a contradiction. */
    static Map<String, Map<String, String>> facts(String text) {
        Map<String, Map<String, String>> facts = new HashMap<>();
        for (String line : text.split("\n")) {
            Matcher m = FACT.matcher(line);
            if (m.matches()) {
                String old =
                        facts.computeIfAbsent(m.group(1), k -> new HashMap<>()).put(m.group(2), m.group(3));
                assertTrue(old == null || old.equals(m.group(3)), "contradicting fact: " + line);
            }
        }
        return facts;
    }

    @Test
    void documentsAreAFewKilobytesWithAContinuation() {
        for (DocumentTask d : docs) {
            int bytes = d.document().getBytes(StandardCharsets.UTF_8).length;
            assertTrue(bytes >= 2000 && bytes <= 8000, d.id() + ": " + bytes);
            assertTrue(d.continuation().length() >= 800, d.id());
            assertTrue(d.document().endsWith("\n") && d.continuation().endsWith("\n"));
            assertEquals(SyntheticDocuments.QUESTIONS, d.questions().size());
        }
        assertEquals("doc-0001", docs.get(0).id());
        assertNotEquals(docs.get(0).document(), docs.get(1).document());
    }

    @Test
    void factsAreConsistentAndEveryQuestionIsAnsweredByTheDocument() {
        for (DocumentTask d : docs) {
            facts(d.document() + d.continuation());
            Map<String, Map<String, String>> facts = facts(d.document());
            for (DocumentTask.Question q : d.questions()) {
                assertTrue(q.question().endsWith("?"), q.question());
                String[] parts =
                        q.question().substring(0, q.question().length() - 1).split(" of ");
                String value = parts[parts.length - 1];
                for (int i = parts.length - 2; i >= 0; i--) {
                    Map<String, String> about = facts.get(value);
                    assertNotNull(about, d.id() + ": nothing stated about " + value + " for " + q);
                    value = about.get(parts[i]);
                    assertNotNull(value, d.id() + ": " + q);
                }
                assertEquals(q.answer(), value, d.id() + ": " + q);
                assertTrue(q.prompt().startsWith("Q: ") && q.prompt().endsWith("? A: "));
            }
        }
    }

    @Test
    void theContinuationReusesTheDocumentsEntitiesAndRestatesFacts() {
        for (DocumentTask d : docs) {
            Set<String> inDocument = new HashSet<>();
            ENTITY.matcher(d.document()).results().forEach(m -> inDocument.add(m.group()));
            ENTITY.matcher(d.continuation())
                    .results()
                    .forEach(m -> assertTrue(
                            inDocument.contains(m.group()),
                            d.id() + ": new entity " + m.group() + " in the continuation"));
            Map<String, Map<String, String>> stated = facts(d.document());
            Map<String, Map<String, String>> restated = facts(d.continuation());
            assertTrue(restated.size() >= 3, d.id());
            restated.forEach((subject, attributes) -> attributes.forEach((attribute, value) ->
                    assertEquals(value, stated.get(subject).get(attribute))));
        }
    }

    @Test
    void theSameSeedGivesTheSameDocuments() {
        assertEquals(docs, SyntheticDocuments.generate(12, 5));
        assertEquals(
                docs.subList(0, 3), SyntheticDocuments.generate(3, 5), "document i depends on the seed and i only");
        assertNotEquals(docs.get(0), SyntheticDocuments.generate(1, 6).get(0));
    }
}
