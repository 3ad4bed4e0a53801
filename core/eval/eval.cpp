#include "core/eval/eval.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "core/compat/torch_compat.h"
#include "core/data/calib.h"
#include "core/data/demo_data.h"
#include "core/model/chat_template.h"
#include "core/model/llama.h"
#include "core/model/tokenizer.h"
#include "core/plan/rule.h"
#include "core/profile/profile_store.h"
#include "core/runtime/generate.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/json_read.h"
#include "core/util/progress_formats.h"

namespace moa {

namespace fs = std::filesystem;
using nlohmann::json;

std::string EvalAttention::label() const {
  char buf[64];
  switch (mode) {
    case AttentionMode::dense: return "dense";
    case AttentionMode::uniform: std::snprintf(buf, sizeof buf, "uniform@%.2f", density); return buf;
    case AttentionMode::plan: {
      // A plan read from the MoA reference format carries no budget: no number rather than "@0.00".
      if (!plan || plan->budgets.empty()) return "moa";
      std::snprintf(buf, sizeof buf, "moa@%.2f", plan->budgets.begin()->second);
      return buf;
    }
  }
  return "?";
}

std::vector<std::vector<int64_t>> eval_band_blocks(const EvalAttention& a, int num_layers, int num_heads,
                                                   int64_t total) {
  if (a.mode == AttentionMode::dense) return {};
  // Rules are defined on whole 64-token blocks: a partial last block counts as a block.
  const int64_t nb = (total + kBlockSize - 1) / kBlockSize;
  if (a.mode == AttentionMode::plan) {
    if (!a.plan) throw Error("eval: plan mode without a plan");
    return plan_band_blocks(*a.plan, total);
  }
  // Uniform: sink + band whose attended blocks are the density's share of the sequence.
  const int64_t k = std::clamp<int64_t>(static_cast<int64_t>(std::llround(a.density * nb)) - 1, 1, nb);
  return std::vector<std::vector<int64_t>>(num_layers, std::vector<int64_t>(num_heads, k));
}

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

std::vector<int64_t> stop_ids_of(const fs::path& dir, const ModelConfig& config) {
  std::vector<int64_t> ids = config.eos_token_ids;
  const fs::path gen = dir / "generation_config.json";
  if (fs::exists(gen)) {
    const json j = json_parse_or_fail(read_text_file(gen), gen.string());
    if (j.contains("eos_token_id")) {
      ids.clear();
      if (j["eos_token_id"].is_array()) ids = j["eos_token_id"].get<std::vector<int64_t>>();
      else if (j["eos_token_id"].is_number_integer()) ids.push_back(j["eos_token_id"].get<int64_t>());
    }
  }
  return ids;
}

// Density actually attended: mean over heads of the last query block's attended blocks / nb.
double attended_density(const std::vector<std::vector<int64_t>>& band, int64_t total) {
  if (band.empty()) return 1.0;
  const int64_t nb = (total + kBlockSize - 1) / kBlockSize;
  double sum = 0;
  size_t n = 0;
  for (const auto& layer : band)
    for (int64_t k : layer) {
      sum += static_cast<double>(band_attended_blocks(k, nb - 1)) / nb;
      ++n;
    }
  return n ? sum / n : 1.0;
}

std::unique_ptr<AttentionBackend> backend_for(const EvalAttention& a, const ModelConfig& c, int64_t total) {
  if (a.mode == AttentionMode::dense) return std::make_unique<DenseAttention>();
  return std::make_unique<MaskedSparseAttention>(
      eval_band_blocks(a, static_cast<int>(c.num_layers), static_cast<int>(c.num_heads), total), false);
}

}  // namespace

EvalResult eval_run(const EvalRequest& r, const ProgressFn& progress) {
  at::set_num_threads(r.threads > 0 ? r.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  compat::NoGrad no_grad;
  const double t0 = now();
  auto ck = Checkpoint::open(r.model);
  const ModelConfig& c = ck->config();
  if (r.attention.plan) plan_validate(*r.attention.plan, static_cast<int>(c.num_layers), static_cast<int>(c.num_heads),
                                      static_cast<int>(c.num_kv_heads),
                                      r.attention.plan_file.empty() ? "plan" : r.attention.plan_file);
  const fs::path tok_path = ck->dir() / "tokenizer.json";
  if (!fs::exists(tok_path)) fail_file(tok_path.string(), "missing: evaluation needs the model's tokenizer.json");
  const Tokenizer tok = Tokenizer::for_model(tok_path, c.vocab_size);
  LlamaModel model(ck, compat::parse_device(r.device, "eval"));
  const ChatTemplate chat = chat_template_from_name(r.chat);

  EvalResult res;
  res.label = r.attention.label();
  res.retrieval.level_by = r.level_by;
  GenerateOptions gopt;
  gopt.max_new_tokens = r.max_new_tokens;
  gopt.stop_ids = stop_ids_of(ck->dir(), c);
  const size_t total_items = r.samples.size() + r.ppl.size();
  double density_sum = 0;
  for (size_t i = 0; i < r.samples.size(); ++i) {
    const auto& s = r.samples[i];
    const auto ids32 = tok.encode(apply_chat_template(chat, s.prompt), true);
    const std::vector<int64_t> ids(ids32.begin(), ids32.end());
    // New tokens are capped by the context: the answer must fit in max_position_embeddings.
    const int64_t room = c.max_position_embeddings - static_cast<int64_t>(ids.size());
    if (room < 1)
      throw Error("eval: prompt " + std::to_string(i) + " has " + std::to_string(ids.size()) +
                  " tokens, no room to answer within the model's " + std::to_string(c.max_position_embeddings) + " positions");
    gopt.max_new_tokens = std::min<int64_t>(r.max_new_tokens, room);
    const int64_t total = static_cast<int64_t>(ids.size()) + gopt.max_new_tokens;
    auto attention = backend_for(r.attention, c, total);
    density_sum += attended_density(eval_band_blocks(r.attention, static_cast<int>(c.num_layers), static_cast<int>(c.num_heads), total), total);
    auto out = generate_greedy(model, {ids}, *attention, gopt);
    std::vector<int32_t> gen;
    for (int64_t t : out.tokens[0])
      if (std::find(gopt.stop_ids.begin(), gopt.stop_ids.end(), t) == gopt.stop_ids.end()) gen.push_back(static_cast<int32_t>(t));
    const std::string answer = tok.decode(gen, true);
    const bool ok = longeval_correct(answer, s.expected_number);
    retrieval_add(res.retrieval, s, ok);
    res.answers.push_back(answer);
    report(progress, static_cast<double>(i + 1) / total_items,
           {ok ? progress_format::kEvalPromptCorrect : progress_format::kEvalPromptWrong,
            {res.label, std::to_string(i + 1), std::to_string(r.samples.size()), std::to_string(ids.size())}});
  }
  res.mean_density = r.samples.empty() ? 1.0 : density_sum / r.samples.size();

  double nll = 0;
  int64_t count = 0;
  for (size_t i = 0; i < r.ppl.size(); ++i) {
    const auto& p = r.ppl[i];
    std::vector<int32_t> ids;
    int64_t score_from = 1;
    if (!p.text.empty()) {
      ids = tok.encode(p.text, true);
    } else {
      ids = tok.encode(apply_chat_template(chat, p.prompt), true);
      score_from = static_cast<int64_t>(ids.size());
      const auto ans = tok.encode(p.answer, false);
      ids.insert(ids.end(), ans.begin(), ans.end());
    }
    const int64_t T = static_cast<int64_t>(ids.size());
    if (T > c.max_position_embeddings)
      throw Error("eval: perplexity record " + std::to_string(i + 1) + " has " + std::to_string(T) +
                  " tokens, beyond the model's " + std::to_string(c.max_position_embeddings) +
                  " positions (max_position_embeddings): positions it was not trained on");
    if (T < 2 || score_from >= T) continue;
    auto attention = backend_for(r.attention, c, T);
    auto t_ids = at::tensor(std::vector<int64_t>(ids.begin(), ids.end()), at::kLong).view({1, T});
    auto logits = model.forward(t_ids, at::arange(T, at::kLong).view({1, T}), nullptr, *attention)[0];
    auto logp = at::log_softmax(logits.narrow(0, score_from - 1, T - score_from).to(at::kDouble), -1);
    auto tgt = t_ids[0].narrow(0, score_from, T - score_from).to(logits.device());
    nll -= logp.gather(1, tgt.unsqueeze(1)).sum().item<double>();
    count += T - score_from;
    report(progress, static_cast<double>(r.samples.size() + i + 1) / total_items,
           {progress_format::kEvalPerplexity, {res.label, std::to_string(i + 1), std::to_string(r.ppl.size())}});
  }
  res.ppl_tokens = count;
  res.nll = count ? nll / count : 0;
  res.ppl = count ? std::exp(res.nll) : 0;
  res.seconds = now() - t0;
  return res;
}

double plan_validation_loss(const EvalRequest& validation, const Plan& plan) {
  EvalRequest r = validation;
  r.samples.clear();
  r.attention.mode = AttentionMode::plan;
  r.attention.plan = plan;
  if (r.ppl.empty()) throw Error("plan validation: no validation records");
  const EvalResult res = eval_run(r);
  // A loss over no tokens is no measurement (every record too short to score).
  if (res.ppl_tokens == 0) throw Error("plan validation: no answer token was scored (records too short?)");
  return res.nll;
}

std::vector<PplRecord> demo_validation_records(int64_t length, int count, uint64_t seed) {
  std::vector<PplRecord> out;
  for (const auto& r : demo_calib_records(static_cast<size_t>(length), count, seed))
    out.push_back({"", calib_prompt(r.context, r.question), r.answer});
  return out;
}

json EvalResult::to_json() const {
  json j = {{"label", label}, {"mean_density", mean_density}, {"retrieval", retrieval_report_to_json(retrieval)},
            {"seconds", seconds}, {"answers", answers}};
  if (ppl_tokens > 0) j["perplexity"] = {{"ppl", ppl}, {"nll", nll}, {"tokens", ppl_tokens}};
  return j;
}

std::vector<PplRecord> ppl_read_jsonl(const fs::path& path) {
  std::ifstream in(path);
  if (!in) fail_file(path.string(), "cannot open");
  std::vector<PplRecord> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const json j = json_parse_or_fail(line, path.string(), n);
    PplRecord r;
    auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
    r.text = str("text");
    if (r.text.empty()) {
      r.prompt = str("prompt");
      if (r.prompt.empty() && j.contains("context")) {
        r.prompt = str("context");
        const std::string question = str("question");
        if (!question.empty()) r.prompt.append("\n").append(question);
      }
      r.answer = str("answer");
      if (r.prompt.empty() || r.answer.empty())
        fail_file(path.string(), "line " + std::to_string(n) + ": needs \"text\", or \"prompt\" (or \"context\") with \"answer\"");
    }
    out.push_back(std::move(r));
  }
  if (out.empty()) fail_file(path.string(), "no records (an empty perplexity file scores nothing)");
  return out;
}

std::string eval_compare_markdown(const std::vector<EvalResult>& results) {
  std::ostringstream md;
  std::set<long long> levels;
  for (const auto& r : results)
    for (const auto& [lv, cell] : r.retrieval.by_level) levels.insert(lv);
  md << "| attention | KV density | accuracy";
  for (auto lv : levels) md << " | acc @" << lv;
  md << " | perplexity |\n|---|---|---";
  for (size_t i = 0; i < levels.size(); ++i) md << "|---";
  md << "|---|\n";
  char buf[64];
  for (const auto& r : results) {
    std::snprintf(buf, sizeof buf, "%.3f", r.mean_density);
    md << "| " << r.label << " | " << buf;
    std::snprintf(buf, sizeof buf, "%.3f (%lld/%lld)", r.retrieval.overall.accuracy(), r.retrieval.overall.correct,
                  r.retrieval.overall.total);
    md << " | " << buf;
    for (auto lv : levels) {
      auto it = r.retrieval.by_level.find(lv);
      if (it == r.retrieval.by_level.end()) md << " | –";
      else {
        std::snprintf(buf, sizeof buf, "%.3f", it->second.accuracy());
        md << " | " << buf;
      }
    }
    if (r.ppl_tokens > 0) std::snprintf(buf, sizeof buf, "%.4f", r.ppl);
    else std::snprintf(buf, sizeof buf, "–");
    md << " | " << buf << " |\n";
  }
  return md.str();
}

}  // namespace moa
