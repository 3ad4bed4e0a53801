#pragma once
// Llama-family model configuration from a Hugging Face config.json, in both schemas:
// transformers 4 (rope_theta, rope_scaling, torch_dtype) and transformers 5
// (rope_parameters, dtype). Torch-free.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/dtype.h"

namespace moa {

enum class RopeType { Default, Linear, Llama3 };

struct RopeConfig {
  RopeType type = RopeType::Default;
  double theta = 10000.0;
  double factor = 1.0;                 // linear and llama3
  double low_freq_factor = 1.0;        // llama3
  double high_freq_factor = 4.0;       // llama3
  int64_t original_max_position = 8192;  // llama3
};

enum class ConfigSchema { V4, V5 };

struct ModelConfig {
  std::string model_type = "llama";
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t max_position_embeddings = 2048;
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  RopeConfig rope;
  DType dtype = DType::F32;
  int64_t bos_token_id = -1;
  std::vector<int64_t> eos_token_ids;
  int64_t pad_token_id = -1;
  double initializer_range = 0.02;

  int64_t kv_group() const { return num_heads / num_kv_heads; }
  // Parameters implied by the shapes (embedding counted once when tied).
  int64_t parameter_count() const;
};

// Parses config.json text; `file` is used in error messages ("<file>: <key>: <problem>").
ModelConfig config_parse(std::string_view json_text, const std::string& file);
ModelConfig config_load(const std::filesystem::path& path);
// Serialises to config.json text in the given schema (both load in transformers).
std::string config_to_json(const ModelConfig& config, ConfigSchema schema = ConfigSchema::V4);

// Shapes the CLI knows by name: "llama3-8b", "vicuna-7b", "tiny", "tiny-llama3", ...
ModelConfig config_preset(const std::string& name);
std::vector<std::string> config_preset_names();

const char* rope_type_name(RopeType t);

}  // namespace moa
