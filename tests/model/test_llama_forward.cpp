// The LibTorch Llama forward against (a) a plain float64 reference written separately and
// (b) Hugging Face transformers' logits stored as a fixture; KV cache and batching.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "core/model/llama.h"
#include "core/runtime/generate.h"
#include "core/util/error.h"
#include "model/naive_llama.h"

namespace fs = std::filesystem;

namespace {

fs::path write_tiny(const std::string& preset, uint64_t seed, moa::ConfigSchema schema = moa::ConfigSchema::V4) {
  auto d = fs::temp_directory_path() / ("moa_llama_" + std::to_string(::getpid())) / (preset + std::to_string(seed));
  moa::RandomCheckpointOptions opt;
  opt.seed = seed;
  opt.schema = schema;
  auto cfg = moa::config_preset(preset);
  cfg.initializer_range = 0.2;  // larger weights: attention far from uniform, a sharper test
  moa::checkpoint_write_random(cfg, d, opt);
  return d;
}

std::vector<int64_t> random_ids(int64_t n, int64_t vocab, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::vector<int64_t> ids(n);
  for (auto& i : ids) i = static_cast<int64_t>(g() % vocab);
  return ids;
}

at::Tensor run(const moa::LlamaModel& m, const std::vector<int64_t>& ids, moa::AttentionBackend& attn) {
  const int64_t T = ids.size();
  return m.forward(at::tensor(ids, at::kLong).view({1, T}), at::arange(T, at::kLong).view({1, T}), nullptr, attn)[0];
}

// Greedy generation of a left-padded batch, and every prompt's tokens equal to its own run.
moa::GenerateResult expect_batch_equals_one_by_one(const moa::LlamaModel& m, const std::vector<std::vector<int64_t>>& prompts,
                                                   moa::AttentionBackend& attn, const moa::GenerateOptions& opt) {
  auto batch = moa::generate_greedy(m, prompts, attn, opt);
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto one = moa::generate_greedy(m, {prompts[i]}, attn, opt);
    EXPECT_EQ(batch.tokens[i], one.tokens[0]) << "prompt " << i;
  }
  return batch;
}

double max_rel_err(const at::Tensor& ours, const std::vector<double>& ref) {
  auto r = at::tensor(ref, at::kDouble).view(ours.sizes());
  return ((ours.to(at::kDouble) - r).abs().max() / r.abs().max()).item<double>();
}

}  // namespace

TEST(LlamaForward, MatchesFloat64ReferenceForEveryRopeTypeAndSchema) {
  struct Case {
    const char* preset;
    moa::ConfigSchema schema;
  };
  for (auto [preset, schema] : {Case{"tiny", moa::ConfigSchema::V4}, Case{"tiny", moa::ConfigSchema::V5},
                                Case{"tiny-linear", moa::ConfigSchema::V4}, Case{"tiny-llama3", moa::ConfigSchema::V5}}) {
    auto ck = moa::Checkpoint::open(write_tiny(preset, 3, schema));
    moa::LlamaModel model(ck, at::kCPU);
    moa::DenseAttention dense;
    for (int64_t T : {1, 7, 130}) {
      auto ids = random_ids(T, ck->config().vocab_size, T);
      auto ours = run(model, ids, dense);
      auto ref = naive::forward(*ck, ids, [](int64_t, int64_t, int64_t, int64_t) { return true; });
      EXPECT_LT(max_rel_err(ours, ref), 1e-5) << preset << " T=" << T;
    }
  }
}

TEST(LlamaForward, MatchesHuggingFaceTransformersFixture) {
  // tests/data/tiny_hf/: a checkpoint written by `moa init-checkpoint --shape tiny`, and the
  // logits transformers' LlamaForCausalLM gave for it (scripts/gpu/hf_parity.py --fixture).
  const fs::path dir = fs::path(MOA_TEST_DATA_DIR) / "tiny_hf";
  ASSERT_TRUE(fs::exists(dir / "hf_logits.json")) << "fixture missing: " << dir;
  auto ck = moa::Checkpoint::open(dir);
  moa::LlamaModel model(ck, at::kCPU);
  moa::DenseAttention dense;
  std::ifstream in(dir / "hf_logits.json");
  auto fx = nlohmann::json::parse(in);
  ASSERT_GE(fx.size(), 2u);
  for (auto& [len, rec] : fx.items()) {
    auto ids = rec["ids"].get<std::vector<int64_t>>();
    std::vector<double> ref;
    for (auto& row : rec["logits"])
      for (auto& v : row) ref.push_back(v.get<double>());
    EXPECT_LT(max_rel_err(run(model, ids, dense), ref), 1e-4) << "T=" << len;
  }
}

// A model built from tensors (training, `moa bench e2e`) checks them against the config as a
// checkpoint does: a q_proj one row short is an error naming it, not a silent mis-split of the
// fused q|k|v on a GPU; the same tensors with the right shapes give the checkpoint's logits.
TEST(LlamaForward, TensorsWithWrongShapesAreRefusedByName) {
  auto ck = moa::Checkpoint::open(write_tiny("tiny", 5));
  const moa::LlamaModel m(ck, at::kCPU);
  const auto& c = m.config();
  std::map<std::string, at::Tensor> w{{"model.embed_tokens.weight", m.embed_tokens()}, {"model.norm.weight", m.final_norm()}};
  if (!c.tie_word_embeddings) w["lm_head.weight"] = m.lm_head();
  for (int l = 0; l < c.num_layers; ++l) {
    const auto& x = m.layer(l);
    const std::string p = "model.layers." + std::to_string(l) + ".";
    w[p + "input_layernorm.weight"] = x.input_norm;
    w[p + "post_attention_layernorm.weight"] = x.post_norm;
    w[p + "self_attn.q_proj.weight"] = x.q;
    w[p + "self_attn.k_proj.weight"] = x.k;
    w[p + "self_attn.v_proj.weight"] = x.v;
    w[p + "self_attn.o_proj.weight"] = x.o;
    w[p + "mlp.gate_proj.weight"] = x.gate;
    w[p + "mlp.up_proj.weight"] = x.up;
    w[p + "mlp.down_proj.weight"] = x.down;
  }
  moa::DenseAttention dense;
  const auto ids = random_ids(70, c.vocab_size, 5);
  EXPECT_TRUE(at::equal(run(moa::LlamaModel(c, w), ids, dense), run(m, ids, dense)));
  const std::string q = "model.layers.1.self_attn.q_proj.weight";
  w[q] = w[q].narrow(0, 0, w[q].size(0) - 1);
  try {
    moa::LlamaModel bad(c, w);
    ADD_FAILURE() << "a q_proj one row short was accepted";
  } catch (const moa::Error& e) {
    EXPECT_NE(std::string(e.what()).find(q), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("shape"), std::string::npos) << e.what();
  }
}

TEST(LlamaForward, MaskedSparseWithFullBandsEqualsDense) {
  auto ck = moa::Checkpoint::open(write_tiny("tiny", 4));
  moa::LlamaModel model(ck, at::kCPU);
  moa::DenseAttention dense;
  const auto& c = ck->config();
  moa::MaskedSparseAttention full(std::vector<std::vector<int64_t>>(c.num_layers, std::vector<int64_t>(c.num_kv_heads, 1000)), true);
  auto ids = random_ids(300, c.vocab_size, 9);
  EXPECT_LT((run(model, ids, dense) - run(model, ids, full)).abs().max().item<double>(), 1e-5);
}

TEST(LlamaForward, MaskedSparseFollowsTheBlockLayoutPerHead) {
  auto ck = moa::Checkpoint::open(write_tiny("tiny", 5));
  moa::LlamaModel model(ck, at::kCPU);
  const auto& c = ck->config();
  // Different band per query head (1, 2, 3, 1 blocks) in layer 0, per query head.
  std::vector<std::vector<int64_t>> band = {{1, 2, 3, 1}, {2, 1, 1, 3}};
  moa::MaskedSparseAttention sparse(band, false);
  const int64_t T = 333;  // not a multiple of 64
  auto ids = random_ids(T, c.vocab_size, 11);
  auto ref = naive::forward(*ck, ids, [&](int64_t l, int64_t h, int64_t i, int64_t j) {
    const int64_t qb = i / 64, kb = j / 64;
    return kb == 0 || kb >= qb - band[l][h] + 1;
  });
  EXPECT_LT(max_rel_err(run(model, ids, sparse), ref), 1e-5);
  moa::DenseAttention dense;
  EXPECT_GT((run(model, ids, dense) - run(model, ids, sparse)).abs().max().item<double>(), 1e-3) << "mask had no effect";
}

TEST(Generation, KVCacheGivesTheSameTokensAsRecomputing) {
  auto ck = moa::Checkpoint::open(write_tiny("tiny-llama3", 6));
  moa::LlamaModel model(ck, at::kCPU);
  moa::DenseAttention dense;
  std::vector<std::vector<int64_t>> prompts = {random_ids(37, 320, 1)};
  moa::GenerateOptions opt;
  opt.max_new_tokens = 24;
  auto with = moa::generate_greedy(model, prompts, dense, opt);
  opt.use_cache = false;
  auto without = moa::generate_greedy(model, prompts, dense, opt);
  ASSERT_EQ(with.tokens[0].size(), 24u);
  EXPECT_EQ(with.tokens, without.tokens);
}

TEST(Generation, LeftPaddedBatchEqualsOneByOneAndStopsAtStopTokens) {
  auto ck = moa::Checkpoint::open(write_tiny("tiny", 7));
  moa::LlamaModel model(ck, at::kCPU);
  moa::DenseAttention dense;
  std::vector<std::vector<int64_t>> prompts = {random_ids(5, 320, 2), random_ids(29, 320, 3), random_ids(64, 320, 4)};
  moa::GenerateOptions opt;
  opt.max_new_tokens = 12;
  auto batch = expect_batch_equals_one_by_one(model, prompts, dense, opt);
  // Stop token: the first generated token of prompt 1 ends that sequence at once.
  opt.stop_ids = {batch.tokens[1][0]};
  auto stopped = moa::generate_greedy(model, prompts, dense, opt);
  EXPECT_EQ(stopped.tokens[1].size(), 1u);
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto it = std::find(batch.tokens[i].begin(), batch.tokens[i].end(), opt.stop_ids[0]);
    const size_t expect = it == batch.tokens[i].end() ? batch.tokens[i].size() : (it - batch.tokens[i].begin()) + 1;
    EXPECT_EQ(stopped.tokens[i].size(), expect) << i;
  }
}

// The masked sparse backend on a left-padded batch: its padded prefill rows and its decode rows
// (the forms of MaskedSparseAttention::mask the unpadded layout test above does not reach) give
// every prompt the tokens it gets alone, with prompts across block boundaries and bands of 1-3
// blocks per KV head (the narrow ones cut into every prompt longer than ~2 blocks).
TEST(Generation, MaskedSparseLeftPaddedBatchEqualsOneByOne) {
  auto ck = moa::Checkpoint::open(write_tiny("tiny", 8));
  moa::LlamaModel model(ck, at::kCPU);
  const auto& c = ck->config();
  std::vector<std::vector<int64_t>> band(c.num_layers, std::vector<int64_t>(c.num_kv_heads));
  for (int64_t l = 0; l < c.num_layers; ++l)
    for (int64_t h = 0; h < c.num_kv_heads; ++h) band[l][h] = 1 + (l + h) % 3;
  moa::MaskedSparseAttention sparse(band, true);
  std::vector<std::vector<int64_t>> prompts = {random_ids(70, 320, 5), random_ids(150, 320, 6), random_ids(333, 320, 7)};
  moa::GenerateOptions opt;
  opt.max_new_tokens = 10;
  auto batch = expect_batch_equals_one_by_one(model, prompts, sparse, opt);
  moa::DenseAttention dense;
  EXPECT_NE(moa::generate_greedy(model, {prompts[2]}, dense, opt).tokens[0], batch.tokens[2])
      << "the bands changed nothing: the test would not see a wrong mask";
}

// Decode rows of the masked sparse backend (KV cache, one token at a time) against the float64
// reference with the mask DESIGN §4 gives those rows: a prompt row sees the sink block and its
// band of blocks; a decoded row at position i sees the sink and the last band * 64 tokens
// (the ring of the heterogeneous cache), j in (i - 64 * band, i].
TEST(Generation, MaskedSparseDecodeRowsSeeTheSinkAndTheRing) {
  auto ck = moa::Checkpoint::open(write_tiny("tiny", 9));
  moa::LlamaModel model(ck, at::kCPU);
  const auto& c = ck->config();
  std::vector<std::vector<int64_t>> band = {{1, 2, 3, 1}, {2, 1, 1, 3}};  // per query head
  moa::MaskedSparseAttention sparse(band, false);
  const int64_t T = 200, steps = 3;
  auto ids = random_ids(T + steps, c.vocab_size, 13);
  moa::KVCache cache;
  const std::vector<int64_t> prompt(ids.begin(), ids.begin() + T);
  model.forward(at::tensor(prompt, at::kLong).view({1, T}), at::arange(T, at::kLong).view({1, T}), &cache, sparse);
  at::Tensor last;
  for (int64_t s = 0; s < steps; ++s)
    last = model.forward(at::tensor(std::vector<int64_t>{ids[T + s]}, at::kLong).view({1, 1}),
                         at::full({1, 1}, T + s, at::kLong), &cache, sparse)[0];
  auto ref = naive::forward(*ck, ids, [&](int64_t l, int64_t h, int64_t i, int64_t j) {
    if (i < T) return j / 64 == 0 || j / 64 >= i / 64 - band[l][h] + 1;
    return j < 64 || j > i - 64 * band[l][h];
  });
  const std::vector<double> ref_last(ref.end() - c.vocab_size, ref.end());
  EXPECT_LT(max_rel_err(last.view({-1}), ref_last), 1e-5);
}

// The in-place masking used for inference (MaskFillFn: strided fills, no mask tensor) against the
// mask path kept for autograd (MaskFn + where), on the same random call: queries that require a
// gradient take the mask path. Odd lengths, GQA groups 1 and 3, per-head and per-KV-head bands,
// a prompt continued from a cache (q_start > 0, T > 1) and decode rows.
TEST(Attention, InPlaceMaskingEqualsTheMaskPath) {
  struct Case { int64_t hq, hkv, s, t; bool per_kv; };
  const Case cases[] = {{4, 4, 333, 333, false}, {6, 2, 700, 700, true}, {6, 2, 700, 190, true}, {6, 2, 777, 1, true},
                        {4, 4, 65, 1, false}, {3, 1, 1000, 1, true}};
  at::manual_seed(5);
  for (const auto& cs : cases) {
    SCOPED_TRACE("Hq " + std::to_string(cs.hq) + " Hkv " + std::to_string(cs.hkv) + " S " + std::to_string(cs.s) +
                 " T " + std::to_string(cs.t));
    moa::AttentionCall call;
    call.layer = 0;
    call.q = at::randn({2, cs.hq, cs.t, 16});
    call.k = at::randn({2, cs.hkv, cs.s, 16});
    call.v = at::randn({2, cs.hkv, cs.s, 16});
    call.q_start = cs.s - cs.t;
    call.scale = 0.7;
    std::vector<int64_t> bands;
    for (int64_t h = 0; h < (cs.per_kv ? cs.hkv : cs.hq); ++h) bands.push_back(1 + (h * 5) % 7);
    moa::MaskedSparseAttention sparse({bands}, cs.per_kv);
    moa::DenseAttention dense;
    for (moa::AttentionBackend* backend : {static_cast<moa::AttentionBackend*>(&sparse), static_cast<moa::AttentionBackend*>(&dense)}) {
      auto in_place = backend->attend(call);
      moa::AttentionCall with_grad = call;
      with_grad.q = call.q.clone().requires_grad_(true);
      auto masked = backend->attend(with_grad).detach();
      EXPECT_LT((in_place - masked).abs().max().item<double>(), 1e-6) << backend->name();
    }
  }
}
