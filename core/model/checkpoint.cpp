#include "core/model/checkpoint.h"

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/json_read.h"

namespace moa {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<std::pair<std::string, std::vector<int64_t>>> llama_tensor_shapes(const ModelConfig& c) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  const int64_t H = c.hidden_size, I = c.intermediate_size, q = c.num_heads * c.head_dim,
                kv = c.num_kv_heads * c.head_dim;
  out.push_back({"model.embed_tokens.weight", {c.vocab_size, H}});
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    out.push_back({p + "input_layernorm.weight", {H}});
    out.push_back({p + "self_attn.q_proj.weight", {q, H}});
    out.push_back({p + "self_attn.k_proj.weight", {kv, H}});
    out.push_back({p + "self_attn.v_proj.weight", {kv, H}});
    out.push_back({p + "self_attn.o_proj.weight", {H, q}});
    out.push_back({p + "post_attention_layernorm.weight", {H}});
    out.push_back({p + "mlp.gate_proj.weight", {I, H}});
    out.push_back({p + "mlp.up_proj.weight", {I, H}});
    out.push_back({p + "mlp.down_proj.weight", {H, I}});
  }
  out.push_back({"model.norm.weight", {H}});
  if (!c.tie_word_embeddings) out.push_back({"lm_head.weight", {c.vocab_size, H}});
  return out;
}

namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

[[noreturn]] void refuse_pickle(const fs::path& dir, const fs::path& found) {
  fail_file(found.string(),
            "pickle checkpoints are refused: unpickling runs arbitrary code from the file. Convert it once, in a "
            "trusted environment, with: python -c \"from transformers import AutoModelForCausalLM as M; "
            "M.from_pretrained('" + dir.string() + "').save_pretrained('OUT', safe_serialization=True)\"");
}

bool ignorable_extra(const std::string& name) {
  // Older HF checkpoints store the rotary inverse frequencies as a buffer.
  return name.find("rotary_emb.inv_freq") != std::string::npos;
}

}  // namespace

std::shared_ptr<Checkpoint> Checkpoint::open(const fs::path& dir_in, const CheckpointOptions& options) {
  std::shared_ptr<Checkpoint> ck(new Checkpoint());
  const fs::path dir = fs::absolute(dir_in);
  ck->dir_ = dir;
  if (!fs::is_directory(dir)) fail_file(dir.string(), "not a directory (expected a Hugging Face checkpoint folder)");
  const fs::path config_path = dir / "config.json";
  if (!fs::exists(config_path)) fail_file(config_path.string(), "missing: a checkpoint folder needs config.json");
  const std::string config_text = read_text_file(config_path);
  ck->config_ = config_parse(config_text, config_path.string());

  const fs::path single = dir / "model.safetensors", index = dir / "model.safetensors.index.json";
  std::vector<fs::path> shard_paths;
  std::map<std::string, std::string> weight_map;
  // As transformers does: the single file wins when both are there (a stale index left next to
  // a re-saved model.safetensors must not load other weights than transformers would).
  if (fs::exists(single)) {
    shard_paths.push_back(single);
  } else if (fs::exists(index)) {
    const json j = json_parse_or_fail(read_text_file(index), index.string());
    if (!j.contains("weight_map") || !j["weight_map"].is_object())
      fail_file(index.string(), "'weight_map' missing or not an object");
    std::set<std::string> files;
    for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
      if (!it.value().is_string()) fail_file(index.string(), "weight_map['" + it.key() + "'] must be a file name");
      const std::string f = it.value().get<std::string>();
      if (f.find('/') != std::string::npos || f == ".." )
        fail_file(index.string(), "weight_map['" + it.key() + "'] names a file outside the folder: " + f);
      weight_map[it.key()] = f;
      files.insert(f);
    }
    if (weight_map.empty()) fail_file(index.string(), "'weight_map' lists no tensors");
    for (const auto& f : files) {
      if (!fs::exists(dir / f)) fail_file((dir / f).string(), "missing shard listed in " + index.filename().string());
      shard_paths.push_back(dir / f);
    }
  } else {
    for (const auto& e : fs::directory_iterator(dir)) {
      const auto ext = e.path().extension().string();
      if (ext == ".bin" || ext == ".pt" || ext == ".pth" || ext == ".pkl") refuse_pickle(dir, e.path());
    }
    fail_file(dir.string(), "no model.safetensors or model.safetensors.index.json in the folder");
  }

  for (size_t s = 0; s < shard_paths.size(); ++s) {
    ck->shards_.push_back(std::make_unique<SafetensorsFile>(shard_paths[s]));
    for (const auto& [name, info] : ck->shards_.back()->header().tensors) {
      if (ck->where_.count(name))
        fail_file(shard_paths[s].string(), "tensor '" + name + "' also appears in " +
                                               ck->shards_[ck->where_[name]]->path().filename().string());
      if (!weight_map.empty()) {
        auto it = weight_map.find(name);
        if (it == weight_map.end() || it->second != shard_paths[s].filename().string())
          fail_file(shard_paths[s].string(), "tensor '" + name + "' is not listed for this file in model.safetensors.index.json");
      }
      ck->where_[name] = s;
    }
  }
  for (const auto& [name, file] : weight_map)
    if (!ck->where_.count(name)) fail_file((dir / file).string(), "tensor '" + name + "' listed in the index is missing");

  // Every expected tensor present with the right shape and dtype; nothing unexpected.
  const ModelConfig& c = ck->config_;
  std::set<std::string> expected;
  for (const auto& [name, shape] : llama_tensor_shapes(c)) {
    expected.insert(name);
    auto it = ck->where_.find(name);
    if (it == ck->where_.end())
      fail_file(shard_paths.front().string(), "missing tensor '" + name + "' (config.json says " +
                                                  std::to_string(c.num_layers) + " layers)");
    const auto& shard = *ck->shards_[it->second];
    const TensorInfo& t = shard.info(name);
    if (t.shape != shape)
      fail_file(shard.path().string(), "tensor '" + name + "' has shape " + shape_str(t.shape) +
                                           " but config.json implies " + shape_str(shape));
    if (t.dtype != DType::F32 && t.dtype != DType::F16 && t.dtype != DType::BF16)
      fail_file(shard.path().string(), "tensor '" + name + "' has dtype " + dtype_safetensors_name(t.dtype) +
                                           "; weights must be F32, F16 or BF16");
    if (t.dtype != c.dtype)
      fail_file(shard.path().string(), "tensor '" + name + "' is " + dtype_safetensors_name(t.dtype) +
                                           " but config.json says " + dtype_torch_name(c.dtype));
  }
  for (const auto& [name, s] : ck->where_) {
    if (expected.count(name)) continue;
    if (c.tie_word_embeddings && name == "lm_head.weight") continue;  // some writers keep the tied copy
    if (ignorable_extra(name)) continue;
    fail_file(ck->shards_[s]->path().string(), "unexpected tensor '" + name + "' (not part of a " +
                                                   std::to_string(c.num_layers) + "-layer Llama)");
  }

  // Content hash: config, tensor table, and up to 4 KiB from the start/middle/end of each tensor.
  uint64_t h = fnv1a64(config_text.data(), config_text.size());
  for (const auto& [name, s] : ck->where_) {
    const auto& shard = *ck->shards_[s];
    const TensorInfo& t = shard.info(name);
    const std::string row = name + dtype_safetensors_name(t.dtype) + shape_str(t.shape);
    h = fnv1a64(row.data(), row.size(), h);
    const uint64_t bytes = t.end - t.begin, take = std::min<uint64_t>(bytes, 4096);
    const uint8_t* d = shard.data(t);
    for (uint64_t off : {uint64_t{0}, (bytes - take) / 2, bytes - take}) h = fnv1a64(d + off, take, h);
  }
  ck->hash_ = hex64(h);
  if (options.check_finite) ck->check_finite();
  return ck;
}

std::string Checkpoint::name() const {
  return dir_.filename().empty() ? dir_.parent_path().filename().string() : dir_.filename().string();
}

bool Checkpoint::has(const std::string& name) const { return where_.count(name) > 0; }

TensorView Checkpoint::tensor(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) fail_file(dir_.string(), "no tensor named '" + name + "'");
  const auto& shard = *shards_[it->second];
  const TensorInfo& t = shard.info(name);
  return TensorView{name, t.dtype, t.shape, shard.data(t), shard.path()};
}

std::vector<std::string> Checkpoint::tensor_names() const {
  std::vector<std::string> out;
  for (const auto& [n, s] : where_) out.push_back(n);
  return out;
}

std::vector<std::pair<std::string, uint64_t>> Checkpoint::files() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const auto& s : shards_) out.push_back({s->path().filename().string(), s->file_size()});
  return out;
}

DType Checkpoint::weight_dtype() const { return tensor("model.embed_tokens.weight").dtype; }

std::string element_str(const std::vector<int64_t>& shape, int64_t flat) {
  std::vector<int64_t> idx(shape.size());
  for (size_t k = shape.size(); k-- > 0;) {
    idx[k] = flat % shape[k];
    flat /= shape[k];
  }
  return shape_str(idx);
}

void Checkpoint::check_finite() const {
  for (const auto& [name, s] : where_) check_finite(name);
}

void Checkpoint::check_finite(const std::string& name) const {
  const TensorView t = tensor(name);
  int64_t n = 1;
  for (int64_t d : t.shape) n *= d;
  for (int64_t i = 0; i < n; ++i) {
    float v;
    if (t.dtype == DType::F32) std::memcpy(&v, t.data + 4 * i, 4);
    else {
      uint16_t u;
      std::memcpy(&u, t.data + 2 * i, 2);
      v = t.dtype == DType::BF16 ? bf16_to_f32(u) : f16_to_f32(u);
    }
    if (!std::isfinite(v))
      fail_file(t.file.string(), "tensor '" + name + "' has a non-finite value (" + std::to_string(v) + ") at " +
                                     element_str(t.shape, i));
  }
}

}  // namespace moa
