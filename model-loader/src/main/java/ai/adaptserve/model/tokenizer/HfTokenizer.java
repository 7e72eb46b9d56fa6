package ai.adaptserve.model.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** A checkpoint's own {@code tokenizer.json}, through DJL's Hugging Face tokenizers binding. */
public final class HfTokenizer implements TextTokenizer {
    private final HuggingFaceTokenizer tokenizer;

    public HfTokenizer(Path tokenizerJson) throws IOException {
        this.tokenizer = HuggingFaceTokenizer.newInstance(
                tokenizerJson, Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
    }

    @Override
    public int[] encode(String text, boolean addBos) {
        // The tokenizer's own post-processor decides what "special tokens" means (BOS for Llama, none for Qwen).
        long[] ids = tokenizer.encode(text, addBos, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    @Override
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
