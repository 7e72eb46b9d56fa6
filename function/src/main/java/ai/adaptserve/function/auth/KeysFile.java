package ai.adaptserve.function.auth;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads the file named by {@code adaptserve.auth.keys-file}: one key per line, {@code <tenant> <sha256-hex-of-key>
 * [admin]}, fields separated by spaces or tabs; {@code #} starts a comment (to the end of the line) and blank lines
 * are skipped. Anything else stops start-up with a {@link KeysFileException} naming the file and the line; the
 * message never repeats the line, which holds a key's hash.
 */
public final class KeysFile {
    private KeysFile() {}

    /** The format, as error messages show it. */
    static final String FORMAT = "<tenant> <sha256-hex-of-key> [admin]";

    private static final Pattern HASH = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Pattern FIELDS = Pattern.compile("[ \\t]+");

    /** A keys file that cannot be used; the message names the file and, for a bad line, its number. */
    public static final class KeysFileException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        KeysFileException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The keys of {@code file}; at least one. */
    public static List<ApiKey> read(Path file) {
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file)))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new KeysFileException(file + ": not UTF-8 text", null);
        } catch (IOException e) {
            throw new KeysFileException(
                    file + ": cannot be read (" + e.getClass().getSimpleName() + ")", e);
        }
        return parse(file.toString(), text);
    }

    /** The keys in {@code text}, read from {@code name} (used in messages only). */
    public static List<ApiKey> parse(String name, String text) {
        List<ApiKey> keys = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int number = i + 1;
            String line = lines[i];
            int comment = line.indexOf('#');
            if (comment >= 0) {
                line = line.substring(0, comment);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = FIELDS.split(line);
            if (fields.length < 2 || fields.length > 3) {
                throw bad(name, number, "expected " + FORMAT + ", got " + fields.length + " field(s)");
            }
            String tenant = fields[0];
            if (!Tenants.isValid(tenant)) {
                throw bad(
                        name,
                        number,
                        "the tenant must be 1 to 63 letters, digits, '_', '.' or '-', not starting with '.' or '-'");
            }
            String hash = fields[1];
            if (!HASH.matcher(hash).matches()) {
                throw bad(
                        name,
                        number,
                        "the second field must be the SHA-256 of the key as 64 hex digits"
                                + " (printf %s \"$KEY\" | sha256sum), got " + hash.length() + " characters");
            }
            boolean admin = false;
            if (fields.length == 3) {
                if (!fields[2].equals("admin")) {
                    throw bad(name, number, "the third field may only be 'admin'");
                }
                admin = true;
            }
            String normalised = hash.toLowerCase(java.util.Locale.ROOT);
            Integer earlier = seen.putIfAbsent(normalised, number);
            if (earlier != null) {
                throw bad(name, number, "the same key hash as line " + earlier);
            }
            keys.add(new ApiKey(tenant, HexFormat.of().parseHex(normalised), admin, number));
        }
        if (keys.isEmpty()) {
            throw new KeysFileException(name + ": no keys (expected lines " + FORMAT + ")", null);
        }
        return List.copyOf(keys);
    }

    private static KeysFileException bad(String name, int line, String message) {
        return new KeysFileException(name + ":" + line + ": " + message, null);
    }
}
