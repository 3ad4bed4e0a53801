#include "core/runtime/engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "core/compat/torch_compat.h"
#include "core/util/error.h"

#ifdef MOA_TORCH_HAS_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>

#include "kernels/moa_cache.cuh"
#include "kernels/moa_decode.cuh"
#include "kernels/moa_fused_ops.cuh"
#include "kernels/moa_prefill.cuh"
#endif

namespace moa {

bool Engine::available() { return compat::cuda_available(); }

Engine::Engine(const LlamaModel& model, EngineOptions options) : model_(model), options_(std::move(options)) {
  const ModelConfig& c = model.config();
  if (options_.band_blocks.empty()) return;
  if (static_cast<int64_t>(options_.band_blocks.size()) != c.num_layers)
    throw Error("engine: band blocks for " + std::to_string(options_.band_blocks.size()) + " layers, the model has " +
                std::to_string(c.num_layers));
  for (size_t l = 0; l < options_.band_blocks.size(); ++l)
    if (static_cast<int64_t>(options_.band_blocks[l].size()) != c.num_kv_heads)
      throw Error("engine: layer " + std::to_string(l) + " has " + std::to_string(options_.band_blocks[l].size()) +
                  " band sizes, the model has " + std::to_string(c.num_kv_heads) + " KV heads");
}

#ifndef MOA_TORCH_HAS_CUDA

EngineResult Engine::generate(const std::vector<std::vector<int64_t>>&, int64_t) {
  throw Error("engine: this build has no CUDA LibTorch/kernels; use the reference path (generate_greedy)");
}

#else

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

at::Tensor int32_device(const std::vector<std::vector<int32_t>>& rows, const at::Device& dev) {
  std::vector<int32_t> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return at::tensor(flat, at::kInt).view({static_cast<int64_t>(rows.size()), -1}).to(dev);
}

// One generation's device state: the cache of every layer, its geometry and counters, and the
// decode step's inputs (cur_ids_, pos_), which the step updates in place so it can be replayed.
class EngineRun {
 public:
  EngineRun(const LlamaModel& m, const CacheLayout& layout, const std::vector<std::vector<int64_t>>& band, int64_t batch)
      : m_(m), layout_(layout), B_(batch) {
    const ModelConfig& c = m.config();
    L_ = c.num_layers;
    Hq_ = c.num_heads;
    Hkv_ = c.num_kv_heads;
    D_ = c.head_dim;
    I_ = c.intermediate_size;
    dev_ = m.device();
    dtype_ = m.dtype() == at::kBFloat16 ? kernels::DType::bf16 : kernels::DType::f16;
    scale_ = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D_)));
    const auto opt = at::TensorOptions().dtype(m.dtype()).device(dev_);
    for (int l = 0; l < L_; ++l) {
      k_cache_.push_back(at::empty({B_, layout.slots[l], D_}, opt));
      v_cache_.push_back(at::empty({B_, layout.slots[l], D_}, opt));
    }
    offset_ = int32_device(layout.offset, dev_);
    span_ = int32_device(layout.span, dev_);
    seen_ = at::zeros({L_, B_ * Hkv_}, at::TensorOptions().dtype(at::kInt).device(dev_));
    std::vector<std::vector<int32_t>> band32(L_, std::vector<int32_t>(Hkv_));
    // Dense: a band of all blocks of the longest sequence (the kernel clamps to each prompt's).
    const int32_t all_blocks = static_cast<int32_t>((layout.total_length + 63) / 64);
    for (int l = 0; l < L_; ++l)
      for (int h = 0; h < Hkv_; ++h) band32[l][h] = band.empty() ? all_blocks : static_cast<int32_t>(band[l][h]);
    band_ = int32_device(band32, dev_);
    size_t ws = 0;
    for (int l = 0; l < L_; ++l) ws = std::max(ws, kernels::moa_decode_workspace_bytes(decode_args(l, k_cache_[l].data_ptr(), k_cache_[l])));
    workspace_ = at::empty({static_cast<int64_t>(ws / sizeof(float)) + 1}, at::TensorOptions().dtype(at::kFloat).device(dev_));
    cur_ids_ = at::zeros({B_}, at::TensorOptions().dtype(at::kLong).device(dev_));
    pos_ = at::zeros({B_}, at::TensorOptions().dtype(at::kLong).device(dev_));
    inv_freq_ = m.inv_freq().to(dev_, at::kFloat).contiguous();
  }

  // Prefills `prompt` into cache row `row`; sets that row's first new token and position.
  void prefill(const std::vector<int64_t>& prompt, int64_t row) {
    const int64_t T = static_cast<int64_t>(prompt.size());
    void* stream = compat::current_cuda_stream(dev_);
    auto ids = at::tensor(prompt, at::kLong).to(dev_).view({1, T});
    auto pos = at::arange(T, at::TensorOptions().dtype(at::kLong).device(dev_)).view({1, T});
    auto x = at::embedding(m_.embed_tokens(), ids);
    auto [cos, sin] = m_.rope_cos_sin(pos);
    for (int l = 0; l < L_; ++l) {
      const auto& w = m_.layer(l);
      auto h = m_.rms_norm(x, w.input_norm);
      auto [qp, kp, vp] = m_.project_qkv(l, h);
      auto q = apply_rope(qp.view({1, T, Hq_, D_}).transpose(1, 2), cos, sin).contiguous();
      auto k = apply_rope(kp.view({1, T, Hkv_, D_}).transpose(1, 2), cos, sin).contiguous();
      auto v = vp.view({1, T, Hkv_, D_}).transpose(1, 2).contiguous();
      auto out = at::empty_like(q);
      kernels::PrefillArgs a;
      a.q = q.data_ptr();
      a.k = k.data_ptr();
      a.v = v.data_ptr();
      a.out = out.data_ptr();
      a.band_blocks = band_.data_ptr<int32_t>() + l * Hkv_;
      a.layout_heads_are_kv = true;
      a.batch = 1;
      a.num_q_heads = Hq_;
      a.num_kv_heads = Hkv_;
      a.seq_len = static_cast<int>(T);
      a.head_dim = D_;
      a.dtype = dtype_;
      a.scale = scale_;
      kernels::moa_prefill(a, stream);
      kernels::moa_cache_fill(geometry(l, 1), k.data_ptr(), v.data_ptr(), static_cast<int>(T),
                              k_cache_[l][row].data_ptr(), v_cache_[l][row].data_ptr(),
                              seen_.data_ptr<int32_t>() + l * B_ * Hkv_ + row * Hkv_, stream);
      x = x + at::linear(out.transpose(1, 2).reshape({1, T, Hq_ * D_}), w.o);
      x = x + m_.mlp(l, m_.rms_norm(x, w.post_norm));
    }
    auto last = m_.rms_norm(x.narrow(1, T - 1, 1), m_.final_norm());
    cur_ids_.narrow(0, row, 1).copy_(at::linear(last, m_.lm_head()).argmax(-1).view({1}));
    pos_.narrow(0, row, 1).fill_(T);
  }

  // Benchmarks: every row becomes a copy of row 0 (cache, counters, token, position).
  void replicate_row0() {
    if (B_ == 1) return;
    for (int l = 0; l < L_; ++l) {
      k_cache_[l].narrow(0, 1, B_ - 1).copy_(k_cache_[l].narrow(0, 0, 1).expand({B_ - 1, -1, -1}));
      v_cache_[l].narrow(0, 1, B_ - 1).copy_(v_cache_[l].narrow(0, 0, 1).expand({B_ - 1, -1, -1}));
    }
    auto seen = seen_.view({L_, B_, Hkv_});
    seen.narrow(1, 1, B_ - 1).copy_(seen.narrow(1, 0, 1).expand({L_, B_ - 1, Hkv_}));
    cur_ids_.copy_(cur_ids_.narrow(0, 0, 1).clone().expand({B_}));
    pos_.copy_(pos_.narrow(0, 0, 1).clone().expand({B_}));
  }

  // One token for every row: reads cur_ids_/pos_, appends to the cache, writes the next ids and
  // advances pos_. Allocates only through the caching allocator and never syncs (graph-safe).
  // The element-wise steps run as fused kernels (kernels/moa_fused_ops.cuh: the residual add with
  // the next RMSNorm, the rotary embedding in place, SiLU * up), each rounding as the ATen chain of
  // LlamaModel::forward does; at decode batch sizes that chain is ~30 launches per layer.
  void decode_step() {
    void* stream = compat::current_cuda_stream(dev_);
    const int rows = static_cast<int>(B_);
    const int hidden = static_cast<int>(m_.config().hidden_size);
    const float eps = static_cast<float>(m_.config().rms_norm_eps);
    auto x = at::embedding(m_.embed_tokens(), cur_ids_.view({B_, 1}));  // [B,1,H], the residual stream
    auto h = at::empty_like(x);
    at::Tensor pending;  // the last MLP output, added to x by the next norm
    auto add_norm = [&](const at::Tensor& weight) {
      kernels::moa_add_rms_norm(x.data_ptr(), pending.defined() ? pending.data_ptr() : nullptr, weight.data_ptr(),
                                h.data_ptr(), rows, hidden, eps, dtype_, stream);
    };
    for (int l = 0; l < L_; ++l) {
      const auto& w = m_.layer(l);
      add_norm(w.input_norm);
      // One GEMM for q|k|v; the kernels take q, k and v where they lie in its rows (qkv_row apart).
      auto qkv = at::linear(h, w.qkv);  // [B, 1, (Hq + 2 Hkv) D]
      const size_t qkv_row = static_cast<size_t>(Hq_ + 2 * Hkv_) * D_;
      auto* q = static_cast<char*>(qkv.data_ptr());
      auto* k = q + static_cast<size_t>(Hq_) * D_ * qkv.element_size();
      auto* v = k + static_cast<size_t>(Hkv_) * D_ * qkv.element_size();
      // RoPE on the q and k heads together: they are adjacent in each row.
      kernels::moa_rope_rows(q, rows, Hq_ + Hkv_, D_, qkv_row, pos_.data_ptr<int64_t>(), inv_freq_.data_ptr<float>(),
                             dtype_, stream);
      int32_t* seen = seen_.data_ptr<int32_t>() + l * B_ * Hkv_;
      kernels::moa_cache_append(geometry(l, B_), k, v, qkv_row, k_cache_[l].data_ptr(), v_cache_[l].data_ptr(), seen,
                                stream);
      auto out = at::empty({B_, Hq_, D_}, qkv.options());
      kernels::DecodeArgs d = decode_args(l, q, out);
      d.q_row_stride = qkv_row;
      kernels::moa_decode(d, stream);
      pending = at::linear(out.view({B_, 1, Hq_ * D_}), w.o);
      add_norm(w.post_norm);  // x += attention output; h = post-attention norm
      auto gate_up = at::linear(h, w.gate_up);  // [B, 1, 2 I]
      auto act = at::empty({B_, 1, I_}, gate_up.options());
      kernels::moa_silu_mul(gate_up.data_ptr(), act.data_ptr(), rows, static_cast<int>(I_), dtype_, stream);
      pending = at::linear(act, w.down);
    }
    add_norm(m_.final_norm());
    auto logits = at::linear(h, m_.lm_head());  // [B,1,V]
    cur_ids_.copy_(logits.argmax(-1).view({B_}));
    pos_.add_(1);
  }

  at::Tensor cur_ids_, pos_;

 private:
  kernels::CacheGeometryArgs geometry(int l, int64_t batch) const {
    kernels::CacheGeometryArgs g;
    g.head_offset = offset_.data_ptr<int32_t>() + l * Hkv_;
    g.head_span = span_.data_ptr<int32_t>() + l * Hkv_;
    g.batch = static_cast<int>(batch);
    g.num_kv_heads = Hkv_;
    g.total_slots = layout_.slots[l];
    g.head_dim = D_;
    g.max_span = layout_.max_span[l];
    return g;
  }

  kernels::DecodeArgs decode_args(int l, const void* q, const at::Tensor& out) const {
    kernels::DecodeArgs d;
    d.q = q;
    d.k_cache = k_cache_[l].data_ptr();
    d.v_cache = v_cache_[l].data_ptr();
    d.out = out.data_ptr();
    d.head_offset = offset_.data_ptr<int32_t>() + l * Hkv_;
    d.head_span = span_.data_ptr<int32_t>() + l * Hkv_;
    d.seen = seen_.data_ptr<int32_t>() + l * B_ * Hkv_;
    d.batch = static_cast<int>(B_);
    d.num_q_heads = Hq_;
    d.num_kv_heads = Hkv_;
    d.head_dim = D_;
    d.total_slots = layout_.slots[l];
    d.max_span = layout_.max_span[l];
    d.dtype = dtype_;
    d.scale = scale_;
    if (workspace_.defined()) {
      d.workspace = workspace_.data_ptr();
      d.workspace_bytes = static_cast<size_t>(workspace_.numel()) * sizeof(float);
    }
    return d;
  }

  const LlamaModel& m_;
  const CacheLayout& layout_;
  int64_t B_;
  int L_ = 0, Hq_ = 0, Hkv_ = 0, D_ = 0;
  int64_t I_ = 0;  // MLP width
  at::Device dev_ = at::kCPU;
  kernels::DType dtype_ = kernels::DType::bf16;
  float scale_ = 1.0f;
  std::vector<at::Tensor> k_cache_, v_cache_;
  at::Tensor offset_, span_, seen_, band_, workspace_, inv_freq_;
};

}  // namespace

EngineResult Engine::generate(const std::vector<std::vector<int64_t>>& prompts, int64_t max_new_tokens) {
  const ModelConfig& c = model_.config();
  if (!model_.device().is_cuda()) throw Error("engine: the model must be on a CUDA device");
  if (model_.dtype() != at::kBFloat16 && model_.dtype() != at::kHalf)
    throw Error("engine: the kernels take bf16 or fp16 weights, the model is " + std::string(c10::toString(model_.dtype())));
  if (c.head_dim != 64 && c.head_dim != 128) throw Error("engine: head_dim must be 64 or 128");
  if (!model_.layer(0).qkv.defined() || !model_.layer(0).gate_up.defined())
    throw Error("engine: the model's projections are not fused (weights that require grad?)");
  if (prompts.empty()) return {};
  if (max_new_tokens < 1) throw Error("engine: max_new_tokens must be >= 1");
  int64_t longest = 0;
  for (const auto& p : prompts) {
    if (p.empty()) throw Error("engine: empty prompt");
    for (int64_t id : p)
      if (id < 0 || id >= c.vocab_size) throw Error("engine: token id " + std::to_string(id) + " outside the vocabulary");
    longest = std::max<int64_t>(longest, static_cast<int64_t>(p.size()));
  }
  const int64_t B = static_cast<int64_t>(prompts.size());
  const int64_t total = longest + max_new_tokens;
  EngineResult result;
  result.layout = options_.band_blocks.empty()
                      ? cache_layout_dense(static_cast<int>(c.num_layers), static_cast<int>(c.num_kv_heads),
                                           static_cast<int>(c.head_dim), total)
                      : cache_layout_moa(options_.band_blocks, static_cast<int>(c.head_dim), total);
  result.kv_bytes_per_sequence = result.layout.bytes_per_sequence();
  result.kv_bytes_dense_per_sequence = result.layout.dense_bytes_per_sequence();

  compat::NoGrad no_grad;
  const auto dev = model_.device();
  // Our own stream: graph capture needs a non-default one. Weights were copied on the default.
  c10::cuda::getCurrentCUDAStream(dev.index()).synchronize();
  c10::cuda::CUDAStreamGuard guard(c10::cuda::getStreamFromPool(false, dev.index()));
  auto stream = c10::cuda::getCurrentCUDAStream(dev.index());

  double t0 = now();
  EngineRun run(model_, result.layout, options_.band_blocks, B);
  const bool replicate = options_.replicate_first_prompt;
  for (int64_t b = 0; b < (replicate ? 1 : B); ++b) run.prefill(prompts[b], b);
  if (replicate) run.replicate_row0();
  auto tokens = at::empty({B, max_new_tokens}, at::TensorOptions().dtype(at::kLong).device(dev));
  tokens.select(1, 0).copy_(run.cur_ids_);
  stream.synchronize();
  result.prefill_seconds = now() - t0;

  t0 = now();
  std::vector<bool> done(B, false);
  const auto& stops = options_.stop_ids;
  auto stopped = [&](const at::Tensor& ids_dev) {  // a sync: only with stop ids
    auto host = ids_dev.to(at::kCPU);
    const int64_t* p = host.data_ptr<int64_t>();
    bool all = true;
    for (int64_t b = 0; b < B; ++b) {
      if (std::find(stops.begin(), stops.end(), p[b]) != stops.end()) done[b] = true;
      all = all && done[b];
    }
    return all;
  };
  int64_t produced = 1;
  bool finished = !stops.empty() && stopped(run.cur_ids_);
  std::unique_ptr<at::cuda::CUDAGraph> graph;
  for (int64_t step = 1; step < max_new_tokens && !finished; ++step) {
    // Step 1 runs eagerly (it also warms cuBLAS and the kernels' attributes up on this stream);
    // step 2 is captured, then every step replays the graph.
    if (!options_.cuda_graph || step == 1) {
      run.decode_step();
    } else {
      if (!graph) {
        const double c0 = now();
        graph = std::make_unique<at::cuda::CUDAGraph>();
        graph->capture_begin();
        run.decode_step();
        graph->capture_end();
        result.used_cuda_graph = true;
        result.graph_capture_seconds = now() - c0;
      }
      graph->replay();
    }
    tokens.select(1, step).copy_(run.cur_ids_);
    ++produced;
    ++result.decode_steps;
    if (!stops.empty()) finished = stopped(run.cur_ids_);
  }
  stream.synchronize();
  result.decode_seconds = now() - t0;

  auto host = tokens.narrow(1, 0, produced).to(at::kCPU).contiguous();
  result.tokens.resize(B);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t* p = host.data_ptr<int64_t>() + b * produced;
    for (int64_t s = 0; s < produced; ++s) {
      result.tokens[b].push_back(p[s]);
      if (std::find(stops.begin(), stops.end(), p[s]) != stops.end()) break;
    }
  }
  return result;
}

#endif

}  // namespace moa
