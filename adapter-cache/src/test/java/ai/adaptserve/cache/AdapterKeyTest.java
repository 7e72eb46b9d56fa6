package ai.adaptserve.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The canonical form is a contract between instances (and versions): these tests pin it. */
class AdapterKeyTest {

    private static AdapterKey.Builder demo() {
        return AdapterKey.builder("base-1", AdapterKind.LORA)
                .param("rank", 8)
                .param("lr", 1e-4)
                .example("abc", "cba")
                .example("hello", "olleh");
    }

    @Test
    void canonicalForm_documentedExample_isExactlyTheseBytes() {
        String expected = "adaptserve.adapter-key.v1\n"
                + "base 6:base-1\n"
                + "kind 4:lora\n"
                + "param 9:lr=0.0001\n"
                + "param 6:rank=8\n"
                + "input 3:abc\n"
                + "output 3:cba\n"
                + "input 5:hello\n"
                + "output 5:olleh\n";

        assertEquals(expected, new String(demo().canonicalForm(), StandardCharsets.UTF_8));
    }

    @Test
    void build_documentedExample_hasThisId() {
        // sha256 of the canonical form above (`printf ... | sha256sum`); a change here orphans every cached adapter.
        assertEquals(
                "sha256:469cb83277f427932186106a0e4ce321f8cf122a5903d568af89e6cc4edc784a",
                demo().build().id());
    }

    @Test
    void build_sameInputsInAnyCallOrder_giveTheSameKey() {
        AdapterKey a = AdapterKey.builder("base-1", AdapterKind.LORA)
                .document("doc")
                .param("rank", 8)
                .task("reverse")
                .param("lr", 1e-4)
                .build();
        AdapterKey b = AdapterKey.builder("base-1", AdapterKind.LORA)
                .param("lr", 0.0001)
                .task("reverse")
                .param("rank", 8.0)
                .document("doc")
                .build();

        assertEquals(a, b);
        assertEquals(a.id(), b.id());
    }

    @Test
    void param_numbersStringsAndBooleans_areCanonical() {
        String canonical = new String(
                AdapterKey.builder("b", AdapterKind.SVF)
                        .param("a", 8.0)
                        .param("b", 1e20)
                        .param("c", -0.0)
                        .param("d", 0.1)
                        .param("e", true)
                        .param("f", "q_proj,v_proj")
                        .param("g", 2.5e-7)
                        .canonicalForm(),
                StandardCharsets.UTF_8);

        assertTrue(canonical.contains("param 3:a=8\n"), canonical);
        assertTrue(canonical.contains("param 23:b=100000000000000000000\n"), canonical);
        assertTrue(canonical.contains("param 3:c=0\n"), canonical);
        assertTrue(canonical.contains("param 5:d=0.1\n"), canonical);
        assertTrue(canonical.contains("param 6:e=true\n"), canonical);
        assertTrue(canonical.contains("param 15:f=q_proj,v_proj\n"), canonical);
        assertTrue(canonical.contains("param 12:g=0.00000025\n"), canonical);
    }

    @Test
    void build_differentBaseKindParamDataOrOrder_giveDifferentKeys() {
        AdapterKey base = demo().build();

        assertNotEquals(
                base.id(),
                AdapterKey.builder("base-2", AdapterKind.LORA)
                        .param("rank", 8)
                        .param("lr", 1e-4)
                        .example("abc", "cba")
                        .example("hello", "olleh")
                        .build()
                        .id());
        assertNotEquals(
                base.id(),
                AdapterKey.builder("base-1", AdapterKind.SVF)
                        .param("rank", 8)
                        .param("lr", 1e-4)
                        .example("abc", "cba")
                        .example("hello", "olleh")
                        .build()
                        .id());
        assertNotEquals(base.id(), demo().param("seed", 1).build().id());
        assertNotEquals(
                base.id(),
                AdapterKey.builder("base-1", AdapterKind.LORA)
                        .param("rank", 8)
                        .param("lr", 1e-4)
                        .example("hello", "olleh")
                        .example("abc", "cba")
                        .build()
                        .id());
    }

    @Test
    void build_valuesContainingSeparators_doNotCollide() {
        AdapterKey a = AdapterKey.builder("b", AdapterKind.LORA)
                .example("x\noutput 1:y", "z")
                .build();
        AdapterKey b = AdapterKey.builder("b", AdapterKind.LORA)
                .example("x", "y")
                .example("", "z")
                .build();

        assertNotEquals(a.id(), b.id());
    }

    @Test
    void build_withTenant_isANamespaceNotPartOfTheHash() {
        AdapterKey plain = demo().build();
        AdapterKey tenant = demo().tenant("acme").build();

        assertEquals(plain.id(), tenant.id());
        assertEquals(Optional.of("acme"), tenant.tenant());
        assertNotEquals(plain, tenant);
        assertEquals("acme/" + plain.id(), tenant.qualifiedId());
        assertEquals(plain, tenant.withoutTenant());
    }

    @Test
    void of_existingId_roundTrips() {
        AdapterKey key = demo().build();

        assertEquals(key, AdapterKey.of("base-1", key.id()));
        assertEquals(key.id().substring(7), key.hex());
    }

    @Test
    void build_invalidInputs_areRejectedWithReadableMessages() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AdapterKey.of("base-1", "md5:abc"))
                .getMessage()
                .contains("sha256:<64 lower-case hex digits>"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AdapterKey.builder("../etc", AdapterKind.LORA))
                .getMessage()
                .contains("base fingerprint"));
        assertThrows(IllegalArgumentException.class, () -> AdapterKey.builder("a/b", AdapterKind.LORA));
        assertThrows(IllegalArgumentException.class, () -> AdapterKey.builder(":x", AdapterKind.LORA));
        assertThrows(IllegalArgumentException.class, () -> demo().tenant("a:b"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> demo().param("rank", 4))
                .getMessage()
                .contains("given twice"));
        assertThrows(IllegalArgumentException.class, () -> demo().param("Rank", 4));
        assertThrows(IllegalArgumentException.class, () -> demo().param("x", Double.NaN));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> demo().document("bad \uD800 surrogate"))
                .getMessage()
                .contains("not valid Unicode"));
        assertThrows(IllegalStateException.class, () -> demo().task("a").task("b"));
    }
}
