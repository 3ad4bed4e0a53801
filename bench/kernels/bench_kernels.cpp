// Timing of the MoA kernels on the GPU (CUDA events, warm-up, median of many runs, inputs rotated
// between two sets so repeated runs do not hit L2). Writes JSON to $OUT/kernels.json (or argv[1]).
// FLOPs count kept (query, key) pairs x 4·D (QK^T and PV); decode bytes count the K/V slots read.
// Environment (all optional; lists are comma-separated): MOA_BENCH_PREFILL_N (8192,32768),
// MOA_BENCH_RHO (1,0.5,0.25), MOA_BENCH_BANDS (extra plans, one band for every KV head),
// MOA_BENCH_IMPLS (mma_sync,wgmma,wgmma_2cta,wgmma_ws,wgmma_tma,automatic), MOA_BENCH_REPEATS
// (timings of `automatic`, default 5), MOA_BENCH_NO_DECODE, MOA_BENCH_DECODE_CHUNKS;
// MOA_BENCH_NO_WGMMA / _NO_WS / _NO_TMA leave out implementations whose tests failed.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "kernels/device.cuh"
#include "kernels/moa_cache.cuh"
#include "kernels/moa_decode.cuh"
#include "kernels/moa_prefill.cuh"
#include "bench_cuda_util.h"
#include "plans.h"

using namespace moa::kernels;
using moa::bench::BenchPlan;
using Buf = moa::bench::DeviceBuffer;
using moa::bench::median_ms;

namespace {

// ±[0.5, 2): the magnitudes the prefill/decode tests use.
void fill_random(void* dst, size_t elems, unsigned seed) { moa::bench::fill_bf16_random(dst, elems, seed, 0x3f00, 0xff); }

double copy_bandwidth_gbs() {
  const size_t bytes = size_t(1) << 30;
  Buf x(bytes), y(bytes);
  check_cuda(cudaMemset(x.p, 1, bytes), "memset");
  const double ms = median_ms([&](int) { check_cuda(cudaMemcpyAsync(y.p, x.p, bytes, cudaMemcpyDeviceToDevice), "copy"); }, 3, 20);
  return 2.0 * bytes / (ms * 1e-3) / 1e9;  // read + write
}


// Comma-separated filter from the environment (for sweeps, e.g. bench/kernels/l2_sweep.sh): unset or
// empty keeps everything.
bool env_allows(const char* var, const std::string& item) {
  const char* e = std::getenv(var);
  if (!e || !*e) return true;
  const std::string list = std::string(",") + e + ",";
  return list.find("," + item + ",") != std::string::npos;
}

}  // namespace

int main(int argc, char** argv) {
  if (device_count() == 0) {
    std::fprintf(stderr, "no CUDA GPU\n");
    return 0;
  }
  const char* out_dir = std::getenv("OUT");
  const std::string path = argc > 1 ? argv[1] : std::string(out_dir ? out_dir : ".") + "/kernels.json";
  const DeviceInfo info = device_info(0);
  std::string json = "{\n  \"device\": \"" + info.name + "\",\n";
  const double copy_gbs = copy_bandwidth_gbs();
  json += "  \"copy_bandwidth_gbs\": " + std::to_string(copy_gbs) + ",\n  \"prefill\": [\n";
  std::printf("device %s, copy bandwidth %.0f GB/s\n", info.name.c_str(), copy_gbs);

  // ---- prefill: bf16, D=128, 32 q / 8 kv heads, B=1 ----
  const int hq = 32, hkv = 8, d = 128;
  bool first = true;
  for (int n : {8192, 32768}) {
    if (!env_allows("MOA_BENCH_PREFILL_N", std::to_string(n))) continue;
    const size_t q_elems = size_t(hq) * n * d, kv_elems = size_t(hkv) * n * d;
    Buf q0(q_elems * 2), q1(q_elems * 2), k0(kv_elems * 2), k1(kv_elems * 2), v0(kv_elems * 2), v1(kv_elems * 2),
        o(q_elems * 2), lse(size_t(hq) * n * 4), band(hkv * 4);
    fill_random(q0.p, q_elems, 1);
    fill_random(q1.p, q_elems, 2);
    fill_random(k0.p, kv_elems, 3);
    fill_random(k1.p, kv_elems, 4);
    fill_random(v0.p, kv_elems, 5);
    fill_random(v1.p, kv_elems, 6);
    std::vector<std::pair<double, BenchPlan>> plans;  // (rho, plan)
    for (double rho : {1.0, 0.5, 0.25}) {
      char rho_name[16];
      std::snprintf(rho_name, sizeof rho_name, "%g", rho);  // MOA_BENCH_RHO=1,0.5,0.25
      if (env_allows("MOA_BENCH_RHO", rho_name)) plans.emplace_back(rho, moa::bench::make_plan(rho, hkv, n));
    }
    // MOA_BENCH_BANDS=2,4,8,...: plans with one band for every KV head, to see the cost of an item
    // (query tile, head) against its length in tiles.
    if (const char* bands = std::getenv("MOA_BENCH_BANDS"))
      for (const char* c = bands; *c;) {
        char* end = nullptr;
        const long k = std::strtol(c, &end, 10);
        if (end == c || k < 1 || (*end != ',' && *end != '\0')) {
          std::fprintf(stderr, "MOA_BENCH_BANDS: expected positive integers separated by commas, got '%s'\n", bands);
          return 2;
        }
        const BenchPlan plan = moa::bench::uniform_plan(static_cast<int>(k), hkv, n);
        plans.emplace_back(plan.density, plan);
        c = *end == ',' ? end + 1 : end;
      }
    for (const auto& [rho, plan] : plans) {
      check_cuda(cudaMemcpy(band.p, plan.band_blocks.data(), hkv * 4, cudaMemcpyHostToDevice), "band");
      PrefillArgs a;
      a.k = k0.p;
      a.out = o.p;
      a.lse = static_cast<float*>(lse.p);
      a.band_blocks = static_cast<const int32_t*>(band.p);
      a.layout_heads_are_kv = true;
      a.num_q_heads = hq;
      a.num_kv_heads = hkv;
      a.seq_len = n;
      a.head_dim = d;
      a.scale = 1.0f / std::sqrt(static_cast<float>(d));
      const int reps = n > 16384 ? 10 : 30;
      // Every implementation once (tests check each against the reference), then what callers get
      // (`automatic`) MOA_BENCH_REPEATS times (default 5): "ms" is the median of those, not the
      // fastest of anything — two timings of one kernel differ by 2-12% within a call.
      std::string impl_json;
      std::string impl_line;  // the wgmma variants, printed on the summary line
      std::vector<std::pair<std::string, double>> timed;  // every implementation timed once
      auto time_impl = [&](PrefillImpl impl) {
        a.impl = impl;
        return median_ms([&](int i) {
          a.q = i & 1 ? q1.p : q0.p;
          a.k = i & 1 ? k1.p : k0.p;
          a.v = i & 1 ? v1.p : v0.p;
          moa_prefill(a, nullptr);
        }, 3, reps);
      };
      for (auto [impl, name] : {std::pair{PrefillImpl::mma_sync, "mma_sync"}, std::pair{PrefillImpl::wgmma, "wgmma"},
                                std::pair{PrefillImpl::wgmma_2cta, "wgmma_2cta"},
                                std::pair{PrefillImpl::wgmma_ws, "wgmma_ws"}, std::pair{PrefillImpl::wgmma_tma, "wgmma_tma"}}) {
        if (impl != PrefillImpl::mma_sync && std::getenv("MOA_BENCH_NO_WGMMA")) continue;  // tests failed there
        if (impl == PrefillImpl::wgmma_ws && std::getenv("MOA_BENCH_NO_WS")) continue;     // its tests failed
        if (impl == PrefillImpl::wgmma_tma && std::getenv("MOA_BENCH_NO_TMA")) continue;   // its tests failed
        if (!env_allows("MOA_BENCH_IMPLS", name)) continue;
        const double t = time_impl(impl);
        timed.emplace_back(name, t);
        impl_json += std::string(impl_json.empty() ? "" : ", ") + "\"" + name + "\": " + std::to_string(t);
        if (impl != PrefillImpl::mma_sync) {
          char buf[48];
          std::snprintf(buf, sizeof buf, " %s %.3f", name, t);
          impl_line += buf;
        }
        std::printf("  prefill N=%d %s %s: %.3f ms\n", n, plan.name.c_str(), name, t);
      }
      const char* rep_env = std::getenv("MOA_BENCH_REPEATS");
      const int repeats = std::max(1, rep_env ? std::atoi(rep_env) : 5);
      std::vector<double> samples;
      if (env_allows("MOA_BENCH_IMPLS", "automatic"))
        for (int r = 0; r < repeats; ++r) samples.push_back(time_impl(PrefillImpl::automatic));
      // Without `automatic` (MOA_BENCH_IMPLS left it out) the case is still recorded: "ms" is then
      // the fastest implementation timed, named in "impl".
      std::string best = "automatic";
      double ms = 0;
      if (samples.empty()) {
        ms = 1e30;
        for (const auto& [name, t] : timed)
          if (t < ms) {
            ms = t;
            best = name;
          }
        if (ms >= 1e30) continue;  // nothing timed for this case
      } else {
        std::vector<double> sorted = samples;
        std::sort(sorted.begin(), sorted.end());
        const size_t m = sorted.size();
        ms = m % 2 ? sorted[m / 2] : 0.5 * (sorted[m / 2 - 1] + sorted[m / 2]);
        impl_json += std::string(impl_json.empty() ? "" : ", ") + "\"automatic\": " + std::to_string(ms);
        char buf[96];
        std::snprintf(buf, sizeof buf, " automatic median %.3f [%.3f, %.3f]", ms, sorted.front(), sorted.back());
        impl_line += buf;
      }
      std::string sample_json;
      for (double t : samples) sample_json += std::string(sample_json.empty() ? "" : ", ") + std::to_string(t);
      double pairs = 0;
      for (int kb : plan.band_blocks) pairs += moa::bench::kept_pairs(n, kb) * (hq / hkv);
      const double tflops = 4.0 * d * pairs / (ms * 1e-3) / 1e12;
      std::printf("prefill N=%-6d %-12s density %.3f work %.3f  %8.3f ms  %6.1f TFLOP/s (%s) |%s\n", n, plan.name.c_str(),
                  plan.density, plan.work_fraction, ms, tflops, best.c_str(), impl_line.c_str());
      std::string bands;
      for (size_t i = 0; i < plan.band_blocks.size(); ++i) {
        if (i) bands.push_back(',');
        bands.append(std::to_string(plan.band_blocks[i]));
      }
      json += std::string(first ? "" : ",\n") + "    {\"n\": " + std::to_string(n) + ", \"plan\": \"" + plan.name +
              "\", \"rho\": " + std::to_string(rho) + ", \"density\": " + std::to_string(plan.density) +
              ", \"work_fraction\": " + std::to_string(plan.work_fraction) + ", \"band_blocks\": [" + bands +
              "], \"ms\": " + std::to_string(ms) + ", \"ms_samples\": [" + sample_json + "], \"impl\": \"" + best +
              "\", \"impl_ms\": {" + impl_json +
              "}, \"tflops\": " + std::to_string(tflops) + "}";
      first = false;
    }
  }
  json += "\n  ],\n  \"decode\": [\n";

  // ---- decode: bf16, D=128, 32 q / 8 kv heads; spans = N * head fraction (sink included) ----
  first = true;
  // The last case has the spans of `moa bench e2e --density 0.5 --spread 0.3` at a batch that fills
  // an H200 (fractions 0.2 / 0.8 / 0.4 / 0.6 cycling over the KV heads, N = 8192 + 64): one layer of
  // that decode step, heterogeneous spans at large batch.
  struct DecodeCfg { int batch, n; double rho; std::vector<double> fractions; };
  const std::vector<DecodeCfg> decode_cases = {
      {8, 32768, 1.0, {}}, {8, 32768, 0.5, {}}, {32, 8192, 1.0, {}}, {32, 8192, 0.5, {}}, {64, 4096, 0.5, {}},
      {236, 8256, 0.5, {0.2, 0.8, 0.4, 0.6}}};
  // MOA_BENCH_DECODE_CHUNKS=0,2048,...: time each case with these chunk sizes (0 = the kernel's rule).
  std::vector<int> chunk_list{0};
  if (const char* e = std::getenv("MOA_BENCH_DECODE_CHUNKS"); e && *e) {
    chunk_list.clear();
    for (const char* c = e; *c;) {
      const int chunk = std::atoi(c);
      if (chunk < 0 || chunk % 128) {  // the kernel's quantum: refuse here, before any timing
        std::fprintf(stderr, "MOA_BENCH_DECODE_CHUNKS: %d is not 0 or a multiple of 128\n", chunk);
        return 2;
      }
      chunk_list.push_back(chunk);
      while (*c && *c != ',') ++c;
      if (*c == ',') ++c;
    }
  }
  for (const DecodeCfg& c : decode_cases) {
    if (std::getenv("MOA_BENCH_NO_DECODE")) break;
    const auto f = c.fractions.empty() ? moa::bench::head_fractions(c.rho) : c.fractions;
    std::vector<int32_t> span(hkv), offset(hkv);
    int total = 0, max_span = 0;
    for (int h = 0; h < hkv; ++h) {
      span[h] = std::max(128, static_cast<int>(std::lround(f[h % f.size()] * c.n)));
      offset[h] = total;
      total += span[h];
      max_span = std::max(max_span, span[h]);
    }
    const size_t cache_elems = size_t(c.batch) * total * d;
    Buf kc(cache_elems * 2), vc(cache_elems * 2), q(size_t(c.batch) * hq * d * 2), o(size_t(c.batch) * hq * d * 2),
        doff(hkv * 4), dspan(hkv * 4), dseen(size_t(c.batch) * hkv * 4);
    fill_random(kc.p, cache_elems, 11);
    fill_random(vc.p, cache_elems, 12);
    fill_random(q.p, size_t(c.batch) * hq * d, 13);
    std::vector<int32_t> seen(size_t(c.batch) * hkv, c.n);  // every span full: bytes = whole cache
    check_cuda(cudaMemcpy(doff.p, offset.data(), hkv * 4, cudaMemcpyHostToDevice), "off");
    check_cuda(cudaMemcpy(dspan.p, span.data(), hkv * 4, cudaMemcpyHostToDevice), "span");
    check_cuda(cudaMemcpy(dseen.p, seen.data(), seen.size() * 4, cudaMemcpyHostToDevice), "seen");
    DecodeArgs a;
    a.q = q.p;
    a.k_cache = kc.p;
    a.v_cache = vc.p;
    a.out = o.p;
    a.head_offset = static_cast<const int32_t*>(doff.p);
    a.head_span = static_cast<const int32_t*>(dspan.p);
    a.seen = static_cast<const int32_t*>(dseen.p);
    a.batch = c.batch;
    a.num_q_heads = hq;
    a.num_kv_heads = hkv;
    a.head_dim = d;
    a.total_slots = total;
    a.max_span = max_span;
    a.scale = 1.0f / std::sqrt(static_cast<float>(d));
    for (const int chunk : chunk_list) {
      a.chunk_slots = chunk;
      const size_t ws_bytes = moa_decode_workspace_bytes(a);
      Buf ws(std::max<size_t>(ws_bytes, 16));
      a.workspace = ws.p;
      a.workspace_bytes = ws_bytes;
      const double ms = median_ms([&](int) { moa_decode(a, nullptr); }, 3, 50);
      const double bytes = 2.0 * cache_elems * 2;  // K and V, every slot valid
      const double gbs = bytes / (ms * 1e-3) / 1e9;
      std::printf("decode  B=%-3d N=%-6d rho %.2f%s  cache %7.1f MB  %8.4f ms  %6.0f GB/s  %.0f%% of copy", c.batch, c.n,
                  c.rho, c.fractions.empty() ? "" : " (e2e spans)", bytes / 1e6, ms, gbs, 100.0 * gbs / copy_gbs);
      if (chunk) std::printf("  chunk %d", chunk);
      std::printf("\n");
      json += std::string(first ? "" : ",\n") + "    {\"batch\": " + std::to_string(c.batch) + ", \"n\": " +
              std::to_string(c.n) + ", \"rho\": " + std::to_string(c.rho) + ", \"e2e_spans\": " +
              (c.fractions.empty() ? "false" : "true") + ", \"chunk_slots\": " + std::to_string(chunk) +
              ", \"bytes\": " + std::to_string(bytes) + ", \"ms\": " + std::to_string(ms) + ", \"gbs\": " +
              std::to_string(gbs) + ", \"fraction_of_copy\": " + std::to_string(gbs / copy_gbs) + "}";
      first = false;
    }
  }
  json += "\n  ]\n}\n";
  FILE* fp = std::fopen(path.c_str(), "w");
  if (fp) {
    std::fputs(json.c_str(), fp);
    std::fclose(fp);
  }
  std::printf("wrote %s\n", path.c_str());
  return 0;
}
