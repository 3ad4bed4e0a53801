#include "core/model/train_demo.h"

#include <torch/optim/adamw.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/compat/torch_compat.h"
#include "core/data/byte_vocab.h"
#include "core/data/demo_data.h"
#include "core/data/retrieval_score.h"
#include "core/model/checkpoint.h"
#include "core/model/llama.h"
#include "core/runtime/generate.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace moa {

ModelConfig demo_model_config() {
  ModelConfig c;
  c.vocab_size = ByteVocab::kSize;
  c.hidden_size = 384;
  c.intermediate_size = 1024;
  c.num_layers = 6;
  c.num_heads = 6;
  c.num_kv_heads = 2;
  c.head_dim = 64;
  c.max_position_embeddings = 8192;
  c.rms_norm_eps = 1e-5;
  c.rope.theta = 10000.0;
  c.tie_word_embeddings = true;
  c.dtype = DType::F32;
  c.bos_token_id = ByteVocab::kBos;
  c.eos_token_ids = {ByteVocab::kEos};
  c.pad_token_id = ByteVocab::kPad;
  return c;
}

std::string demo_tokenizer_json() {
  // GPT-2 byte-to-unicode table: printable bytes map to themselves, the rest to 256 + n.
  nlohmann::json vocab = nlohmann::json::object();
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    const uint32_t cp = printable ? static_cast<uint32_t>(b) : static_cast<uint32_t>(256 + n++);
    std::string utf8;
    if (cp < 0x80) utf8.push_back(static_cast<char>(cp));
    else {
      utf8.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      utf8.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    vocab[utf8] = b;
  }
  auto special = [](int id, const char* text) {
    return nlohmann::json{{"id", id}, {"content", text}, {"single_word", false}, {"lstrip", false},
                          {"rstrip", false}, {"normalized", false}, {"special", true}};
  };
  nlohmann::json j = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", {special(ByteVocab::kBos, "<s>"), special(ByteVocab::kEos, "</s>"), special(ByteVocab::kPad, "<pad>")}},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
        {"pair",
         {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
          {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
          {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}}},
        {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {ByteVocab::kBos}}, {"tokens", {"<s>"}}}}}}}},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}},
      {"model",
       {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false},
        {"vocab", vocab}, {"merges", nlohmann::json::array()}}}};
  return j.dump(1) + "\n";
}

void write_demo_model_files(const std::filesystem::path& dir, const ModelConfig& config) {
  std::filesystem::create_directories(dir);
  write_file_atomic(dir / "config.json", config_to_json(config));
  // Answers end with "\n" (id 10); generation stops there or at </s>.
  nlohmann::json gen = {{"bos_token_id", ByteVocab::kBos}, {"eos_token_id", {ByteVocab::kEos, 10}},
                        {"pad_token_id", ByteVocab::kPad}, {"do_sample", false}, {"max_new_tokens", 8}};
  write_file_atomic(dir / "generation_config.json", gen.dump(2) + "\n");
  write_file_atomic(dir / "tokenizer.json", demo_tokenizer_json());
}

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Fresh-prompt exact-match accuracy with greedy decoding (the demo answer format).
double eval_exact(const LlamaModel& model, size_t length, int prompts, uint64_t seed) {
  auto set = demo_eval_set({length}, demo_eval_depths(prompts), 1, seed);
  DenseAttention dense;
  GenerateOptions opt;
  opt.max_new_tokens = 8;
  opt.stop_ids = {10, ByteVocab::kEos};
  int correct = 0;
  for (const auto& s : set) {
    auto ids32 = demo_prompt_ids(s.prompt);
    std::vector<int64_t> ids(ids32.begin(), ids32.end());
    auto r = generate_greedy(model, {ids}, dense, opt);
    std::vector<int32_t> out(r.tokens[0].begin(), r.tokens[0].end());
    correct += longeval_correct(ByteVocab::decode(out), s.expected_number) ? 1 : 0;
  }
  return set.empty() ? 0 : static_cast<double>(correct) / set.size();
}

// Group lasso over KV heads: for each layer and KV head, the L2 norm of its output path (its
// V rows and the o_proj columns of the query heads it serves). The sum of these norms pulls
// whole heads to zero unless the loss needs them (structured head pruning), so the trained
// model reads far back through as few heads as it can. Returns [layers, kv_heads].
at::Tensor head_output_norms(const std::map<std::string, at::Tensor>& w, const ModelConfig& c) {
  std::vector<at::Tensor> rows;
  const int64_t D = c.head_dim, G = c.num_heads / c.num_kv_heads;
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".self_attn.";
    const at::Tensor v = w.at(p + "v_proj.weight").view({c.num_kv_heads, D, c.hidden_size});
    const at::Tensor out = w.at(p + "o_proj.weight").view({c.hidden_size, c.num_kv_heads, G * D});
    const std::vector<int64_t> v_dims = {1, 2}, out_dims = {0, 2};
    rows.push_back((v.pow(2).sum(v_dims) + out.pow(2).sum(out_dims) + 1e-12).sqrt());
  }
  return at::stack(rows);
}

std::string format_head_norms(const at::Tensor& norms) {
  const at::Tensor n = norms.detach().to(at::kCPU).to(at::kFloat).contiguous();
  std::string s = "head output norms (layer: per KV head)";
  char buf[32];
  for (int64_t l = 0; l < n.size(0); ++l) {
    s += "\n  " + std::to_string(l) + ":";
    for (int64_t h = 0; h < n.size(1); ++h) {
      std::snprintf(buf, sizeof buf, " %.3f", n[l][h].item<float>());
      s += buf;
    }
  }
  return s;
}

}  // namespace

TrainDemoReport train_demo(const TrainDemoOptions& o, const ProgressFn& progress) {
  const at::Device dev(o.device);
  ModelConfig cfg = demo_model_config();
  std::shared_ptr<Checkpoint> init;
  int64_t widen = 1;  // each KV head of the init checkpoint becomes this many
  if (!o.init.empty()) {
    init = Checkpoint::open(o.init);
    // Continue with the checkpoint's attention shape (e.g. an MHA variant), or widen it; everything
    // else must be the demo model's.
    cfg.num_kv_heads = init->config().num_kv_heads;
    if (o.kv_heads > 0 && o.kv_heads != cfg.num_kv_heads) {
      if (o.kv_heads < cfg.num_kv_heads || o.kv_heads % cfg.num_kv_heads != 0 || cfg.num_heads % o.kv_heads != 0)
        throw Error("--kv-heads " + std::to_string(o.kv_heads) + " cannot widen " + o.init.string() + "'s " +
                    std::to_string(cfg.num_kv_heads) + " KV heads: it must be a multiple of them that divides the " +
                    std::to_string(cfg.num_heads) + " query heads");
      widen = o.kv_heads / cfg.num_kv_heads;
      cfg.num_kv_heads = o.kv_heads;
    }
  } else if (o.kv_heads > 0) {
    cfg.num_kv_heads = o.kv_heads;
  }
  if (cfg.num_kv_heads <= 0 || cfg.num_heads % cfg.num_kv_heads != 0)
    throw Error("--kv-heads must divide the demo model's " + std::to_string(cfg.num_heads) + " query heads, got " +
                std::to_string(cfg.num_kv_heads));
  if (!(o.head_lasso >= 0)) throw Error("--head-lasso must be >= 0");
  at::manual_seed(o.seed);
  // fp32 master weights; the forward runs on bf16 casts (GPU) so SDPA takes its fused path.
  const at::ScalarType compute = dev.is_cuda() ? at::kBFloat16 : at::kFloat;
  std::map<std::string, at::Tensor> master;
  std::vector<at::Tensor> params;
  for (const auto& [name, shape] : llama_tensor_shapes(cfg)) {
    at::Tensor t;
    if (init) {
      const TensorView v = init->tensor(name);
      const bool kv = name.find("k_proj") != std::string::npos || name.find("v_proj") != std::string::npos;
      std::vector<int64_t> stored = shape;
      if (kv) stored[0] /= widen;
      if (v.shape != stored || v.dtype != DType::F32) fail_file(v.file.string(), "tensor '" + name + "' does not fit the demo model");
      t = at::from_blob(const_cast<uint8_t*>(v.data), stored, at::kFloat).to(dev).clone();
      // Widening: new KV head j serves query heads [j*g, (j+1)*g), all of which used old KV head
      // j / widen, so copying that head's rows keeps every query head's keys and values.
      if (kv && widen > 1)
        t = t.view({stored[0] / cfg.head_dim, cfg.head_dim, shape[1]}).repeat_interleave(widen, 0).reshape(shape).contiguous();
    } else {
      t = shape.size() == 1 ? at::ones(shape, at::TensorOptions().device(dev))
                            : at::randn(shape, at::TensorOptions().device(dev)) * cfg.initializer_range;
    }
    t.set_requires_grad(true);
    master[name] = t;
    params.push_back(t);
  }
  torch::optim::AdamW opt(params, torch::optim::AdamWOptions(o.lr).betas({0.9, 0.95}).weight_decay(o.weight_decay));

  DemoDataConfig data;
  data.seed = o.seed;
  data.tokens_per_step = o.tokens_per_step;
  data.max_len = o.max_len;
  data.stage_steps = {o.stage0_steps, o.stage1_steps};
  data.full_row_fraction = o.full_row_fraction;

  TrainDemoReport rep;
  std::ostringstream log;
  const double t_start = now();
  DenseAttention dense;
  auto make_model = [&](at::ScalarType t) {
    std::map<std::string, at::Tensor> w;
    for (auto& [n, p] : master) w[n] = p.to(t);
    return LlamaModel(cfg, w);
  };
  for (int64_t step = 0; step < o.steps; ++step) {
    if (o.max_minutes > 0 && now() - t_start > o.max_minutes * 60) break;
    const DemoBatch b = demo_batch(data, o.start_step + static_cast<uint64_t>(step));
    const int64_t R = b.rows, C = b.cols;
    auto ids = at::from_blob(const_cast<int32_t*>(b.ids.data()), {R, C}, at::kInt).to(at::kLong).to(dev);
    auto wts = at::from_blob(const_cast<float*>(b.weights.data()), {R, C}, at::kFloat).to(dev);
    auto inp = ids.narrow(1, 0, C - 1), tgt = ids.narrow(1, 1, C - 1), w = wts.narrow(1, 1, C - 1);
    // Learning rate: linear warm-up, cosine decay to 10%.
    const double warm = std::min(1.0, (step + 1) / o.warmup_steps);
    // Progress by steps, or by wall time when a time budget is set (whichever is further).
    double prog = static_cast<double>(step) / std::max<int64_t>(1, o.steps);
    if (o.max_minutes > 0) prog = std::max(prog, (now() - t_start) / (o.max_minutes * 60));
    prog = std::min(prog, 1.0);
    const double lr = o.lr * warm * (0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * prog)));
    for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);

    LlamaModel model = make_model(compute);
    auto pos = at::arange(C - 1, at::TensorOptions().dtype(at::kLong).device(dev)).unsqueeze(0).expand({R, C - 1});
    auto logits = model.forward(inp, pos, nullptr, dense);  // float32 [R, C-1, V]
    auto ce = at::cross_entropy_loss(logits.reshape({-1, cfg.vocab_size}), tgt.reshape({-1}), {}, at::Reduction::None);
    auto wf = w.reshape({-1});
    auto loss = (ce * wf).sum() / wf.sum();
    auto objective = loss;
    if (o.head_lasso > 0) objective = loss + o.head_lasso * head_output_norms(master, cfg).sum();
    opt.zero_grad();
    objective.backward();
    // Global gradient-norm clipping.
    auto norm = at::zeros({}, at::TensorOptions().device(dev));
    for (auto& p : params) norm = norm + p.grad().pow(2).sum();
    norm = norm.sqrt();
    auto scale = at::clamp_max(o.grad_clip / (norm + 1e-6), 1.0);
    for (auto& p : params) p.grad().mul_(scale);
    opt.step();

    rep.steps = step + 1;
    if (step % 100 == 0 || step + 1 == o.steps) {
      const auto answer = (wf >= 0.99).to(at::kFloat);
      const double answer_loss = ((ce * answer).sum() / answer.sum().clamp_min(1)).item<double>();
      rep.final_loss = loss.item<double>();
      rep.final_answer_loss = answer_loss;
      char line[256];
      std::snprintf(line, sizeof line, "step %5lld stage %d rows %lld x %lld lr %.2e loss %.4f answer %.4f grad %.2f t %.0fs",
                    static_cast<long long>(step), b.stage, static_cast<long long>(R), static_cast<long long>(C), lr,
                    rep.final_loss, answer_loss, norm.item<double>(), now() - t_start);
      log << line << "\n";
      report(progress, static_cast<double>(step) / o.steps, std::string(line));
      if (o.head_lasso > 0 && step % 500 == 0) {
        compat::NoGrad ng;
        const std::string norms = format_head_norms(head_output_norms(master, cfg));
        log << norms << "\n";
        report(progress, static_cast<double>(step) / o.steps, norms);
      }
    }
    if (o.eval_every > 0 && step > 0 && step % o.eval_every == 0) {
      compat::NoGrad ng;
      LlamaModel m = make_model(compute);
      std::string line = "eval step " + std::to_string(step);
      for (size_t L : o.eval_lengths) {
        const double acc = eval_exact(m, L, o.eval_prompts / 2, 1000 + step);
        line += "  " + std::to_string(L) + ": " + std::to_string(acc);
      }
      log << line << "\n";
      report(progress, static_cast<double>(step) / o.steps, line);
    }
  }
  rep.seconds = now() - t_start;

  // Save fp32 weights in Hugging Face layout, plus the final full evaluation.
  write_demo_model_files(o.out, cfg);
  std::vector<TensorToWrite> tensors;
  std::map<std::string, at::Tensor> host;
  for (const auto& [name, shape] : llama_tensor_shapes(cfg)) {
    host[name] = master[name].detach().to(at::kCPU).contiguous();
    const at::Tensor t = host[name];
    tensors.push_back({name, DType::F32, shape, [t](uint8_t* d) { std::memcpy(d, t.data_ptr(), t.numel() * 4); }});
  }
  if (o.max_shard_bytes == 0) {
    safetensors_write(o.out / "model.safetensors", tensors, {{"format", "pt"}});
  } else {  // shards + index (small files travel more easily); merge with scripts/merge_safetensors.py
    nlohmann::json wm = nlohmann::json::object();
    std::vector<std::vector<TensorToWrite>> shards(1);
    uint64_t used = 0;
    for (auto& t : tensors) {
      uint64_t bytes = 4;
      for (auto d : t.shape) bytes *= static_cast<uint64_t>(d);
      if (used > 0 && used + bytes > o.max_shard_bytes) {
        shards.emplace_back();
        used = 0;
      }
      shards.back().push_back(t);
      used += bytes;
    }
    for (size_t i = 0; i < shards.size(); ++i) {
      char fname[64];
      std::snprintf(fname, sizeof fname, "model-%05zu-of-%05zu.safetensors", i + 1, shards.size());
      safetensors_write(o.out / fname, shards[i], {{"format", "pt"}});
      for (auto& t : shards[i]) wm[t.name] = fname;
    }
    write_file_atomic(o.out / "model.safetensors.index.json", nlohmann::json{{"metadata", nlohmann::json::object()}, {"weight_map", wm}}.dump(1));
  }
  {
    compat::NoGrad ng;
    log << format_head_norms(head_output_norms(master, cfg)) << "\n";
    LlamaModel m = make_model(compute);
    for (size_t L : o.eval_lengths) {
      const double acc = eval_exact(m, L, o.eval_prompts, 777);
      rep.eval_accuracy.push_back({L, acc});
      log << "final eval " << L << ": " << acc << "\n";
    }
  }
  rep.log = log.str();
  return rep;
}

}  // namespace moa
