// Rules, layouts, densities, loss tables and plan files, checked against hand computation.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <unistd.h>

#include "core/plan/loss_table.h"
#include "core/plan/plan_io.h"
#include "core/profile/profile_store.h"
#include "core/util/error.h"
#include "core/util/files.h"

using namespace moa;
namespace fs = std::filesystem;

namespace {

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected moa::Error";
  return {};
}

// One layer, two query heads, one KV head, N = 256 (4 blocks).
// Head 0: M[q][k] = 10q + k + 1 (lower triangle); head 1: all ones.
Profile small_profile() {
  Profile p;
  p.meta.model_hash = "h";
  p.meta.num_layers = 1;
  p.meta.num_heads = 2;
  p.meta.num_kv_heads = 1;
  p.meta.head_dim = 8;
  LengthProfile lp;
  lp.length = 256;
  lp.sample_ids = {0};
  lp.sample_loss = {0.0};
  lp.influence.assign(2 * 16, 0.0f);
  for (int q = 0; q < 4; ++q)
    for (int k = 0; k <= q; ++k) {
      lp.influence[lp.at(0, 0, q, k, 2)] = float(10 * q + k + 1);
      lp.influence[lp.at(0, 1, q, k, 2)] = 1.0f;
    }
  p.lengths[256] = lp;
  return p;
}

Plan gqa_plan() {
  Plan p;
  p.model_hash = "h";
  p.granularity = Granularity::kv_head;
  p.num_layers = 2;
  p.num_heads = 4;
  p.num_kv_heads = 2;
  p.rules = {{{64, 0.25}, {0, 1}}, {{-64, 0.5}, {128, 0}}};
  p.budgets = {{256, 0.5}};
  p.predicted_loss = {{256, 1.5}};
  p.density = {{256, 0.6}};
  p.provenance = {{"tool", "test"}};
  return p;
}

}  // namespace

TEST(Rule, BandBlocksAndLayout) {
  EXPECT_EQ(rule_band_blocks({0, 0.25}, 256), 1);     // span 64
  EXPECT_EQ(rule_band_blocks({64, 0.25}, 256), 2);    // span 128
  EXPECT_EQ(rule_band_blocks({100, 0}, 256), 1);      // floor(100/64)
  EXPECT_EQ(rule_band_blocks({-1000, 0}, 256), 1);    // clamped up
  EXPECT_EQ(rule_band_blocks({0, 1}, 256), 4);
  EXPECT_EQ(rule_band_blocks({4096, 0}, 256), 4);     // clamped down
  EXPECT_EQ(rule_band_blocks({0, 0.3}, 640), 3);      // 192 tokens exactly
  // k = 2 at 4 blocks: q0 {0}; q1 {0,1}; q2 {0,1,2}; q3 {0,2,3}.
  const bool expect[4][4] = {{1, 0, 0, 0}, {1, 1, 0, 0}, {1, 1, 1, 0}, {1, 0, 1, 1}};
  for (int q = 0; q < 4; ++q)
    for (int k = 0; k < 4; ++k) EXPECT_EQ(band_attends(2, q, k), expect[q][k]) << q << "," << k;
  EXPECT_EQ(band_attended_blocks(2, 3), 3);
  EXPECT_EQ(band_attended_blocks(2, 1), 2);
  EXPECT_EQ(band_attended_blocks(1, 0), 1);
  EXPECT_THROW(rule_band_blocks({0, 1}, 100), Error);
  // Huge finite spans clamp to [1, N/64] instead of overflowing the integer conversion.
  EXPECT_EQ(rule_band_blocks({5.5e34, 0}, 4096), 64);
  EXPECT_EQ(rule_band_blocks({-5.5e34, 0}, 4096), 1);
  EXPECT_EQ(rule_band_blocks({0, 1e300}, 4096), 64);
}

TEST(Rule, Density) {
  EXPECT_DOUBLE_EQ(rule_density({0, 0.25}, 256), 2.0 / 4);  // band 1 + sink
  EXPECT_DOUBLE_EQ(rule_density({64, 0.25}, 256), 3.0 / 4);
  EXPECT_DOUBLE_EQ(rule_density({0, 1}, 256), 1.0);          // sink inside the band
  EXPECT_DOUBLE_EQ(rule_density({192, 0}, 256), 1.0);         // band 3 + sink = all 4
  EXPECT_DOUBLE_EQ(rule_density({1024, 0}, 2048), 17.0 / 32);
}

// Work fraction against a count of every (query, key) pair the layout keeps.
TEST(Rule, WorkFractionCountsKeptCausalPairs) {
  for (const int64_t n : {64, 192, 640, 1024})
    for (const Rule r : {Rule{0, 0}, Rule{64, 0}, Rule{0, 0.25}, Rule{-256, 0.5}, Rule{0, 1}, Rule{320, 0.125}}) {
      const int64_t k = rule_band_blocks(r, n);
      double kept = 0;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j <= i; ++j) kept += band_attends(k, i / 64, j / 64) ? 1 : 0;
      EXPECT_NEAR(rule_work_fraction(r, n), kept / (n * (n + 1) / 2.0), 1e-12) << n << " " << rule_text(r);
    }
  EXPECT_DOUBLE_EQ(rule_work_fraction({0, 1}, 4096), 1.0);
  // A long band keeping a fraction f of the keys computes about 2f - f^2 of the pairs, more than f.
  const double f = rule_density({-64, 0.25}, 32768);
  EXPECT_NEAR(f, 0.25, 1e-9);
  EXPECT_NEAR(rule_work_fraction({-64, 0.25}, 32768), 2 * f - f * f, 2e-3);
}

TEST(Rule, DefaultGrid) {
  const std::vector<int64_t> lengths = {2048, 4096, 8192};
  const auto grid = default_rule_grid(lengths);
  // alpha in {-2048..8192 step 1024}, beta in {0..1 step 1/8}; positive span at 2048 and
  // span <= N at all lengths leaves alpha <= (1-beta)*2048: 18 rules (counted by hand).
  EXPECT_EQ(grid.size(), 18u);
  for (const Rule& r : grid) {
    EXPECT_GT(rule_span(r, 2048), 0);
    for (int64_t n : lengths) EXPECT_LE(rule_span(r, n), double(n));
  }
  EXPECT_NE(std::find(grid.begin(), grid.end(), Rule{-1024, 0.625}), grid.end());
  EXPECT_NE(std::find(grid.begin(), grid.end(), Rule{1024, 0.5}), grid.end());  // 2048 <= 2048: kept
  EXPECT_EQ(std::find(grid.begin(), grid.end(), Rule{1024, 0.625}), grid.end());  // 2304 > 2048
}

// One validity rule: the grid keeps exactly what rule_check accepts, and says which length fails.
TEST(Rule, CheckNamesTheFault) {
  const std::vector<int64_t> lengths = {2048, 4096, 8192};
  EXPECT_TRUE(rule_check({1024, 0.5}, lengths).ok());  // span 2048 at 2048: the edge is allowed
  EXPECT_EQ(rule_check({-1e9, 0.5}, lengths).fault, RuleFault::span_not_positive);
  EXPECT_EQ(rule_check({-1e9, 0.5}, lengths).length, 2048);
  EXPECT_EQ(rule_check({-1024, 0.5}, lengths).fault, RuleFault::span_not_positive);  // span 0 at 2048
  EXPECT_TRUE(rule_check({-1024, 0.625}, lengths).ok());                            // span 256 at 2048
  const RuleCheck wide = rule_check({1024, 0.625}, lengths);  // 2304 > 2048
  EXPECT_EQ(wide.fault, RuleFault::span_above_length);
  EXPECT_EQ(wide.length, 2048);
  EXPECT_EQ(rule_check({0, 1.5}, lengths).fault, RuleFault::beta_outside_unit);
  EXPECT_EQ(rule_check({std::nan(""), 0.5}, lengths).fault, RuleFault::not_finite);
  // Without lengths only the length-free part applies (plan files).
  EXPECT_TRUE(rule_check({-1e9, 0.5}).ok());
  EXPECT_EQ(rule_check({0, -0.1}).fault, RuleFault::beta_outside_unit);
  EXPECT_NE(rule_fault_text({-1e9, 0.5}, rule_check({-1e9, 0.5}, lengths)).find("above 0 at the shortest length (2048)"),
            std::string::npos);
  // The grid is the candidates that pass.
  RuleGridSpec spec = default_grid_spec(lengths);
  spec.alpha_step = 512;
  for (const Rule& r : rule_grid(spec, lengths)) EXPECT_TRUE(rule_check(r, lengths).ok()) << rule_text(r);
  size_t passing = 0;
  for (double a = spec.alpha_min; a <= spec.alpha_max; a += spec.alpha_step)
    for (double b : spec.betas) passing += rule_check({a, b}, lengths).ok() ? 1 : 0;
  EXPECT_EQ(rule_grid(spec, lengths).size(), passing);
}

TEST(LossTable, HandComputed) {
  const Profile p = small_profile();
  const std::vector<Rule> rules = {{0, 0.25}, {64, 0.25}, {0, 1}};
  // Head 0 total 220; k=1 drops (2,1),(3,1),(3,2) = 22+32+33 = 87; k=2 drops (3,1) = 32.
  std::vector<float> head0(p.lengths.at(256).influence.begin(), p.lengths.at(256).influence.begin() + 16);
  EXPECT_DOUBLE_EQ(dropped_influence(head0.data(), 4, 1), 87.0);
  EXPECT_DOUBLE_EQ(dropped_influence(head0.data(), 4, 2), 32.0);
  const LossTable per_head = loss_table_build(p, rules, Granularity::head);
  EXPECT_EQ(per_head.num_units, 2);
  EXPECT_DOUBLE_EQ(per_head.loss_at(0, 0, 0, 0), 87.0);
  EXPECT_DOUBLE_EQ(per_head.loss_at(0, 0, 1, 0), 32.0);
  EXPECT_DOUBLE_EQ(per_head.loss_at(0, 0, 2, 0), 0.0);
  EXPECT_DOUBLE_EQ(per_head.loss_at(0, 1, 0, 0), 3.0);  // ones: 3 dropped blocks
  EXPECT_DOUBLE_EQ(per_head.loss_at(0, 1, 1, 0), 1.0);
  EXPECT_DOUBLE_EQ(per_head.density_at(1, 0), 0.75);
  const LossTable per_kv = loss_table_build(p, rules, Granularity::kv_head);
  EXPECT_EQ(per_kv.num_units, 1);
  EXPECT_DOUBLE_EQ(per_kv.loss_at(0, 0, 0, 0), 90.0);
  EXPECT_DOUBLE_EQ(per_kv.loss_at(0, 0, 1, 0), 33.0);
  EXPECT_DOUBLE_EQ(loss_table_total(per_head, {0, 1}, 0), 88.0);
  EXPECT_DOUBLE_EQ(loss_table_mean_density(per_head, {0, 1}, 0), 0.625);
}

TEST(Plan, ExpandBandBlocksDensity) {
  const Plan p = gqa_plan();
  const Plan h = plan_expand_to_heads(p);
  ASSERT_EQ(h.rules[0].size(), 4u);
  EXPECT_EQ(h.rules[0][1], (Rule{64, 0.25}));
  EXPECT_EQ(h.rules[0][2], (Rule{0, 1}));
  EXPECT_EQ(h.rules[1][3], (Rule{128, 0}));
  const auto k = plan_band_blocks(p, 256);
  EXPECT_EQ(k[0], (std::vector<int64_t>{2, 2, 4, 4}));
  EXPECT_EQ(k[1], (std::vector<int64_t>{1, 1, 2, 2}));  // (-64+128)/64 = 1; 128/64 = 2
  // densities: 0.75, 0.75, 1, 1, 0.5, 0.5, 0.75, 0.75 -> mean 0.75
  EXPECT_DOUBLE_EQ(plan_density(p, 256), 0.75);
  // Any positive length: its whole blocks, a partial last block counting as one (prompt + new
  // tokens in moa generate; was: refused unless a multiple of 64).
  for (int64_t n : {193, 200, 255}) EXPECT_EQ(plan_band_blocks(p, n), k) << n;
  EXPECT_EQ(plan_band_blocks(p, 1), plan_band_blocks(p, 64));
  EXPECT_THROW(plan_band_blocks(p, 0), moa::Error);
}

TEST(PlanFiles, RoundTrips) {
  const Plan p = gqa_plan();
  const Plan q = plan_from_json(plan_to_json(p), "x.moaplan.json");
  EXPECT_EQ(q.rules, p.rules);
  EXPECT_EQ(q.granularity, Granularity::kv_head);
  EXPECT_EQ(q.budgets, p.budgets);
  EXPECT_EQ(q.predicted_loss, p.predicted_loss);
  EXPECT_EQ(q.provenance.at("tool"), "test");
  const Plan r = plan_from_reference_json(plan_to_reference_json(p), "ref.json");
  EXPECT_EQ(r.rules, plan_expand_to_heads(p).rules);
  const Plan c = plan_from_csv(plan_to_csv(p, 3), "p.csv");
  EXPECT_EQ(c.rules, r.rules);
  const fs::path dir = fs::temp_directory_path() / ("moa_test_plan_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const char* name : {"a.moaplan.json", "a.json", "a.csv"}) {
    plan_write(dir / name, p, plan_format_from_path(dir / name));
    EXPECT_EQ(plan_expand_to_heads(plan_read(dir / name)).rules, r.rules) << name;
  }
  EXPECT_EQ(plan_to_csv(p).substr(0, 61), "plan_id,layer_id,head_id,alpha_value,beta_value\n0,0,0,64,0.25");
  fs::remove_all(dir);
}

TEST(PlanFiles, ClearErrors) {
  EXPECT_NE(error_of([] { plan_from_json("{\"version\": 1", "bad.moaplan.json"); }).find("bad.moaplan.json: malformed JSON"),
            std::string::npos);
  EXPECT_NE(error_of([] { plan_from_json("{\"version\": 1e999}", "big.moaplan.json"); }).find("big.moaplan.json: malformed JSON"),
            std::string::npos);
  std::string text = plan_to_json(gqa_plan());
  std::string no_rules = text;
  no_rules.replace(no_rules.find("\"rules\""), 7, "\"rulez\"");
  EXPECT_NE(error_of([&] { plan_from_json(no_rules, "p.json"); }).find("p.json: missing key 'rules'"), std::string::npos);
  std::string bad_rule = text;
  bad_rule.replace(bad_rule.find("\"granularity\": \"kv_head\""), 24, "\"granularity\": \"layer\"");
  EXPECT_NE(error_of([&] { plan_from_json(bad_rule, "p.json"); }).find("granularity"), std::string::npos);
  EXPECT_NE(error_of([] { plan_from_reference_json("{\"alphas\": [[1,2]], \"betas\": [[0.5]]}", "r.json"); })
                .find("r.json: layer 0 has 2 alphas and 1 betas"),
            std::string::npos);
  EXPECT_NE(error_of([] { plan_from_reference_json("{\"alphas\": [[1,\"x\"]], \"betas\": [[0.5,1]]}", "r.json"); })
                .find("key 'alphas[0][1]' must be a number"),
            std::string::npos);
  EXPECT_NE(error_of([] { plan_from_csv("plan_id,layer_id,head_id,alpha_value,beta_value\n0,0,1,3,0\n", "c.csv"); })
                .find("layer 0 head 0 is missing"),
            std::string::npos);
  const Plan p = gqa_plan();
  EXPECT_NE(error_of([&] { plan_validate(p, 3, 4, 2, "p.json"); }).find("plan has 2 layers but the model has 3"),
            std::string::npos);
  EXPECT_NE(error_of([&] { plan_validate(p, 2, 4, 1, "p.json"); }).find("KV heads"), std::string::npos);
  EXPECT_NO_THROW(plan_validate(p, 2, 4, 2, "p.json"));
}
