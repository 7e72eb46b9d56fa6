package ai.adaptserve.cache;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The identity of an adapter: a SHA-256 content hash, so that equal inputs give the same key on every instance.
 *
 * <p>The hash covers the base model fingerprint, the adapter kind and its hyper-parameters, and the training data, all
 * in the canonical form below (built by {@link Builder}). A different base model never matches; the same demos with
 * the same hyper-parameters always do.
 *
 * <h2>Canonical form, version 1</h2>
 *
 * <p>UTF-8 bytes: the line {@code adaptserve.adapter-key.v1\n}, then one <em>item</em> per line, each
 * {@code <tag> <n>:<value>\n} where {@code <n>} is the decimal number of bytes of {@code <value>} (so values may
 * contain anything, newlines included, without ambiguity). Items come in this order, whatever order the builder was
 * called in:
 *
 * <ol>
 *   <li>{@code base} — the base model fingerprint;
 *   <li>{@code kind} — {@link AdapterKind#wireName()};
 *   <li>{@code param} — {@code name=value}, one per hyper-parameter, sorted by name. Integers are decimal, booleans
 *       {@code true}/{@code false}, doubles the shortest decimal that reads back to the same double, in plain
 *       notation without trailing zeros ({@code 8.0} gives {@code 8}, {@code 1e-4} gives {@code 0.0001}), so a
 *       parameter given as {@code 8}, {@code 8L}, {@code 8.0} or {@code "8"} hashes the same;
 *   <li>{@code task} — the task family, if given;
 *   <li>{@code input}/{@code output} pairs — the few-shot demonstrations, in the order given (order is significant:
 *       the trainer sees them in that order);
 *   <li>{@code document} — documents to learn from, in the order given;
 *   <li>{@code data}/{@code bytes} pairs — any other labelled training input, in the order given.
 * </ol>
 *
 * <p>Strings are hashed exactly as given: no Unicode normalization, no trimming, no line-ending conversion (a
 * different byte is a different training set; the cost of that choice is at most one extra training, never a wrong
 * adapter). A string that is not valid Unicode (an unpaired surrogate) is rejected rather than silently replaced.
 *
 * <p>The id is {@code sha256:<64 lower-case hex digits>} of those bytes. The optional {@link #tenant() tenant} is not
 * part of the hash: it is a namespace in front of every storage key, so tenants never share stored bytes.
 *
 * @param id {@code sha256:<hex>}
 * @param baseFingerprint the base model fingerprint, as model-loader makes it ({@code sha256:<hex>}): 1–128
 *     characters of {@code [A-Za-z0-9._:-]}, not starting with {@code .}, {@code :} or {@code -} (it is a path segment
 *     of S3 keys and local files)
 * @param tenant an optional namespace: 1–63 characters of {@code [A-Za-z0-9._-]}, not starting with {@code .} or
 *     {@code -}
 */
public record AdapterKey(String id, String baseFingerprint, Optional<String> tenant) {

    /** The prefix of every id. */
    public static final String ID_PREFIX = "sha256:";

    /** The first line of the canonical form; changes only with a new canonical form version. */
    public static final String CANONICAL_HEADER = "adaptserve.adapter-key.v1\n";

    private static final Pattern ID = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final Pattern FINGERPRINT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._:-]{0,127}");
    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,62}");
    private static final Pattern PARAM_NAME = Pattern.compile("[a-z][a-z0-9_.-]{0,63}");

    public AdapterKey {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(baseFingerprint, "baseFingerprint");
        Objects.requireNonNull(tenant, "tenant");
        if (!isId(id)) {
            throw new IllegalArgumentException(
                    "adapter id must be sha256:<64 lower-case hex digits>, got '" + abbreviate(id) + "'");
        }
        requireFingerprint(baseFingerprint);
        tenant.ifPresent(AdapterKey::requireTenant);
    }

    /** Whether {@code s} is a well-formed adapter id: {@code sha256:} and 64 lower-case hex digits. */
    public static boolean isId(String s) {
        return s != null && ID.matcher(s).matches();
    }

    /**
     * Whether {@code s} is a well-formed tenant: 1–63 characters of {@code [A-Za-z0-9._-]}, not starting with {@code .}
     * or {@code -}.
     */
    public static boolean isTenant(String s) {
        return s != null && TENANT.matcher(s).matches();
    }

    /** Starts the key of an adapter of {@code kind} trained on top of the base model {@code baseFingerprint}. */
    public static Builder builder(String baseFingerprint, AdapterKind kind) {
        return new Builder(baseFingerprint, kind);
    }

    /** The key of an existing adapter, from its id (e.g. one a client sent back). */
    public static AdapterKey of(String baseFingerprint, String id) {
        return new AdapterKey(id, baseFingerprint, Optional.empty());
    }

    /** The same adapter in the namespace of {@code tenant}. */
    public AdapterKey withTenant(String tenant) {
        return new AdapterKey(id, baseFingerprint, Optional.of(tenant));
    }

    /** The same adapter outside any tenant namespace. */
    public AdapterKey withoutTenant() {
        return new AdapterKey(id, baseFingerprint, Optional.empty());
    }

    /** The 64 hex digits of the hash, without the {@code sha256:} prefix. */
    public String hex() {
        return id.substring(ID_PREFIX.length());
    }

    /** The 32 bytes of the hash. */
    byte[] hashBytes() {
        return HexFormat.of().parseHex(hex());
    }

    /**
     * The key as one string, unique across tenants: {@code <tenant>/<id>} or just {@code <id>}. Used for the
     * in-process maps and in the Redis ready notifications.
     */
    public String qualifiedId() {
        return tenant.map(t -> t + "/" + id).orElse(id);
    }

    @Override
    public String toString() {
        return qualifiedId() + " (base " + baseFingerprint + ")";
    }

    static void requireFingerprint(String fingerprint) {
        if (!FINGERPRINT.matcher(fingerprint).matches()) {
            throw new IllegalArgumentException(
                    "base fingerprint must be 1-128 characters of [A-Za-z0-9._:-], not starting with '.', ':' or '-', got '"
                            + abbreviate(fingerprint) + "'");
        }
    }

    static void requireTenant(String tenant) {
        if (!isTenant(tenant)) {
            throw new IllegalArgumentException(
                    "tenant must be 1-63 characters of [A-Za-z0-9._-], not starting with '.' or '-', got '"
                            + abbreviate(tenant) + "'");
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /**
     * Collects the inputs of an adapter's identity; {@link #build()} hashes their {@linkplain AdapterKey canonical
     * form}. Not thread-safe; a builder may be built more than once.
     */
    public static final class Builder {
        private final String baseFingerprint;
        private final AdapterKind kind;
        private final TreeMap<String, String> params = new TreeMap<>();
        private String task;
        private final List<String[]> examples = new ArrayList<>();
        private final List<String> documents = new ArrayList<>();
        private final List<Object[]> data = new ArrayList<>();
        private String tenant;

        private Builder(String baseFingerprint, AdapterKind kind) {
            requireFingerprint(Objects.requireNonNull(baseFingerprint, "baseFingerprint"));
            this.baseFingerprint = baseFingerprint;
            this.kind = Objects.requireNonNull(kind, "kind");
        }

        /** A hyper-parameter such as {@code rank}, {@code steps} or {@code seed}. */
        public Builder param(String name, long value) {
            return putParam(name, Long.toString(value));
        }

        /** A hyper-parameter such as {@code lr}; must be finite. */
        public Builder param(String name, double value) {
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException("hyper-parameter '" + name + "' must be finite, got " + value);
            }
            // Double.toString is the shortest round-tripping decimal (JDK 19+); BigDecimal makes it plain.
            return putParam(
                    name,
                    new BigDecimal(Double.toString(value)).stripTrailingZeros().toPlainString());
        }

        /** A boolean hyper-parameter. */
        public Builder param(String name, boolean value) {
            return putParam(name, Boolean.toString(value));
        }

        /** A textual hyper-parameter such as {@code targets=q_proj,v_proj}. */
        public Builder param(String name, String value) {
            return putParam(name, requireText(value, "hyper-parameter '" + name + "'"));
        }

        /** The task family the adapter is for (e.g. {@code reverse}). At most once. */
        public Builder task(String family) {
            if (task != null) {
                throw new IllegalStateException("task is already set to '" + abbreviate(task) + "'");
            }
            task = requireText(family, "task");
            return this;
        }

        /** One few-shot demonstration; order matters. */
        public Builder example(String input, String output) {
            examples.add(new String[] {requireText(input, "example input"), requireText(output, "example output")});
            return this;
        }

        /** A document to learn from (document test-time training); order matters. */
        public Builder document(String text) {
            documents.add(requireText(text, "document"));
            return this;
        }

        /** Any other training input, as bytes with a label saying what they are; order matters. */
        public Builder data(String label, byte[] bytes) {
            data.add(new Object[] {
                requireText(label, "data label"),
                Objects.requireNonNull(bytes, "bytes").clone()
            });
            return this;
        }

        /** Puts the key in the namespace of {@code tenant} (not hashed). */
        public Builder tenant(String tenant) {
            requireTenant(Objects.requireNonNull(tenant, "tenant"));
            this.tenant = tenant;
            return this;
        }

        /** The canonical form: the exact bytes that are hashed. */
        public byte[] canonicalForm() {
            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            out.writeBytes(CANONICAL_HEADER.getBytes(StandardCharsets.US_ASCII));
            item(out, "base", utf8(baseFingerprint));
            item(out, "kind", utf8(kind.wireName()));
            params.forEach((name, value) -> item(out, "param", utf8(name + "=" + value)));
            if (task != null) {
                item(out, "task", utf8(task));
            }
            for (String[] example : examples) {
                item(out, "input", utf8(example[0]));
                item(out, "output", utf8(example[1]));
            }
            for (String document : documents) {
                item(out, "document", utf8(document));
            }
            for (Object[] d : data) {
                item(out, "data", utf8((String) d[0]));
                item(out, "bytes", (byte[]) d[1]);
            }
            return out.toByteArray();
        }

        /** The key: {@code sha256} of {@link #canonicalForm()}. */
        public AdapterKey build() {
            String id = ID_PREFIX + HexFormat.of().formatHex(sha256(canonicalForm()));
            return new AdapterKey(id, baseFingerprint, Optional.ofNullable(tenant));
        }

        private Builder putParam(String name, String canonicalValue) {
            Objects.requireNonNull(name, "name");
            if (!PARAM_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException(
                        "hyper-parameter name must match [a-z][a-z0-9_.-]{0,63}, got '" + abbreviate(name) + "'");
            }
            if (params.putIfAbsent(name, canonicalValue) != null) {
                throw new IllegalArgumentException("hyper-parameter '" + name + "' is given twice");
            }
            return this;
        }

        private static String requireText(String value, String what) {
            Objects.requireNonNull(value, what);
            utf8(value, what);
            return value;
        }

        private static void item(ByteArrayOutputStream out, String tag, byte[] value) {
            out.writeBytes((tag + " " + value.length + ":").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(value);
            out.write('\n');
        }

        private static byte[] utf8(String s) {
            return utf8(s, "text");
        }

        private static byte[] utf8(String s, String what) {
            try {
                ByteBuffer encoded = StandardCharsets.UTF_8
                        .newEncoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .encode(CharBuffer.wrap(s));
                byte[] bytes = new byte[encoded.remaining()];
                encoded.get(bytes);
                return bytes;
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException(what + " is not valid Unicode (unpaired surrogate)", e);
            }
        }
    }

    static byte[] sha256(byte[] bytes) {
        return sha256().digest(bytes);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
