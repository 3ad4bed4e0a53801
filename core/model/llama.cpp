#include "core/model/llama.h"

#include <cmath>
#include <map>

#include "core/compat/torch_compat.h"
#include "core/model/checkpoint.h"
#include "core/util/error.h"

namespace moa {

at::ScalarType to_scalar_type(DType t) {
  switch (t) {
    case DType::F32: return at::kFloat;
    case DType::F16: return at::kHalf;
    case DType::BF16: return at::kBFloat16;
    case DType::F64: return at::kDouble;
    default: throw Error(std::string("no torch type for dtype ") + dtype_safetensors_name(t));
  }
}

at::Tensor rope_inv_freq(const ModelConfig& c) {
  const int64_t D = c.head_dim;
  // transformers: 1 / base ** (arange(0, D, 2).float() / D), in float32.
  auto exps = at::arange(0, D, 2, at::kLong).to(at::kFloat) / static_cast<float>(D);
  auto inv = 1.0 / at::pow(at::scalar_tensor(static_cast<float>(c.rope.theta), at::kFloat), exps);
  if (c.rope.type == RopeType::Linear) inv = inv / static_cast<float>(c.rope.factor);
  if (c.rope.type == RopeType::Llama3) {
    const double old_ctx = static_cast<double>(c.rope.original_max_position);
    const double low_wavelen = old_ctx / c.rope.low_freq_factor, high_wavelen = old_ctx / c.rope.high_freq_factor;
    auto wavelen = 2 * M_PI / inv;
    auto scaled = at::where(wavelen > low_wavelen, inv / c.rope.factor, inv);
    auto smooth = (old_ctx / wavelen - c.rope.low_freq_factor) / (c.rope.high_freq_factor - c.rope.low_freq_factor);
    auto smoothed = (1 - smooth) * scaled / c.rope.factor + smooth * scaled;
    auto medium = (wavelen >= high_wavelen).logical_and(wavelen <= low_wavelen);
    inv = at::where(medium, smoothed, scaled);
  }
  return inv.to(at::kFloat).contiguous();
}

at::Tensor apply_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  auto x1 = x.narrow(-1, 0, half), x2 = x.narrow(-1, half, half);
  auto rotated = at::cat({-x2, x1}, -1);
  return x * cos.unsqueeze(1) + rotated * sin.unsqueeze(1);
}

std::pair<at::Tensor, at::Tensor> KVCache::append(int layer, const at::Tensor& k, const at::Tensor& v) {
  if (static_cast<int>(k_.size()) <= layer) {
    k_.resize(layer + 1);
    v_.resize(layer + 1);
  }
  const int64_t t = k.size(2), need = length_ + t;
  auto& K = k_[layer];
  auto& V = v_[layer];
  if (!K.defined() || K.size(2) < need) {
    int64_t cap = K.defined() ? K.size(2) : 0;
    cap = std::max<int64_t>(need, std::max<int64_t>(2 * cap, 64));
    auto nk = at::empty({k.size(0), k.size(1), cap, k.size(3)}, k.options());
    auto nv = at::empty({v.size(0), v.size(1), cap, v.size(3)}, v.options());
    if (K.defined() && length_ > 0) {
      nk.narrow(2, 0, length_).copy_(K.narrow(2, 0, length_));
      nv.narrow(2, 0, length_).copy_(V.narrow(2, 0, length_));
    }
    K = nk;
    V = nv;
  }
  K.narrow(2, length_, t).copy_(k);
  V.narrow(2, length_, t).copy_(v);
  return {K.narrow(2, 0, need), V.narrow(2, 0, need)};
}

void KVCache::clear() {
  k_.clear();
  v_.clear();
  length_ = 0;
}

int64_t KVCache::bytes() const {
  int64_t b = 0;
  for (size_t l = 0; l < k_.size(); ++l)
    if (k_[l].defined()) b += 2 * k_[l].size(0) * k_[l].size(1) * length_ * k_[l].size(3) * k_[l].element_size();
  return b;
}

LlamaModel::LlamaModel(std::shared_ptr<Checkpoint> checkpoint, at::Device device, std::optional<at::ScalarType> dtype)
    : config_(checkpoint->config()), checkpoint_(std::move(checkpoint)), device_(device) {
  dtype_ = dtype.value_or(to_scalar_type(checkpoint_->weight_dtype()));
  if (device_.is_cpu() && dtype_ == at::kHalf && !compat::cpu_half_matmul()) {
    // A float16 checkpoint on such a CPU computes in float32; asking for float16 is refused.
    if (!dtype) dtype_ = at::kFloat;
    else
      fail_file(checkpoint_->dir().string(), "float16 compute on CPU is not supported by this LibTorch (no float16 "
                                             "matrix multiply on CPU); use --dtype float32 or bfloat16");
  }
  assign([this](const std::string& name) { return load(name); });
}

LlamaModel::LlamaModel(const ModelConfig& config, const std::map<std::string, at::Tensor>& weights)
    : config_(config), device_(at::kCPU) {
  auto it = weights.find("model.embed_tokens.weight");
  if (it == weights.end()) throw Error("model weights: missing model.embed_tokens.weight");
  device_ = it->second.device();
  dtype_ = it->second.scalar_type();
  // The shapes the config implies, checked as for a checkpoint (Checkpoint::open): a wrong shape
  // would otherwise be split silently where q|k|v and gate|up are fused.
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& [name, shape] : llama_tensor_shapes(config)) shapes[name] = shape;
  assign([&](const std::string& name) {
    auto w = weights.find(name);
    if (w == weights.end()) throw Error("model weights: missing " + name);
    const auto want = shapes.find(name);
    if (want != shapes.end() && w->second.sizes().vec() != want->second)
      throw Error("model weights: " + name + " has shape " + c10::str(w->second.sizes()) + " but the config implies " +
                  c10::str(at::IntArrayRef(want->second)));
    return w->second;
  });
}

namespace {

// The matrices `parts` stacked along dim 0 as one tensor, each part then replaced by a view of
// its rows. Parts that already lie one after another in one storage (weights made fused, as
// `moa bench e2e` makes its random ones) are viewed in place: no copy, and no freed originals
// left to fragment the device allocator, which would cost the largest batch a few sequences.
at::Tensor stack_rows(std::initializer_list<at::Tensor*> parts) {
  const at::Tensor& first = **parts.begin();
  bool adjacent = true;
  int64_t rows = 0;
  for (const at::Tensor* t : parts) {
    adjacent = adjacent && t->is_contiguous() && t->size(1) == first.size(1) &&
               t->scalar_type() == first.scalar_type() && t->storage().is_alias_of(first.storage()) &&
               t->storage_offset() == first.storage_offset() + rows * first.size(1);
    rows += t->size(0);
  }
  std::vector<at::Tensor> list;
  for (const at::Tensor* t : parts) list.push_back(*t);
  at::Tensor all = adjacent ? first.as_strided({rows, first.size(1)}, {first.size(1), 1}) : at::cat(list);
  int64_t r0 = 0;
  for (at::Tensor* t : parts) {
    const int64_t n = t->size(0);
    *t = all.narrow(0, r0, n);
    r0 += n;
  }
  return all;
}

}  // namespace

void LlamaModel::assign(const std::function<at::Tensor(const std::string&)>& get) {
  const ModelConfig& c = config_;
  embed_ = get("model.embed_tokens.weight");
  norm_ = get("model.norm.weight");
  lm_head_ = c.tie_word_embeddings ? embed_ : get("lm_head.weight");
  layers_.clear();
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    layers_.push_back(Layer{get(p + "input_layernorm.weight"), get(p + "self_attn.q_proj.weight"),
                            get(p + "self_attn.k_proj.weight"), get(p + "self_attn.v_proj.weight"),
                            get(p + "self_attn.o_proj.weight"), get(p + "post_attention_layernorm.weight"),
                            get(p + "mlp.gate_proj.weight"), get(p + "mlp.up_proj.weight"),
                            get(p + "mlp.down_proj.weight"), {}, {}});
    Layer& w = layers_.back();
    // Inference only: a weight that requires grad (training) stays the tensor it was given, so
    // optimizer steps on it reach the model. One layer at a time: peak + one layer.
    if (device_.is_cuda() && !w.q.requires_grad() && !w.k.requires_grad() && !w.v.requires_grad())
      w.qkv = stack_rows({&w.q, &w.k, &w.v});
    if (device_.is_cuda() && !w.gate.requires_grad() && !w.up.requires_grad())
      w.gate_up = stack_rows({&w.gate, &w.up});
  }
  inv_freq_ = rope_inv_freq(c).to(device_);
}

namespace {

// `loaded` (the weight as the model holds it) has a non-finite element although the file's
// values are finite: the model's dtype cannot hold one of them. Names it.
[[noreturn]] void refuse_overflow(const TensorView& t, const at::Tensor& stored, const at::Tensor& loaded) {
  const int64_t i = at::logical_not(at::isfinite(loaded.reshape({-1}))).nonzero()[0][0].item<int64_t>();
  fail_file(t.file.string(), "tensor '" + t.name + "': value " + std::to_string(stored.reshape({-1})[i].item<double>()) +
                                 " at " + element_str(t.shape, i) + " overflows " +
                                 std::string(c10::toString(loaded.scalar_type())));
}

}  // namespace

at::Tensor LlamaModel::load(const std::string& name) const {
  const TensorView t = checkpoint_->tensor(name);
  // View of the read-only map; torch never writes weights, so the const_cast is safe.
  auto view = at::from_blob(const_cast<uint8_t*>(t.data), t.shape, at::TensorOptions().dtype(to_scalar_type(t.dtype)));
  // Zero-copy on the CPU in the file's dtype, else the one copy (host map -> device / dtype).
  at::Tensor w = device_.is_cpu() && view.scalar_type() == dtype_ ? view : view.to(device_, dtype_);
  // A NaN or Inf weight (a damaged file, or a value the dtype cannot hold) would turn every
  // result into garbage without a word; it is refused here, for every command that loads a model.
  // On the CPU the file's values are scanned on this thread; a GPU copy is checked on the GPU
  // (and, only if that fails, the file, to say which of the two it was).
  if (device_.is_cpu()) checkpoint_->check_finite(name);
  if ((!device_.is_cpu() || w.scalar_type() != view.scalar_type()) && !at::isfinite(w).all().item<bool>()) {
    checkpoint_->check_finite(name);
    refuse_overflow(t, view, w);
  }
  return w;
}

std::array<at::Tensor, 3> LlamaModel::project_qkv(int l, const at::Tensor& h) const {
  const Layer& w = layers_[l];
  if (!w.qkv.defined()) return {at::linear(h, w.q), at::linear(h, w.k), at::linear(h, w.v)};
  auto qkv = at::linear(h, w.qkv);  // one GEMM, split by views
  const int64_t nq = w.q.size(0), nk = w.k.size(0);
  return {qkv.narrow(-1, 0, nq), qkv.narrow(-1, nq, nk), qkv.narrow(-1, nq + nk, nk)};
}

at::Tensor LlamaModel::mlp(int l, const at::Tensor& h) const {
  const Layer& w = layers_[l];
  if (!w.gate_up.defined()) return at::linear(at::silu(at::linear(h, w.gate)) * at::linear(h, w.up), w.down);
  auto gu = at::linear(h, w.gate_up);
  const int64_t I = w.gate.size(0);
  return at::linear(at::silu(gu.narrow(-1, 0, I)) * gu.narrow(-1, I, I), w.down);
}

at::Tensor LlamaModel::rms_norm(const at::Tensor& x, const at::Tensor& weight) const {
  // float32 statistics as transformers; a float64 model (reference tests) stays float64.
  auto h = x.scalar_type() == at::kDouble ? x : x.to(at::kFloat);
  auto var = h.pow(2).mean(-1, true);
  h = h * at::rsqrt(var + config().rms_norm_eps);
  return weight * h.to(x.scalar_type());
}

std::pair<at::Tensor, at::Tensor> LlamaModel::rope_cos_sin(const at::Tensor& positions) const {
  auto freqs = positions.to(at::kFloat).unsqueeze(-1) * inv_freq_.view({1, 1, -1});  // [B,T,D/2]
  auto emb = at::cat({freqs, freqs}, -1);
  return {emb.cos().to(dtype_), emb.sin().to(dtype_)};
}

at::Tensor LlamaModel::forward(const at::Tensor& ids_in, const at::Tensor& positions_in, KVCache* cache,
                               AttentionBackend& attention, const ForwardOptions& opt) const {
  const ModelConfig& c = config();
  auto ids = ids_in.to(device_);
  auto pos = positions_in.to(device_);
  const int64_t B = ids.size(0), T = ids.size(1), Hq = c.num_heads, Hkv = c.num_kv_heads, D = c.head_dim;
  if (ids.numel() == 0) throw Error("forward: no tokens");
  if (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= c.vocab_size)
    throw Error("token id outside the vocabulary of " + std::to_string(c.vocab_size));
  auto x = at::embedding(embed_, ids);
  auto [cos, sin] = rope_cos_sin(pos);
  const int64_t past = cache ? cache->length() : 0;
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const Layer& w = layers_[l];
    auto h = rms_norm(x, w.input_norm);
    auto [q, k, v] = project_qkv(static_cast<int>(l), h);
    q = q.view({B, T, Hq, D}).transpose(1, 2);
    k = k.view({B, T, Hkv, D}).transpose(1, 2);
    v = v.view({B, T, Hkv, D}).transpose(1, 2);
    q = apply_rope(q, cos, sin);
    k = apply_rope(k, cos, sin);
    AttentionCall call;
    call.layer = static_cast<int>(l);
    call.q = q;
    if (cache) {
      std::tie(call.k, call.v) = cache->append(static_cast<int>(l), k, v);
    } else {
      call.k = k;
      call.v = v;
    }
    call.q_start = past;
    call.key_valid = opt.key_valid;
    call.pad = opt.pad;
    call.scale = scale;
    auto a = attention.attend(call);  // [B,Hq,T,D]
    a = a.transpose(1, 2).reshape({B, T, Hq * D});
    x = x + at::linear(a, w.o);
    x = x + mlp(static_cast<int>(l), rms_norm(x, w.post_norm));
  }
  if (cache) cache->advance(T);
  if (opt.last_token_only) x = x.narrow(1, T - 1, 1);
  x = rms_norm(x, norm_);
  if (opt.return_hidden) return x;
  return at::linear(x, lm_head_).to(at::kFloat);
}

}  // namespace moa
