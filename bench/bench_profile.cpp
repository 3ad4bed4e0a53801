// Profiler benchmark (issue 5): seconds per sample and peak GPU memory of the fused profiler
// and of the naive autograd profiler that materialises attention (as the MoA reference
// does), against one forward+backward of the same model at the same length (flash SDPA,
// activations only: weights frozen, as in profiling), plain where it fits and with per-layer
// recompute (the fused profiler's passes without the influence kernel). One JSON object per line.
//   bench_profile --model DIR [--device cuda] [--lengths 2048,8192,16384,32768]
//                 [--naive-lengths 2048,4096,8192] [--out results.jsonl]
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "core/compat/torch_compat.h"
#include "core/profile/influence.h"
#ifdef MOA_TORCH_HAS_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

void sync(const at::Device& d) {
  if (d.is_cuda()) at::empty({1}, at::TensorOptions().device(d)).cpu();
}

void reset_peak(const at::Device& d) {
#ifdef MOA_TORCH_HAS_CUDA
  if (d.is_cuda()) {
    c10::cuda::CUDACachingAllocator::emptyCache();
    c10::cuda::CUDACachingAllocator::resetPeakStats(d.index());
  }
#endif
}

double peak_gib(const at::Device& d) {
#ifdef MOA_TORCH_HAS_CUDA
  if (d.is_cuda()) {
    const auto s = c10::cuda::CUDACachingAllocator::getDeviceStats(d.index());
    return static_cast<double>(s.allocated_bytes[0].peak) / (1ull << 30);
  }
#endif
  return 0;
}

std::vector<int64_t> parse(const std::string& s) {
  std::vector<int64_t> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, ',');) out.push_back(std::stoll(x));
  return out;
}

moa::InfluenceInput sample(int64_t N, int64_t vocab) {
  std::mt19937_64 rng(N);
  moa::InfluenceInput in;
  for (int64_t t = 0; t < N; ++t) in.ids.push_back(static_cast<int64_t>(rng() % vocab));
  in.answer_begin = N - 32;  // a LongEval-like short answer at the end
  in.answer_end = N;
  return in;
}

// One forward + backward of the answer loss through the whole graph (dense SDPA).
void forward_backward(const moa::LlamaModel& model, const moa::InfluenceInput& in) {
  const int64_t N = static_cast<int64_t>(in.ids.size());
  auto ids = at::tensor(in.ids, at::kLong).view({1, N}).to(model.device());
  auto pos = at::arange(N, at::TensorOptions().dtype(at::kLong).device(model.device())).view({1, N});
  moa::DenseAttention dense;
  moa::ForwardOptions fo;
  fo.return_hidden = true;
  model.embed_tokens().requires_grad_(true);  // something for backward to reach
  try {
    auto loss = moa::answer_loss(model, model.forward(ids, pos, nullptr, dense, fo), in);
    loss.backward();
  } catch (...) {
    model.embed_tokens().requires_grad_(false);
    throw;
  }
  model.embed_tokens().mutable_grad() = at::Tensor();
  model.embed_tokens().requires_grad_(false);
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> a;
  for (int i = 1; i + 1 < argc; i += 2) a[std::string(argv[i]).substr(2)] = argv[i + 1];
  if (!a.count("model")) {
    std::cerr << "usage: bench_profile --model DIR [--device cuda] [--lengths 8192,16384,32768] "
                 "[--naive-lengths 2048,4096,8192] [--out f.jsonl]\n";
    return 2;
  }
  at::Device dev(a.count("device") ? a["device"] : "cuda");
  if (dev.is_cuda() && !dev.has_index()) dev = at::Device(at::kCUDA, 0);
  const auto lengths = parse(a.count("lengths") ? a["lengths"] : "2048,8192,16384,32768");
  const auto naive_lengths = parse(a.count("naive-lengths") ? a["naive-lengths"] : "2048,4096,8192");
  std::ofstream out_file;
  if (a.count("out")) out_file.open(a["out"], std::ios::app);
  auto ck = moa::Checkpoint::open(a["model"]);
  moa::LlamaModel model(ck, dev);
  sync(dev);
  const auto& c = ck->config();
  std::string card = "cpu";
#ifdef MOA_TORCH_HAS_CUDA
  if (dev.is_cuda()) card = at::cuda::getDeviceProperties(dev.index())->name;
#endif

  auto measure = [&](const std::string& what, int64_t N, const std::function<double()>& fn) {
    nlohmann::json j = {{"bench", "profile"}, {"what", what}, {"tokens", N}, {"model", ck->name()},
                        {"layers", c.num_layers}, {"heads", c.num_heads}, {"kv_heads", c.num_kv_heads},
                        {"dtype", c10::toString(model.dtype())}, {"card", card}};
    reset_peak(dev);
    const double t0 = now();
    try {
      const double loss = fn();
      sync(dev);
      j["seconds"] = now() - t0;
      j["loss"] = loss;
      j["status"] = "ok";
    } catch (const std::exception& e) {
      const std::string msg = e.what();
      j["status"] = msg.find("out of memory") != std::string::npos ? "OOM" : "error";
      j["error"] = msg.substr(0, 300);
    }
    j["peak_gib"] = peak_gib(dev);
    reset_peak(dev);
    std::cout << j.dump() << std::endl;
    if (out_file) out_file << j.dump() << std::endl;
  };
  auto fused = [&](int64_t N) { return [&, N] { return moa::influence_fused(model, sample(N, c.vocab_size)).loss; }; };
  auto naive = [&](int64_t N) {
    return [&, N] { return moa::influence_reference(model, sample(N, c.vocab_size), false).loss; };
  };
  auto recompute_fwd_bwd = [&](int64_t N) {
    return [&, N] { return moa::influence_fused(model, sample(N, c.vocab_size), {}, false).loss; };
  };
  auto fwd_bwd = [&](int64_t N) {
    return [&, N] {
      forward_backward(model, sample(N, c.vocab_size));
      return 0.0;
    };
  };
  // Warm-up (cuBLAS handles, kernel selection) at a short length, not reported.
  fused(1024)();
  fwd_bwd(1024)();
  sync(dev);
  for (int64_t N : lengths) {
    measure("forward_backward", N, fwd_bwd(N));
    measure("forward_backward_recompute", N, recompute_fwd_bwd(N));
    measure("fused", N, fused(N));
  }
  for (int64_t N : naive_lengths) measure("naive", N, naive(N));
  return 0;
}
