// config.json parsing in both transformers schemas, rope types, and clear errors.
#include <gtest/gtest.h>

#include "core/model/config.h"
#include "core/util/error.h"
#include "core/util/json_read.h"
#include "core/util/progress.h"

namespace {

const char* kV4 = R"({
  "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 128256,
  "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
  "num_attention_heads": 32, "num_key_value_heads": 8, "max_position_embeddings": 131072,
  "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "torch_dtype": "bfloat16",
  "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                   "original_max_position_embeddings": 8192, "rope_type": "llama3"},
  "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "tie_word_embeddings": false})";

const char* kV5 = R"({
  "model_type": "llama", "vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008,
  "num_hidden_layers": 32, "num_attention_heads": 32, "head_dim": 128, "dtype": "float16",
  "rope_parameters": {"rope_type": "linear", "factor": 2.0, "rope_theta": 10000.0},
  "eos_token_id": 2, "tie_word_embeddings": true})";

std::string error_of(const std::string& text) {
  try {
    moa::config_parse(text, "cfg/config.json");
  } catch (const moa::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Config, TransformersV4SchemaWithLlama3Rope) {
  auto c = moa::config_parse(kV4, "config.json");
  EXPECT_EQ(c.num_layers, 32);
  EXPECT_EQ(c.num_kv_heads, 8);
  EXPECT_EQ(c.kv_group(), 4);
  EXPECT_EQ(c.head_dim, 128);
  EXPECT_EQ(c.dtype, moa::DType::BF16);
  EXPECT_EQ(c.rope.type, moa::RopeType::Llama3);
  EXPECT_DOUBLE_EQ(c.rope.theta, 500000.0);
  EXPECT_EQ(c.rope.original_max_position, 8192);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{128001, 128008, 128009}));
  EXPECT_NEAR(c.parameter_count() / 1e9, 8.03, 0.01);  // Llama-3-8B
}

TEST(Config, TransformersV5SchemaWithLinearRopeAndTiedEmbeddings) {
  auto c = moa::config_parse(kV5, "config.json");
  EXPECT_EQ(c.num_kv_heads, 32);  // defaults to num_attention_heads
  EXPECT_EQ(c.dtype, moa::DType::F16);
  EXPECT_EQ(c.rope.type, moa::RopeType::Linear);
  EXPECT_DOUBLE_EQ(c.rope.factor, 2.0);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{2}));
}

TEST(Config, WriteThenParseRoundTripsInBothSchemas) {
  for (const auto& name : moa::config_preset_names()) {
    auto c = moa::config_preset(name);
    for (auto schema : {moa::ConfigSchema::V4, moa::ConfigSchema::V5}) {
      auto back = moa::config_parse(moa::config_to_json(c, schema), "rt.json");
      EXPECT_EQ(back.num_layers, c.num_layers) << name;
      EXPECT_EQ(back.head_dim, c.head_dim) << name;
      EXPECT_EQ(back.rope.type, c.rope.type) << name;
      EXPECT_DOUBLE_EQ(back.rope.factor, c.rope.factor) << name;
      EXPECT_DOUBLE_EQ(back.rope.theta, c.rope.theta) << name;
      EXPECT_EQ(back.dtype, c.dtype) << name;
      EXPECT_EQ(back.eos_token_ids, c.eos_token_ids) << name;
    }
  }
}

TEST(Config, ErrorsNameTheFileAndTheKey) {
  auto e = error_of(R"({"vocab_size": 10, "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4})");
  EXPECT_NE(e.find("cfg/config.json"), std::string::npos);
  EXPECT_NE(e.find("num_hidden_layers"), std::string::npos);
  EXPECT_NE(e.find("missing"), std::string::npos);
  const std::string base = R"("vocab_size": 10, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4)";
  EXPECT_NE(error_of("{" + base + R"(, "num_key_value_heads": 3})").find("does not divide"), std::string::npos);
  EXPECT_NE(error_of("{" + base + R"(, "rope_scaling": {"rope_type": "yarn", "factor": 2}})").find("unsupported rope type"), std::string::npos);
  EXPECT_NE(error_of("{" + base + R"(, "rope_scaling": {"rope_type": "llama3", "factor": 8}})").find("low_freq_factor"), std::string::npos);
  EXPECT_NE(error_of("{" + base + R"(, "torch_dtype": "int8"})").find("dtype"), std::string::npos);
  EXPECT_NE(error_of("{" + base + R"(, "model_type": "gpt2"})").find("not a Llama-family"), std::string::npos);
  EXPECT_NE(error_of("{" + base + R"(, "hidden_size": -64})").find(">= 1"), std::string::npos);
  EXPECT_NE(error_of("{" + base + R"(, "eos_token_id": 99})").find("outside the vocabulary"), std::string::npos);
  EXPECT_NE(error_of("{" + base + R"(, "attention_bias": true})").find("not supported"), std::string::npos);
  EXPECT_NE(error_of("{" + base + R"(, "rms_norm_eps": "x"})").find("expected a number"), std::string::npos);
  // Absurd sizes are refused before anything is built from them (2^40 layers exhausted memory).
  const std::string no_layers = R"("vocab_size": 10, "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4)";
  EXPECT_NE(error_of("{" + no_layers + R"(, "num_hidden_layers": 1099511627776})").find("num_hidden_layers': must be <= 4096"),
            std::string::npos)
      << error_of("{" + no_layers + R"(, "num_hidden_layers": 1099511627776})");
  EXPECT_NE(error_of("{" + base + R"(, "max_position_embeddings": 1152921504606846976})").find("must be <= 67108864"),
            std::string::npos);
  EXPECT_NE(error_of("not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of("[]").find("JSON object"), std::string::npos);
}

// The one JSON entry point of every reader: the file, the line of a JSON Lines file (none for
// line 0), what failed, and nlohmann's detail; a number no double holds is an error like any
// other, never a raw library exception.
TEST(JsonRead, ErrorsNameTheFileAndLine) {
  EXPECT_EQ(moa::json_parse_or_fail("{\"a\": [1, 2]}", "x.json")["a"][1], 2);
  auto message = [](std::string_view text, size_t line, std::string_view problem) {
    try {
      moa::json_parse_or_fail(text, "dir/x.jsonl", line, problem);
    } catch (const moa::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("{\"a\": ", 0, "not valid JSON").rfind("dir/x.jsonl: not valid JSON: ", 0), 0u) << message("{", 0, "x");
  EXPECT_EQ(message("{\"a\": ", 7, "not valid JSON").rfind("dir/x.jsonl: line 7: not valid JSON: ", 0), 0u);
  EXPECT_EQ(message("[47E49999]", 3, "malformed JSON").rfind("dir/x.jsonl: line 3: malformed JSON: ", 0), 0u);
}

// Progress messages: a format and its arguments, substituted in one pass (an argument's own
// "%1" stays), placeholders beyond the arguments kept; free text passes through unchanged.
TEST(ProgressText, SubstitutesInOnePass) {
  EXPECT_EQ(moa::progress_substitute("length %1, sample %2/%3", {"2048", "1", "3"}), "length 2048, sample 1/3");
  EXPECT_EQ(moa::progress_substitute("%2 then %1", {"a", "b"}), "b then a");
  EXPECT_EQ(moa::progress_substitute("writing %1", {"x%1%2.h5"}), "writing x%1%2.h5");
  EXPECT_EQ(moa::progress_substitute("%1 of %2", {"3"}), "3 of %2");
  EXPECT_EQ(moa::progress_substitute("100% %", {}), "100% %");
  EXPECT_EQ(moa::progress_substitute("长度 %1：记录", {"64"}), "长度 64：记录");
  const moa::ProgressText free_text(std::string("loss 2.5 (%2)"));
  EXPECT_EQ(free_text.text(), "loss 2.5 (%2)");
  const std::string converted = moa::ProgressText("done %1/%2", {"1", "2"});
  EXPECT_EQ(converted, "done 1/2");
}
