#include "core/runtime/generate.h"

#include <algorithm>
#include <chrono>

#include "core/util/error.h"

namespace moa {

namespace {
double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

GenerateResult generate_greedy(const LlamaModel& model, const std::vector<std::vector<int64_t>>& prompts,
                               AttentionBackend& attention, const GenerateOptions& opt) {
  const int64_t B = static_cast<int64_t>(prompts.size());
  if (B == 0) return {};
  int64_t longest = 0;
  for (const auto& p : prompts) {
    if (p.empty()) throw Error("generate: empty prompt");
    longest = std::max<int64_t>(longest, static_cast<int64_t>(p.size()));
  }
  const auto dev = model.device();
  const auto lopt = at::TensorOptions().dtype(at::kLong);
  // Left padding: every prompt ends at column `longest - 1`.
  std::vector<int64_t> ids(B * longest, opt.pad_id), pads(B);
  std::vector<uint8_t> valid(B * longest, 0);
  for (int64_t b = 0; b < B; ++b) {
    pads[b] = longest - static_cast<int64_t>(prompts[b].size());
    for (size_t t = 0; t < prompts[b].size(); ++t) {
      ids[b * longest + pads[b] + t] = prompts[b][t];
      valid[b * longest + pads[b] + t] = 1;
    }
  }
  const bool padded = std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p > 0; });
  auto seq = at::tensor(ids, lopt).view({B, longest}).to(dev);
  auto pad = at::tensor(pads, lopt).to(dev);
  auto key_valid = at::tensor(std::vector<int64_t>(valid.begin(), valid.end()), lopt).view({B, longest}).to(at::kBool).to(dev);
  auto positions_of = [&](int64_t from, int64_t to) {
    return (at::arange(from, to, lopt.device(dev)).unsqueeze(0) - pad.unsqueeze(1)).clamp_min(0);
  };

  GenerateResult result;
  result.tokens.resize(B);
  std::vector<bool> done(B, false);
  KVCache cache;
  at::Tensor next;
  double t0 = now();
  for (int64_t step = 0; step < opt.max_new_tokens; ++step) {
    ForwardOptions fo;
    fo.last_token_only = true;
    if (padded) {
      fo.key_valid = key_valid;
      fo.pad = pad;
    }
    at::Tensor logits;
    const int64_t S = seq.size(1);
    if (opt.use_cache && step > 0) {
      logits = model.forward(next.view({B, 1}), positions_of(S - 1, S), &cache, attention, fo);
    } else if (opt.use_cache) {
      logits = model.forward(seq, positions_of(0, S), &cache, attention, fo);
    } else {
      logits = model.forward(seq, positions_of(0, S), nullptr, attention, fo);
    }
    next = logits.select(1, 0).argmax(-1);  // [B]
    if (step == 0) {
      result.prefill_seconds = now() - t0;
      t0 = now();
    }
    auto host = next.to(at::kCPU);
    bool all_done = true;
    for (int64_t b = 0; b < B; ++b) {
      if (done[b]) {
        host[b] = opt.pad_id;  // finished rows keep decoding padding (masked in their own row only)
        continue;
      }
      const int64_t tok = host[b].item<int64_t>();
      result.tokens[b].push_back(tok);
      if (std::find(opt.stop_ids.begin(), opt.stop_ids.end(), tok) != opt.stop_ids.end()) done[b] = true;
      all_done = all_done && done[b];
    }
    if (all_done) break;
    next = host.to(dev);
    seq = at::cat({seq, next.view({B, 1})}, 1);
    key_valid = at::cat({key_valid, at::ones({B, 1}, key_valid.options())}, 1);
    if (step > 0) ++result.decode_steps;
  }
  result.decode_seconds = now() - t0;
  return result;
}

}  // namespace moa
