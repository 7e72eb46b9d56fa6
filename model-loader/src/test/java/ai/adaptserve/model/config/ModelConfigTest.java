package ai.adaptserve.model.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelConfigTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static ModelConfig parse(String json) throws Exception {
        return ModelConfig.parse(JSON.readTree(json));
    }

    @Test
    void parse_llama32Config_readsRopeScalingGqaAndEosList() throws Exception {
        ModelConfig c = parse("""
                {"architectures":["LlamaForCausalLM"],"hidden_size":2048,"intermediate_size":8192,
                 "num_attention_heads":32,"num_key_value_heads":8,"num_hidden_layers":16,"vocab_size":128256,
                 "rms_norm_eps":1e-05,"rope_theta":500000.0,"tie_word_embeddings":true,"head_dim":64,
                 "max_position_embeddings":131072,"bos_token_id":128000,"eos_token_id":[128001,128008,128009],
                 "rope_scaling":{"factor":32.0,"high_freq_factor":4.0,"low_freq_factor":1.0,
                   "original_max_position_embeddings":8192,"rope_type":"llama3"},"torch_dtype":"bfloat16"}""");
        assertEquals(4, c.kvGroups());
        assertEquals(64, c.headDim());
        assertEquals(32.0, c.ropeScaling().orElseThrow().factor());
        assertEquals(List.of(128001, 128008, 128009), c.eosTokenIds());
        assertTrue(c.tieWordEmbeddings());
        assertFalse(c.attentionBias());
    }

    @Test
    void parse_qwen2Config_hasAttentionBias() throws Exception {
        ModelConfig c = parse("""
                {"architectures":["Qwen2ForCausalLM"],"hidden_size":896,"intermediate_size":4864,
                 "num_attention_heads":14,"num_key_value_heads":2,"num_hidden_layers":24,"vocab_size":151936,
                 "rms_norm_eps":1e-06,"rope_theta":1000000.0,"tie_word_embeddings":true,"eos_token_id":151643}""");
        assertTrue(c.attentionBias());
        assertEquals(64, c.headDim());
        assertEquals(List.of(151643), c.eosTokenIds());
        assertTrue(c.bosTokenId().isEmpty());
    }

    @Test
    void parse_mistralConfig_defaultsHeadDimFromHiddenSize() throws Exception {
        ModelConfig c = parse("""
                {"architectures":["MistralForCausalLM"],"hidden_size":4096,"intermediate_size":14336,
                 "num_attention_heads":32,"num_key_value_heads":8,"num_hidden_layers":32,"vocab_size":32000,
                 "rms_norm_eps":1e-05,"rope_theta":10000.0,"sliding_window":4096,"bos_token_id":1,"eos_token_id":2}""");
        assertEquals(128, c.headDim());
        assertFalse(c.tieWordEmbeddings());
    }

    @Test
    void parse_unsupportedArchitecture_namesIt() {
        var e = assertThrows(IllegalArgumentException.class, () -> parse("{\"architectures\":[\"GPT2LMHeadModel\"]}"));
        assertTrue(e.getMessage().contains("GPT2LMHeadModel"), e.getMessage());
    }

    @Test
    void parse_missingOrWrongTypedField_namesField() {
        var e = assertThrows(
                IllegalArgumentException.class,
                () -> parse("{\"model_type\":\"llama\",\"hidden_size\":64,\"num_attention_heads\":4}"));
        assertTrue(e.getMessage().contains("vocab_size"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> parse("{\"model_type\":\"llama\",\"hidden_size\":\"64\",\"num_attention_heads\":4}"));
        assertTrue(e.getMessage().contains("hidden_size"), e.getMessage());
    }

    @Test
    void parse_kvHeadsNotDividingHeads_isRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> parse("""
                {"model_type":"llama","hidden_size":64,"intermediate_size":128,"num_attention_heads":4,
                 "num_key_value_heads":3,"num_hidden_layers":1,"vocab_size":10}"""));
        assertTrue(e.getMessage().contains("num_key_value_heads"), e.getMessage());
    }

    @Test
    void toJson_roundTripsThroughParse() throws Exception {
        ModelConfig c = parse("""
                {"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":128,
                 "num_attention_heads":4,"num_key_value_heads":2,"num_hidden_layers":2,"vocab_size":300,
                 "rope_scaling":{"factor":8.0,"high_freq_factor":4.0,"low_freq_factor":1.0,
                   "original_max_position_embeddings":64,"rope_type":"llama3"},"bos_token_id":1,"eos_token_id":2}""");
        assertEquals(c, ModelConfig.parse(c.toJson()));
    }
}
