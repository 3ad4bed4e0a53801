// Timing of the influence kernel alone (kernels/moa_influence.cuh), CUDA-core vs tensor-core
// implementation in the same run: Llama-3-8B attention shape (Hq=32, Hkv=8, D=128, bf16), one
// layer of one sample per call. CUDA events, warm-up, median. One JSON object per line on stdout.
//   bench_influence [N ...]   (default 8192 16384 32768)
// FLOPs: 4·D per causal (query, key) pair (S = QK^T and dP = dO V^T, 2 FLOPs per multiply-add).
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "kernels/device.cuh"
#include "kernels/moa_influence.cuh"
#include "bench_cuda_util.h"

using namespace moa::kernels;
using moa::bench::median_ms;
using Buf = moa::bench::DeviceBuffer;

namespace {

void fill_f32(void* dst, const std::vector<float>& host) {
  check_cuda(cudaMemcpy(dst, host.data(), host.size() * 4, cudaMemcpyHostToDevice), "fill");
}

}  // namespace

int main(int argc, char** argv) {
  if (device_count() == 0) {
    std::fprintf(stderr, "no CUDA GPU\n");
    return 0;
  }
  std::vector<int64_t> lengths;
  for (int i = 1; i < argc; ++i) lengths.push_back(std::atoll(argv[i]));
  if (lengths.empty()) lengths = {8192, 16384, 32768};
  const int hq = 32, hkv = 8, d = 128, layers = 32;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const std::string device = device_info(0).name;
  for (const int64_t n : lengths) {
    const int64_t nb = (n + 63) / 64;
    const size_t q_elems = size_t(hq) * n * d, kv_elems = size_t(hkv) * n * d;
    Buf q(q_elems * 2), g(q_elems * 2), k(kv_elems * 2), v(kv_elems * 2), lse(size_t(hq) * n * 4),
        delta(size_t(hq) * n * 4), out_cc(size_t(hq) * nb * nb * 4), out_tc(size_t(hq) * nb * nb * 4);
    moa::bench::fill_bf16_random(q.p, q_elems, 1, 0x3e80, 0x7f);  // ±[0.25, 0.5)
    moa::bench::fill_bf16_random(g.p, q_elems, 2, 0x3e80, 0x7f);  // ±[0.25, 0.5)
    moa::bench::fill_bf16_random(k.p, kv_elems, 3, 0x3e80, 0x7f);  // ±[0.25, 0.5)
    moa::bench::fill_bf16_random(v.p, kv_elems, 4, 0x3e80, 0x7f);  // ±[0.25, 0.5)
    // Plausible statistics: lse ≈ log(row length) + a margin (P stays below 1), small delta.
    std::vector<float> h_lse(size_t(hq) * n), h_delta(size_t(hq) * n);
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-0.5f, 0.5f);
    for (size_t i = 0; i < h_lse.size(); ++i) {
      h_lse[i] = std::log(static_cast<float>(i % n + 1)) + 2.0f;
      h_delta[i] = u(rng);
    }
    fill_f32(lse.p, h_lse);
    fill_f32(delta.p, h_delta);
    InfluenceShape shape;
    shape.heads_q = hq;
    shape.heads_kv = hkv;
    shape.tokens = n;
    shape.head_dim = d;
    auto call = [&](InfluenceImpl impl, void* out) {
      influence_blocks(q.p, k.p, v.p, g.p, static_cast<const float*>(lse.p), static_cast<const float*>(delta.p),
                       static_cast<float*>(out), shape, InfluenceDType::BF16, scale, nullptr, impl);
    };
    const double pairs = 0.5 * static_cast<double>(n) * static_cast<double>(n + 1) * hq;
    double ms[2] = {0, 0};
    const InfluenceImpl impls[2] = {InfluenceImpl::cuda_cores, InfluenceImpl::tensor_cores};
    const char* names[2] = {"cuda_cores", "tensor_cores"};
    for (int i = 0; i < 2; ++i) {
      // The CUDA-core kernel takes ~0.5 s per call at 32k: fewer repetitions there.
      const bool slow = impls[i] == InfluenceImpl::cuda_cores && n > 8192;
      ms[i] = median_ms([&](int) { call(impls[i], i == 0 ? out_cc.p : out_tc.p); }, slow ? 1 : 2, slow ? 3 : 10);
      std::printf("{\"bench\": \"influence\", \"device\": \"%s\", \"impl\": \"%s\", \"n\": %lld, \"hq\": %d, \"hkv\": %d, "
                  "\"d\": %d, \"dtype\": \"bf16\", \"ms\": %.3f, \"tflops\": %.1f, \"s_per_sample_32_layers\": %.3f}\n",
                  device.c_str(), names[i], static_cast<long long>(n), hq, hkv, d, ms[i],
                  4.0 * d * pairs / (ms[i] * 1e-3) / 1e12, ms[i] * layers / 1e3);
      std::fflush(stdout);
    }
    // The two implementations on the same inputs: relative difference of the totals and the
    // worst block relative to the largest block.
    std::vector<float> a(size_t(hq) * nb * nb), b(a.size());
    check_cuda(cudaMemcpy(a.data(), out_cc.p, a.size() * 4, cudaMemcpyDeviceToHost), "download");
    check_cuda(cudaMemcpy(b.data(), out_tc.p, b.size() * 4, cudaMemcpyDeviceToHost), "download");
    double sa = 0, sb = 0, worst = 0, biggest = 0;
    size_t nonfinite = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!std::isfinite(a[i]) || !std::isfinite(b[i])) {
        ++nonfinite;
        continue;
      }
      sa += a[i];
      sb += b[i];
      worst = std::max(worst, std::abs(double(a[i]) - b[i]));
      biggest = std::max(biggest, std::abs(double(a[i])));
    }
    std::printf("{\"bench\": \"influence\", \"n\": %lld, \"speedup\": %.2f, \"total_rel_diff\": %.2e, "
                "\"max_block_diff_rel_to_max\": %.2e, \"nonfinite\": %zu}\n",
                static_cast<long long>(n), ms[0] / ms[1], std::abs(sb / sa - 1.0), worst / std::max(biggest, 1e-30),
                nonfinite);
    std::fflush(stdout);
  }
  return 0;
}
