#pragma once
// A Hugging Face Llama-family checkpoint directory: config.json plus model.safetensors or
// model.safetensors.index.json + shards. Files are memory-mapped; tensors are views into
// the maps. Pickle checkpoints (.bin/.pt) are refused: loading them runs code. Torch-free.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/model/config.h"
#include "core/model/safetensors.h"

namespace moa {

struct CheckpointOptions {
  bool check_finite = false;  // scan every weight for NaN/Inf (reads all pages)
};

struct TensorView {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const uint8_t* data;  // inside a memory map owned by the Checkpoint
  std::filesystem::path file;
};

// "[i, j, ...]": the position of element `flat` (row-major) in a tensor of `shape`, for messages.
std::string element_str(const std::vector<int64_t>& shape, int64_t flat);

// (name, shape) of every tensor a LlamaForCausalLM of this config has, in HF order.
std::vector<std::pair<std::string, std::vector<int64_t>>> llama_tensor_shapes(const ModelConfig& config);

class Checkpoint {
 public:
  static std::shared_ptr<Checkpoint> open(const std::filesystem::path& dir, const CheckpointOptions& options = {});

  const ModelConfig& config() const { return config_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::string name() const;
  // Identifies the weights: hash of config.json, the tensor table and sampled bytes of
  // every tensor. Stored in profiles and plans so files from another model are caught.
  const std::string& content_hash() const { return hash_; }

  bool has(const std::string& name) const;
  TensorView tensor(const std::string& name) const;
  std::vector<std::string> tensor_names() const;
  // File name and size of every weight file.
  std::vector<std::pair<std::string, uint64_t>> files() const;
  DType weight_dtype() const;  // dtype of the embedding
  // Throws naming the file and tensor of the first non-finite value: of every tensor, or of one.
  // A plain loop on the calling thread (no OpenMP team beside a GUI thread).
  void check_finite() const;
  void check_finite(const std::string& name) const;

 private:
  Checkpoint() = default;
  std::filesystem::path dir_;
  ModelConfig config_;
  std::string hash_;
  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::map<std::string, size_t> where_;  // tensor -> shard index
};

struct RandomCheckpointOptions {
  uint64_t seed = 0;
  ConfigSchema schema = ConfigSchema::V4;
  double norm_noise = 0.1;       // RMSNorm weights = 1 + noise * N(0,1) (HF inits 1; noise tests more)
  uint64_t max_shard_bytes = 0;  // 0: one file; else shard with model.safetensors.index.json
  std::string tokenizer_json;    // copied as tokenizer.json when set
};

// Writes config.json, generation_config.json and random weights (N(0, initializer_range))
// in the config's dtype, in a layout transformers' LlamaForCausalLM loads.
void checkpoint_write_random(const ModelConfig& config, const std::filesystem::path& dir,
                             const RandomCheckpointOptions& options);

}  // namespace moa
