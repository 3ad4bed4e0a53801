// moa generate: greedy generation from a prompt, dense or with a MoA plan, on the CUDA engine
// (core/runtime/engine.h) or, on CPU, the masked reference path (generate_greedy).
#include <filesystem>
#include <iostream>
#include <thread>

#include "app/cli/command.h"
#include "core/compat/torch_compat.h"
#include "core/model/llama.h"
#include "core/model/tokenizer.h"
#include "core/plan/plan.h"
#include "core/plan/plan_io.h"
#include "core/runtime/engine.h"
#include "core/runtime/generate.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace {

std::string read_prompt(const moa::cli::Args& args) {
  if (args.has("prompt")) return args.get("prompt");
  return moa::read_text_file(args.get("prompt-file"));
}

int run_generate(const moa::cli::Args& args) {
  args.allow_only({"model", "plan", "prompt", "prompt-file", "max-new-tokens", "device", "dtype", "threads", "no-graph"});
  at::set_num_threads(static_cast<int>(args.get_int("threads", std::max(1u, std::thread::hardware_concurrency()))));
  const std::filesystem::path dir = args.get("model");
  const std::string device = args.get("device", moa::Engine::available() ? "cuda" : "cpu");
  if (device != "cpu" && device != "cuda") throw moa::Error("--device must be cuda or cpu (got '" + device + "')");
  if (device == "cuda" && !moa::Engine::available()) throw moa::Error("--device cuda: no CUDA in this build or machine");
  const int64_t max_new = args.get_int("max-new-tokens", 64);
  if (max_new < 1 || max_new > (int64_t{1} << 24)) throw moa::Error("--max-new-tokens must be in [1, 16777216]");

  auto ck = moa::Checkpoint::open(dir);
  const auto& cfg = ck->config();
  if (!std::filesystem::exists(dir / "tokenizer.json")) moa::fail_file((dir / "tokenizer.json").string(), "missing");
  const auto tokenizer = moa::Tokenizer::for_model(dir / "tokenizer.json", cfg.vocab_size);
  const auto ids32 = tokenizer.encode(read_prompt(args), true);
  if (ids32.empty()) throw moa::Error("the prompt encodes to no tokens");
  const std::vector<int64_t> prompt(ids32.begin(), ids32.end());
  const int64_t total = static_cast<int64_t>(prompt.size()) + max_new;
  if (total > cfg.max_position_embeddings)
    std::cerr << "note: prompt + new tokens = " << total << " is beyond max_position_embeddings "
              << cfg.max_position_embeddings << " of " << (dir / "config.json").string()
              << " (positions the model was not trained on)\n";

  // Band blocks at the expected total length, per query head (the plan's view).
  std::vector<std::vector<int64_t>> band_q;
  if (args.has("plan")) {
    const auto plan = moa::plan_read(args.get("plan"));
    moa::plan_validate(plan, static_cast<int>(cfg.num_layers), static_cast<int>(cfg.num_heads),
                       static_cast<int>(cfg.num_kv_heads), args.get("plan"));
    moa::cli::note_plan_model(plan, args.get("plan"), dir);
    band_q = moa::plan_band_blocks(plan, total);
  }
  std::vector<int64_t> stops = cfg.eos_token_ids;

  moa::compat::NoGrad no_grad;
  std::vector<int64_t> out;
  double prefill_s = 0, decode_s = 0;
  std::string memory;
  if (device == "cuda") {
    std::optional<at::ScalarType> dtype = at::kBFloat16;
    if (args.has("dtype")) dtype = moa::to_scalar_type(moa::dtype_from_torch_name(args.get("dtype")));
    moa::LlamaModel model(ck, at::Device(at::kCUDA, 0), dtype);
    moa::EngineOptions eo;
    if (!band_q.empty()) eo.band_blocks = moa::kv_band_blocks(band_q, static_cast<int>(cfg.num_kv_heads));
    eo.stop_ids = stops;
    eo.cuda_graph = !args.has("no-graph");
    auto r = moa::Engine(model, eo).generate({prompt}, max_new);
    out = r.tokens[0];
    prefill_s = r.prefill_seconds;
    decode_s = r.decode_seconds;
    memory = "KV cache " + std::to_string(r.kv_bytes_per_sequence / 1048576.0) + " MiB per sequence (dense " +
             std::to_string(r.kv_bytes_dense_per_sequence / 1048576.0) + " MiB)";
  } else {
    std::optional<at::ScalarType> dtype = at::kFloat;
    if (args.has("dtype")) dtype = moa::to_scalar_type(moa::dtype_from_torch_name(args.get("dtype")));
    moa::LlamaModel model(ck, at::kCPU, dtype);
    moa::GenerateOptions go;
    go.max_new_tokens = max_new;
    go.stop_ids = stops;
    std::unique_ptr<moa::AttentionBackend> attention;
    if (band_q.empty()) attention = std::make_unique<moa::DenseAttention>();
    else attention = std::make_unique<moa::MaskedSparseAttention>(band_q, /*per_kv_head=*/false);
    auto r = moa::generate_greedy(model, {prompt}, *attention, go);
    out = r.tokens[0];
    prefill_s = r.prefill_seconds;
    decode_s = r.decode_seconds;
    memory = "reference path (dense KV cache, masked attention)";
  }
  std::cout << tokenizer.decode(std::vector<int32_t>(out.begin(), out.end()), true) << "\n";
  std::cerr << "prompt " << prompt.size() << " tokens, generated " << out.size() << " on " << device
            << (band_q.empty() ? " dense" : " MoA") << "; prefill " << prefill_s << " s, decode " << decode_s
            << " s; " << memory << "\n";
  return 0;
}

moa::cli::Register reg_generate({"generate", "greedy generation, dense or with a MoA plan (CUDA engine; CPU reference)",
                                 "--model DIR [--plan plan.moaplan.json] --prompt TEXT|--prompt-file F "
                                 "[--max-new-tokens 64] [--device cuda|cpu] [--dtype bfloat16] [--threads T] [--no-graph]",
                                 run_generate, {"no-graph"}});

}  // namespace
