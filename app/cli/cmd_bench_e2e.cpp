// moa bench e2e: end-to-end decode throughput of the CUDA engine, MoA and dense, at the largest
// batch that fits (or a given one), with the bandwidth roofline measured in the same run:
// bytes per decode step = weights + the K/V the decode kernel reads, over the card's measured
// device-to-device copy bandwidth.
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include "app/cli/command.h"
#include "core/compat/torch_compat.h"
#include "core/model/llama.h"
#include "core/plan/plan.h"
#include "core/plan/plan_io.h"
#include "core/runtime/engine.h"
#include "core/util/error.h"
#include "core/util/files.h"

#ifdef MOA_TORCH_HAS_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <cuda_runtime.h>
#endif

namespace {

using json = nlohmann::json;

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Random bf16 weights straight on the GPU (std 0.02 as transformers' init, norms = 1): the
// same bytes move as with a checkpoint, without 16 GB of disk and load time.
moa::LlamaModel random_model(const moa::ModelConfig& c, uint64_t seed, const at::Device& dev) {
  at::manual_seed(seed);
  const auto opt = at::TensorOptions().dtype(at::kBFloat16).device(dev);
  std::map<std::string, at::Tensor> w;
  auto normal = [&](std::vector<int64_t> shape) { return at::randn(shape, opt) * 0.02; };
  const int64_t H = c.hidden_size, I = c.intermediate_size, Q = c.num_heads * c.head_dim, K = c.num_kv_heads * c.head_dim;
  w["model.embed_tokens.weight"] = normal({c.vocab_size, H});
  w["model.norm.weight"] = at::ones({H}, opt);
  if (!c.tie_word_embeddings) w["lm_head.weight"] = normal({c.vocab_size, H});
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    w[p + "input_layernorm.weight"] = at::ones({H}, opt);
    w[p + "post_attention_layernorm.weight"] = at::ones({H}, opt);
    // q|k|v and gate|up made as one matrix each, as the model holds them on a GPU (LlamaModel::Layer):
    // it then views them in place instead of copying.
    const auto qkv = normal({Q + 2 * K, H}), gate_up = normal({2 * I, H});
    w[p + "self_attn.q_proj.weight"] = qkv.narrow(0, 0, Q);
    w[p + "self_attn.k_proj.weight"] = qkv.narrow(0, Q, K);
    w[p + "self_attn.v_proj.weight"] = qkv.narrow(0, Q + K, K);
    w[p + "self_attn.o_proj.weight"] = normal({H, Q});
    w[p + "mlp.gate_proj.weight"] = gate_up.narrow(0, 0, I);
    w[p + "mlp.up_proj.weight"] = gate_up.narrow(0, I, I);
    w[p + "mlp.down_proj.weight"] = normal({H, I});
  }
  return moa::LlamaModel(c, w);
}

// Bytes of weights one decode step reads (everything but the embedding table, of which it
// reads B rows; with tied embeddings the table is the LM head and is read whole).
int64_t weight_bytes_per_step(const moa::LlamaModel& m) {
  int64_t b = m.lm_head().numel() * m.lm_head().element_size() + m.final_norm().numel() * 2;
  for (int64_t l = 0; l < m.config().num_layers; ++l) {
    const auto& w = m.layer(static_cast<int>(l));
    for (const auto* t : {&w.input_norm, &w.q, &w.k, &w.v, &w.o, &w.post_norm, &w.gate, &w.up, &w.down})
      b += t->numel() * t->element_size();
  }
  return b;
}

// Device-to-device copy bandwidth (bytes read + written per second), median of 5 x 10 copies.
double copy_bandwidth(const at::Device& dev) {
  const int64_t n = int64_t(1) << 31;  // 2 GiB each way
  auto src = at::randint(0, 255, {n}, at::TensorOptions().dtype(at::kByte).device(dev));
  auto dst = at::empty_like(src);
  dst.copy_(src);
  (void)dst[0].item<uint8_t>();
  std::vector<double> rates;
  for (int r = 0; r < 5; ++r) {
    const double t0 = now();
    for (int i = 0; i < 10; ++i) dst.copy_(src);
    (void)dst[0].item<uint8_t>();  // synchronises the stream
    rates.push_back(2.0 * n * 10 / (now() - t0));
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

int64_t free_device_bytes() {
#ifdef MOA_TORCH_HAS_CUDA
  c10::cuda::CUDACachingAllocator::emptyCache();
  size_t free = 0, total = 0;
  if (cudaMemGetInfo(&free, &total) != cudaSuccess) throw moa::Error("cudaMemGetInfo failed");
  return static_cast<int64_t>(free);
#else
  return 0;
#endif
}

// Per-KV-head fractions of the blocks, mean `density`: heads alternate density -/+ spread (and
// -/+ spread/3), a heterogeneous plan with the given mean. spread 0 = uniform.
std::vector<std::vector<int64_t>> density_band(const moa::ModelConfig& c, double density, double spread, int64_t total) {
  const double offsets[] = {-1.0, 1.0, -1.0 / 3, 1.0 / 3};
  const int64_t blocks = (total + 63) / 64;
  std::vector<std::vector<int64_t>> band(c.num_layers, std::vector<int64_t>(c.num_kv_heads));
  for (int64_t l = 0; l < c.num_layers; ++l)
    for (int64_t h = 0; h < c.num_kv_heads; ++h) {
      const double f = std::clamp(density + spread * offsets[(l + h) % 4], 0.0, 1.0);
      band[l][h] = std::max<int64_t>(1, std::llround(f * blocks) - 1);
    }
  return band;
}

int run_bench_e2e(const moa::cli::Args& args) {
  args.allow_only({"model", "shape", "random-seed", "plan", "density", "spread", "prompt-lengths", "new-tokens",
                   "batch", "max-batch", "modes", "out", "batch-cap", "no-graph"});
  if (!moa::Engine::available()) throw moa::Error("bench e2e needs the CUDA engine (CUDA LibTorch + kernels + a GPU)");
  moa::compat::NoGrad no_grad;
  const at::Device dev(at::kCUDA, 0);
  std::unique_ptr<moa::LlamaModel> model;
  std::string source;
  if (args.has("model")) {
    model = std::make_unique<moa::LlamaModel>(moa::Checkpoint::open(args.get("model")), dev, at::kBFloat16);
    source = args.get("model");
  } else {
    const auto cfg = moa::config_preset(args.get("shape", "llama3-8b"));
    const uint64_t seed = static_cast<uint64_t>(args.get_int("random-seed", 8));
    model = std::make_unique<moa::LlamaModel>(random_model(cfg, seed, dev));
    source = "random bf16 " + args.get("shape", "llama3-8b") + " seed " + std::to_string(seed);
  }
  const auto& c = model->config();
  const auto lengths = moa::cli::parse_int_list(args.get("prompt-lengths", "4096,8192,16384"), "--prompt-lengths");
  const int64_t new_tokens = args.get_int("new-tokens", 64);
  const auto modes = args.get("modes", "moa,dense");
  std::optional<moa::Plan> plan;
  if (args.has("plan")) plan = moa::plan_read(args.get("plan"));
  const double density = args.get_double("density", 0.5), spread = args.get_double("spread", 0.0);
  const int64_t cap = args.get_int("batch-cap", 1024);

  const double bw = copy_bandwidth(dev);
  const int64_t wbytes = weight_bytes_per_step(*model);
  json out = {{"model", source}, {"copy_bandwidth_bytes_per_s", bw}, {"weight_bytes_per_step", wbytes},
              {"new_tokens", new_tokens}, {"runs", json::array()}};
  std::cerr << "copy bandwidth " << bw / 1e12 << " TB/s, weights " << wbytes / 1e9 << " GB\n";

  for (long long N : lengths) {
    const int64_t total = N + new_tokens;
    for (const char* mode_name : {"moa", "dense"}) {
      const std::string mode = mode_name;
      if (modes.find(mode) == std::string::npos) continue;
      moa::EngineOptions eo;
      eo.replicate_first_prompt = true;
      eo.cuda_graph = !args.has("no-graph");
      std::string plan_name = "dense";
      if (mode == "moa") {
        if (plan) {
          eo.band_blocks = moa::kv_band_blocks(moa::plan_band_blocks(*plan, total), static_cast<int>(c.num_kv_heads));
          plan_name = args.get("plan");
        } else {
          eo.band_blocks = density_band(c, density, spread, total);
          plan_name = "density " + std::to_string(density) + " spread " + std::to_string(spread);
        }
      }
      const auto layout = eo.band_blocks.empty()
                              ? moa::cache_layout_dense(c.num_layers, c.num_kv_heads, c.head_dim, total)
                              : moa::cache_layout_moa(eo.band_blocks, c.head_dim, total);
      const int64_t per_seq = layout.bytes_per_sequence();
      // Prefill of one sequence (activations of N tokens, MLP-sized) plus a margin for the
      // decode step's temporaries and the graph's pool.
      const int64_t reserve = N * (6 * c.hidden_size + 4 * c.intermediate_size) * 2 + (int64_t(3) << 30);
      int64_t B = args.get_int("batch", 1);
      if (args.has("max-batch")) B = std::clamp<int64_t>((free_device_bytes() - reserve) / per_seq, 1, cap);
      std::mt19937_64 rng(static_cast<uint64_t>(N));
      std::vector<int64_t> prompt(N);
      for (auto& t : prompt) t = static_cast<int64_t>(rng() % c.vocab_size);
      for (int attempt = 0; attempt < 6; ++attempt) {
        try {
          std::vector<std::vector<int64_t>> prompts(B, prompt);
          auto r = moa::Engine(*model, eo).generate(prompts, new_tokens);
          const double steady = r.decode_seconds - r.graph_capture_seconds;
          const double step_s = steady / std::max<int64_t>(1, r.decode_steps);
          const int64_t kv_read = B * layout.bytes_read_per_sequence(N + new_tokens / 2);
          const double roofline_s = static_cast<double>(wbytes + kv_read) / bw;
          json run = {{"mode", mode}, {"plan", plan_name}, {"prompt_tokens", N}, {"batch", B},
                      {"kv_bytes_per_sequence", r.kv_bytes_per_sequence},
                      {"kv_dense_bytes_per_sequence", r.kv_bytes_dense_per_sequence},
                      {"kv_ratio_vs_dense", double(r.kv_bytes_per_sequence) / r.kv_bytes_dense_per_sequence},
                      {"prefill_seconds_one_sequence", r.prefill_seconds}, {"decode_seconds", r.decode_seconds},
                      {"graph_capture_seconds", r.graph_capture_seconds}, {"decode_steps", r.decode_steps},
                      {"cuda_graph", r.used_cuda_graph},
                      {"decode_tokens_per_s", B * r.decode_steps / r.decode_seconds},
                      {"decode_tokens_per_s_steady", B / step_s}, {"step_ms", step_s * 1e3},
                      {"kv_bytes_read_per_step", kv_read}, {"roofline_step_ms", roofline_s * 1e3},
                      {"roofline_fraction", roofline_s / step_s}};
          out["runs"].push_back(run);
          std::cout << run.dump() << std::endl;
          break;
        } catch (const c10::Error& e) {
          const std::string what = e.what();
          if (what.find("out of memory") == std::string::npos || B == 1) throw;
          std::cerr << mode << " N=" << N << " batch " << B << ": out of memory, retrying smaller\n";
          B = std::max<int64_t>(1, B * 85 / 100);
        }
      }
    }
  }
  if (args.has("out")) moa::write_file_atomic(args.get("out"), out.dump(1) + "\n");
  return 0;
}

moa::cli::Register reg_bench_e2e({"bench e2e", "end-to-end decode throughput of the CUDA engine, MoA vs dense, with roofline",
                                  "(--model DIR | --shape llama3-8b [--random-seed 8]) [--plan P | --density 0.5 "
                                  "[--spread 0.3]] --prompt-lengths 4096,8192,16384 --new-tokens 64 "
                                  "[--batch B | --max-batch] [--modes moa,dense] [--out e2e.json] [--no-graph]",
                                  run_bench_e2e, {"max-batch", "no-graph"}});

}  // namespace
