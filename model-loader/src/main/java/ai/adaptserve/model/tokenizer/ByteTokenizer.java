package ai.adaptserve.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * One token per UTF-8 byte (ids 0–255) plus three special tokens. Used by models that ship no
 * {@code tokenizer.json}, and by the built-in model; {@link ByteLevelTokenizerJson} writes the same vocabulary
 * as a Hugging Face file so that other engines read identical ids.
 */
public final class ByteTokenizer implements TextTokenizer {
    public static final int BOS = 256;
    public static final int EOS = 257;
    public static final int PAD = 258;
    /** Number of ids this tokenizer can produce. */
    public static final int VOCAB = 259;

    private final Optional<Integer> bos;

    public ByteTokenizer(Optional<Integer> bosId) {
        this.bos = bosId;
    }

    @Override
    public int[] encode(String text, boolean addBos) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int offset = addBos && bos.isPresent() ? 1 : 0;
        int[] ids = new int[bytes.length + offset];
        if (offset == 1) {
            ids[0] = bos.get();
        }
        for (int i = 0; i < bytes.length; i++) {
            ids[i + offset] = bytes[i] & 0xff;
        }
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        byte[] out = new byte[ids.length];
        int n = 0;
        for (int id : ids) {
            if (id >= 0 && id < 256) {
                out[n++] = (byte) id;
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }
}
