package ai.adaptserve.model.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The architecture of a Llama-family decoder, read from a Hugging Face {@code config.json}.
 *
 * @param architecture one of LlamaForCausalLM, Qwen2ForCausalLM, MistralForCausalLM
 * @param headDim per-head width; {@code hidden_size / num_attention_heads} unless the file says otherwise
 * @param attentionBias q/k/v projections carry a bias (always for Qwen2, {@code attention_bias} for Llama)
 * @param ropeScaling Llama 3 frequency scaling, if the checkpoint uses it
 * @param eosTokenIds every id that ends generation
 */
public record ModelConfig(
        String architecture,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        Optional<RopeScaling> ropeScaling,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        int maxPositionEmbeddings,
        Optional<Integer> bosTokenId,
        List<Integer> eosTokenIds,
        String torchDtype) {

    public static final List<String> SUPPORTED = List.of("LlamaForCausalLM", "Qwen2ForCausalLM", "MistralForCausalLM");

    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        require(vocabSize > 0, "vocab_size", vocabSize);
        require(hiddenSize > 0, "hidden_size", hiddenSize);
        require(intermediateSize > 0, "intermediate_size", intermediateSize);
        require(numLayers > 0, "num_hidden_layers", numLayers);
        require(numHeads > 0, "num_attention_heads", numHeads);
        require(numKvHeads > 0 && numHeads % numKvHeads == 0, "num_key_value_heads", numKvHeads);
        require(headDim > 0 && headDim % 2 == 0, "head_dim", headDim);
        require(rmsNormEps > 0, "rms_norm_eps", rmsNormEps);
        require(ropeTheta > 0, "rope_theta", ropeTheta);
        require(maxPositionEmbeddings > 0, "max_position_embeddings", maxPositionEmbeddings);
    }

    private static void require(boolean ok, String field, Object value) {
        if (!ok) {
            throw new IllegalArgumentException("config.json: invalid " + field + ": " + value);
        }
    }

    /** Llama 3 rope_scaling ({@code rope_type: llama3}). */
    public record RopeScaling(
            double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) {}

    public int kvGroups() {
        return numHeads / numKvHeads;
    }

    public int qDim() {
        return numHeads * headDim;
    }

    public int kvDim() {
        return numKvHeads * headDim;
    }

    /** Reads {@code config.json} from a checkpoint directory; errors name the file and the field. */
    public static ModelConfig read(Path dir) throws IOException {
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new IOException("missing " + file);
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        try {
            return parse(root);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses a config.json tree. */
    public static ModelConfig parse(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("config.json must be a JSON object");
        }
        String arch = architecture(root);
        int hidden = intField(root, "hidden_size", null);
        int heads = intField(root, "num_attention_heads", null);
        int kvHeads = intField(root, "num_key_value_heads", heads);
        int headDim = root.hasNonNull("head_dim") ? intField(root, "head_dim", null) : hidden / heads;
        boolean bias = arch.equals("Qwen2ForCausalLM")
                || (root.hasNonNull("attention_bias")
                        && root.get("attention_bias").asBoolean());
        return new ModelConfig(
                arch,
                intField(root, "vocab_size", null),
                hidden,
                intField(root, "intermediate_size", null),
                intField(root, "num_hidden_layers", null),
                heads,
                kvHeads,
                headDim,
                doubleField(root, "rms_norm_eps", 1e-6),
                doubleField(root, "rope_theta", 10000.0),
                ropeScaling(root.get("rope_scaling")),
                root.path("tie_word_embeddings").asBoolean(false),
                bias,
                intField(root, "max_position_embeddings", 2048),
                root.hasNonNull("bos_token_id") ? Optional.of(intField(root, "bos_token_id", null)) : Optional.empty(),
                eosIds(root.get("eos_token_id")),
                root.path("torch_dtype").asText("float32"));
    }

    private static String architecture(JsonNode root) {
        JsonNode archs = root.get("architectures");
        if (archs != null && archs.isArray() && !archs.isEmpty()) {
            String a = archs.get(0).asText();
            if (!SUPPORTED.contains(a)) {
                throw new IllegalArgumentException("unsupported architectures[0] " + a + "; supported: " + SUPPORTED);
            }
            return a;
        }
        String type = root.path("model_type").asText("");
        return switch (type) {
            case "llama" -> "LlamaForCausalLM";
            case "qwen2" -> "Qwen2ForCausalLM";
            case "mistral" -> "MistralForCausalLM";
            default ->
                throw new IllegalArgumentException("no supported architectures or model_type (was '" + type + "')");
        };
    }

    private static int intField(JsonNode root, String name, Integer dflt) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) {
            if (dflt == null) {
                throw new IllegalArgumentException("missing " + name);
            }
            return dflt;
        }
        if (!n.canConvertToInt() || !n.isIntegralNumber()) {
            throw new IllegalArgumentException(name + " must be an integer, was " + n);
        }
        return n.intValue();
    }

    private static double doubleField(JsonNode root, String name, double dflt) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isNumber()) {
            throw new IllegalArgumentException(name + " must be a number, was " + n);
        }
        return n.doubleValue();
    }

    private static Optional<RopeScaling> ropeScaling(JsonNode n) {
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        String type = n.path("rope_type").asText(n.path("type").asText(""));
        if (!type.equals("llama3")) {
            if (type.equals("default")) {
                return Optional.empty();
            }
            throw new IllegalArgumentException("unsupported rope_scaling type '" + type + "' (supported: llama3)");
        }
        return Optional.of(new RopeScaling(
                doubleField(n, "factor", 8.0),
                doubleField(n, "low_freq_factor", 1.0),
                doubleField(n, "high_freq_factor", 4.0),
                intField(n, "original_max_position_embeddings", 8192)));
    }

    private static List<Integer> eosIds(JsonNode n) {
        List<Integer> ids = new ArrayList<>();
        if (n == null || n.isNull()) {
            return ids;
        }
        if (n.isArray()) {
            n.forEach(e -> ids.add(e.asInt()));
        } else if (n.isIntegralNumber()) {
            ids.add(n.asInt());
        } else {
            throw new IllegalArgumentException("eos_token_id must be an integer or a list, was " + n);
        }
        return ids;
    }

    /** The config.json tree the writer emits (Llama or Qwen2 flavour). */
    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add(architecture);
        o.put(
                "model_type",
                switch (architecture) {
                    case "Qwen2ForCausalLM" -> "qwen2";
                    case "MistralForCausalLM" -> "mistral";
                    default -> "llama";
                });
        o.put("vocab_size", vocabSize);
        o.put("hidden_size", hiddenSize);
        o.put("intermediate_size", intermediateSize);
        o.put("num_hidden_layers", numLayers);
        o.put("num_attention_heads", numHeads);
        o.put("num_key_value_heads", numKvHeads);
        o.put("head_dim", headDim);
        o.put("rms_norm_eps", rmsNormEps);
        o.put("rope_theta", ropeTheta);
        ropeScaling.ifPresent(rs -> {
            ObjectNode r = o.putObject("rope_scaling");
            r.put("rope_type", "llama3");
            r.put("factor", rs.factor());
            r.put("low_freq_factor", rs.lowFreqFactor());
            r.put("high_freq_factor", rs.highFreqFactor());
            r.put("original_max_position_embeddings", rs.originalMaxPositionEmbeddings());
        });
        o.put("tie_word_embeddings", tieWordEmbeddings);
        if (!architecture.equals("Qwen2ForCausalLM")) {
            o.put("attention_bias", attentionBias);
        }
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("hidden_act", "silu");
        bosTokenId.ifPresent(b -> o.put("bos_token_id", b));
        if (eosTokenIds.size() == 1) {
            o.put("eos_token_id", eosTokenIds.get(0));
        } else if (!eosTokenIds.isEmpty()) {
            ArrayNode a = o.putArray("eos_token_id");
            eosTokenIds.forEach(a::add);
        }
        o.put("torch_dtype", torchDtype);
        return o;
    }
}
