// Model benchmark: checkpoint load time, prefill and greedy-decode tokens/s with dense
// attention, on CPU or CUDA. Writes one JSON object (stdout or --out).
//   bench_model --model DIR [--device cuda] [--prefill 4096] [--decode 64] [--batch 1] [--band K] [--out f.json]
// --band K: MoA sink + band attention with K blocks for every KV head (MaskedSparseAttention).
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/compat/torch_compat.h"
#include "core/model/llama.h"
#include "core/runtime/generate.h"

namespace {
double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
void sync(const at::Device& d) {
  if (d.is_cuda()) at::empty({1}, at::TensorOptions().device(d)).cpu();  // waits for the stream
}
}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> a;
  for (int i = 1; i + 1 < argc; i += 2) a[std::string(argv[i]).substr(2)] = argv[i + 1];
  if (!a.count("model")) {
    std::cerr << "usage: bench_model --model DIR [--device cpu|cuda] [--prefill N] [--decode M] [--batch B] [--threads T] [--band K] [--out f.json]\n";
    return 2;
  }
  const int threads = a.count("threads") ? std::stoi(a["threads"]) : static_cast<int>(std::thread::hardware_concurrency());
  at::set_num_threads(threads);
  const at::Device dev(a.count("device") ? a["device"] : "cpu");
  const int64_t N = a.count("prefill") ? std::stoll(a["prefill"]) : 512, M = a.count("decode") ? std::stoll(a["decode"]) : 32,
                B = a.count("batch") ? std::stoll(a["batch"]) : 1;
  try {
    double t0 = now();
    auto ck = moa::Checkpoint::open(a["model"]);
    const double open_s = now() - t0;
    moa::LlamaModel model(ck, dev);
    sync(dev);
    const double load_s = now() - t0;
    moa::DenseAttention dense_attention;
    std::unique_ptr<moa::AttentionBackend> band_attention;
    if (a.count("band"))
      band_attention = std::make_unique<moa::MaskedSparseAttention>(
          std::vector<std::vector<int64_t>>(ck->config().num_layers,
                                            std::vector<int64_t>(ck->config().num_kv_heads, std::stoll(a["band"]))),
          true);
    moa::AttentionBackend& attention = band_attention ? *band_attention : dense_attention;
    std::vector<std::vector<int64_t>> prompts(B, std::vector<int64_t>(N));
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < N; ++i) prompts[b][i] = (i * 7919 + b * 104729 + 13) % ck->config().vocab_size;
    moa::GenerateOptions opt;
    opt.max_new_tokens = 2;
    moa::generate_greedy(model, prompts, attention, opt);  // warm-up
    opt.max_new_tokens = M;
    sync(dev);
    auto r = moa::generate_greedy(model, prompts, attention, opt);
    sync(dev);
    nlohmann::json j = {{"model", a["model"]}, {"device", dev.str()}, {"threads", threads}, {"batch", B},
                        {"prefill_tokens", N}, {"decode_tokens", M}, {"attention", attention.name()}, {"open_seconds", open_s}, {"load_seconds", load_s},
                        {"prefill_seconds", r.prefill_seconds}, {"decode_seconds", r.decode_seconds},
                        {"prefill_tokens_per_s", B * N / r.prefill_seconds},
                        {"decode_tokens_per_s", B * std::max<int64_t>(r.decode_steps, 1) / r.decode_seconds},
                        {"torch", std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR)}};
    if (a.count("out")) std::ofstream(a["out"]) << j.dump(1) << "\n";
    std::cout << j.dump() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "bench_model: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
