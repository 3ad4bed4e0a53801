// Random-init checkpoints in Hugging Face format (moa init-checkpoint). Deterministic from
// the seed and independent of thread count: every 1 Mi-element chunk has its own stream.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/model/checkpoint.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace moa {

namespace fs = std::filesystem;

namespace {

uint64_t splitmix64(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Fills n values of N(mean, std) converted to dtype.
void fill_normal(uint8_t* dst, int64_t n, DType dtype, double mean, double std, uint64_t seed) {
  constexpr int64_t kChunk = 1 << 20;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  const unsigned threads = std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), 16));
  auto work = [&](unsigned t) {
    for (int64_t c = t; c < chunks; c += threads) {
      uint64_t s = seed ^ (0xd1b54a32d192ed03ull * static_cast<uint64_t>(c + 1));
      const int64_t lo = c * kChunk, hi = std::min(n, lo + kChunk);
      for (int64_t i = lo; i < hi; i += 2) {
        // Box-Muller on two uniforms in (0, 1].
        const double u1 = (static_cast<double>(splitmix64(s) >> 11) + 1.0) * 0x1.0p-53;
        const double u2 = static_cast<double>(splitmix64(s) >> 11) * 0x1.0p-53;
        const double r = std::sqrt(-2.0 * std::log(u1));
        const double v[2] = {mean + std * r * std::cos(2 * M_PI * u2), mean + std * r * std::sin(2 * M_PI * u2)};
        for (int k = 0; k < 2 && i + k < hi; ++k) {
          const float f = static_cast<float>(v[k]);
          const int64_t j = i + k;
          if (dtype == DType::F32) std::memcpy(dst + 4 * j, &f, 4);
          else {
            const uint16_t h = dtype == DType::BF16 ? f32_to_bf16(f) : f32_to_f16(f);
            std::memcpy(dst + 2 * j, &h, 2);
          }
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
}

}  // namespace

void checkpoint_write_random(const ModelConfig& config, const fs::path& dir, const RandomCheckpointOptions& opt) {
  fs::create_directories(dir);
  for (const char* stale : {"model.safetensors", "model.safetensors.index.json"}) fs::remove(dir / stale);
  write_file_atomic(dir / "config.json", config_to_json(config, opt.schema));
  nlohmann::json gen = {{"_from_model_config", true}, {"do_sample", false}};
  if (config.bos_token_id >= 0) gen["bos_token_id"] = config.bos_token_id;
  if (!config.eos_token_ids.empty()) gen["eos_token_id"] = config.eos_token_ids.size() == 1 ? nlohmann::json(config.eos_token_ids[0]) : nlohmann::json(config.eos_token_ids);
  write_file_atomic(dir / "generation_config.json", gen.dump(2) + "\n");
  if (!opt.tokenizer_json.empty()) write_file_atomic(dir / "tokenizer.json", read_text_file(opt.tokenizer_json));

  std::vector<TensorToWrite> tensors;
  uint64_t index = 0;
  for (const auto& [name, shape] : llama_tensor_shapes(config)) {
    const bool is_norm = shape.size() == 1;
    const uint64_t seed = opt.seed * 0x9e3779b97f4a7c15ull + (++index) * 0xbf58476d1ce4e5b9ull;
    const double mean = is_norm ? 1.0 : 0.0, std = is_norm ? opt.norm_noise : config.initializer_range;
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    tensors.push_back({name, config.dtype, shape, [=](uint8_t* dst) { fill_normal(dst, n, config.dtype, mean, std, seed); }});
  }
  const std::map<std::string, std::string> meta = {{"format", "pt"}};
  if (opt.max_shard_bytes == 0) {
    safetensors_write(dir / "model.safetensors", tensors, meta);
    return;
  }
  // Greedy sharding in tensor order, as save_pretrained does.
  std::vector<std::vector<TensorToWrite>> shards(1);
  uint64_t used = 0, total = 0;
  for (auto& t : tensors) {
    uint64_t bytes = dtype_size(t.dtype);
    for (int64_t d : t.shape) bytes *= static_cast<uint64_t>(d);
    if (used > 0 && used + bytes > opt.max_shard_bytes) {
      shards.emplace_back();
      used = 0;
    }
    shards.back().push_back(t);
    used += bytes;
    total += bytes;
  }
  nlohmann::json weight_map = nlohmann::json::object();
  for (size_t s = 0; s < shards.size(); ++s) {
    char fname[64];
    std::snprintf(fname, sizeof fname, "model-%05zu-of-%05zu.safetensors", s + 1, shards.size());
    safetensors_write(dir / fname, shards[s], meta);
    for (const auto& t : shards[s]) weight_map[t.name] = fname;
  }
  nlohmann::json idx = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
  write_file_atomic(dir / "model.safetensors.index.json", idx.dump(2) + "\n");
}

}  // namespace moa
