#pragma once
#include <array>
// Llama forward pass in LibTorch (CPU and CUDA), numerically following Hugging Face
// transformers' LlamaForCausalLM: float32 RMSNorm statistics, float32 rotary tables cast
// to the activation dtype, SwiGLU MLP, GQA attention through an AttentionBackend.
#include <ATen/ATen.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "core/model/checkpoint.h"
#include "core/runtime/attention.h"

namespace moa {

// Dense KV cache: per layer [B, Hkv, capacity, D]; grows by doubling.
class KVCache {
 public:
  int64_t length() const { return length_; }
  // Appends new keys/values of one layer and returns views of everything cached so far.
  std::pair<at::Tensor, at::Tensor> append(int layer, const at::Tensor& k, const at::Tensor& v);
  // Called once per forward, after all layers appended, with the number of new tokens.
  void advance(int64_t t) { length_ += t; }
  void clear();
  int64_t bytes() const;

 private:
  std::vector<at::Tensor> k_, v_;
  int64_t length_ = 0;
};

struct ForwardOptions {
  at::Tensor key_valid;     // [B, S_total] bool (left padding); undefined = all valid
  at::Tensor pad;           // [B] left-pad counts
  bool last_token_only = false;  // logits of the last position only
  bool return_hidden = false;    // return final hidden states instead of logits
};

class LlamaModel {
 public:
  // Loads weights from the checkpoint onto `device` in `dtype` (default: the checkpoint's).
  // CPU + same dtype: tensors are zero-copy views of the memory map.
  LlamaModel(std::shared_ptr<Checkpoint> checkpoint, at::Device device,
             std::optional<at::ScalarType> dtype = std::nullopt);
  // From tensors named as in the checkpoint (training, tests, benchmarks), checked against the
  // config's shapes. Used as given, except that on a GPU the q|k|v and gate|up of tensors that
  // need no gradient are held fused (Layer; copied unless already adjacent in one storage): pass
  // differentiable casts of master weights to train through the model.
  LlamaModel(const ModelConfig& config, const std::map<std::string, at::Tensor>& weights);

  const ModelConfig& config() const { return config_; }
  // The checkpoint the weights came from; null for a model built from tensors.
  const Checkpoint* checkpoint() const { return checkpoint_.get(); }
  at::Device device() const { return device_; }
  at::ScalarType dtype() const { return dtype_; }

  // ids [B, T] int64; positions [B, T] int64 (rope positions). With a cache, keys/values
  // are appended and attention sees the whole cache. Returns logits [B, T or 1, V] (float32).
  at::Tensor forward(const at::Tensor& ids, const at::Tensor& positions, KVCache* cache,
                     AttentionBackend& attention, const ForwardOptions& options = {}) const;

  // Pieces, for the profiler and tests.
  at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight) const;
  // Layer l's projections of a normed input h [B, T, hidden]: q [B, T, Hq*D], k, v [B, T, Hkv*D]
  // before RoPE (views of one GEMM's output where the layer is fused), and its SwiGLU MLP
  // down(silu(gate h) * up h). Every caller (forward, the profiler, the engine's prefill) uses
  // these, so all compute the same roundings.
  std::array<at::Tensor, 3> project_qkv(int l, const at::Tensor& h) const;
  at::Tensor mlp(int l, const at::Tensor& h) const;
  std::pair<at::Tensor, at::Tensor> rope_cos_sin(const at::Tensor& positions) const;  // [B,T,D] each
  at::Tensor lm_head() const { return lm_head_; }
  at::Tensor embed_tokens() const { return embed_; }

  // On a GPU (inference: weights that need no gradient) the projections that read the same input
  // are held fused, one matrix each: qkv = [q; k; v] and gate_up = [gate; up] along the output
  // dimension, with q, k, v, gate and up views of their rows. One GEMM instead of three (two) is
  // what decode at small batch needs (bench/gemm_decode.py). On the CPU the weights stay the
  // zero-copy views of the memory map and qkv/gate_up are undefined.
  struct Layer {
    at::Tensor input_norm, q, k, v, o, post_norm, gate, up, down;
    at::Tensor qkv, gate_up;  // defined when fused (see above)
  };
  const Layer& layer(int l) const { return layers_[l]; }
  at::Tensor final_norm() const { return norm_; }
  at::Tensor inv_freq() const { return inv_freq_; }

 private:
  at::Tensor load(const std::string& name) const;
  void assign(const std::function<at::Tensor(const std::string&)>& get);
  ModelConfig config_;
  std::shared_ptr<Checkpoint> checkpoint_;
  at::Device device_;
  at::ScalarType dtype_;
  at::Tensor embed_, norm_, lm_head_, inv_freq_;
  std::vector<Layer> layers_;
};

// Rotary inverse frequencies [D/2] (float32) for the config's rope type, as transformers.
at::Tensor rope_inv_freq(const ModelConfig& config);
at::Tensor apply_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);  // x [B,H,T,D]

at::ScalarType to_scalar_type(DType t);

}  // namespace moa
