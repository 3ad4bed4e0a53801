// The README main job, `moa pipeline`, end to end on the bundled demo model at small lengths:
// model-aligned calibration, profile, plans selected by validation, evaluation, report.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <string>

#include <nlohmann/json.hpp>

#include "core/data/calib.h"
#include "core/plan/plan.h"
#include "core/plan/loss_table.h"
#include "core/plan/plan_io.h"
#include "core/profile/profile_store.h"
#include "core/runtime/moa_cache.h"

namespace fs = std::filesystem;

namespace {

const fs::path kMoa = fs::path(MOA_BINARY_DIR) / "app" / "moa";
const fs::path kDemo = fs::path(MOA_SOURCE_DIR) / "resources" / "demo-model";

int run(const std::string& args, const fs::path& log) {
  std::string cmd = "'";  // appended piecewise: GCC 12's -Wrestrict misfires on "lit" + string&&
  cmd.append(kMoa.string()).append("' ").append(args).append(" > '").append(log.string()).append("' 2>&1");
  return std::system(cmd.c_str());
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// 2 layers x 4 query heads in 2 KV groups (the tiny fixture's shape), one rule per KV head.
moa::Plan two_layer_plan() {
  moa::Plan p;
  p.num_layers = 2;
  p.num_heads = 4;
  p.num_kv_heads = 2;
  p.granularity = moa::Granularity::kv_head;
  p.rules = {{{0, 1}, {1024, 0}}, {{0, 0.25}, {-64, 0.5}}};
  p.budgets = {{2048, 0.5}, {4096, 0.5}};
  return p;
}

TEST(PipelineCli, MainJobWithValidationSelectedPlans) {
  const fs::path out = fs::temp_directory_path() / ("moa_pipeline_cli_" + std::to_string(::getpid()));
  fs::remove_all(out);
  const fs::path log = out.string() + ".log";
  const int rc = run("pipeline --model '" + kDemo.string() + "' --out '" + out.string() +
                         "' --lengths 1024,2048 --samples 1 --budgets 0.5 --eval-lengths 2048 --eval-prompts 1 "
                         "--validate-records 1 --validate-length 2048 --threads 2",
                     log);
  ASSERT_EQ(rc, 0) << slurp(log);
  for (const char* f : {"calib.jsonl", "run.moaprof.h5", "plan_50.moaplan.json", "plan_50.reference.json", "plan_50.csv",
                        "eval_dense.json", "eval_uniform@0.50.json", "eval_moa@0.50.json", "report.md", "report.json"})
    EXPECT_TRUE(fs::exists(out / f)) << f;

  // Calibration: exactly the profiled lengths, each record's answer span inside its ids.
  const auto calib = moa::calib_read_jsonl(out / "calib.jsonl", {});
  ASSERT_EQ(calib.size(), 2u);
  for (const auto& r : calib) {
    ASSERT_TRUE(r.answer_span.has_value());
    EXPECT_EQ(static_cast<long long>(r.input_ids.size()), r.length);
    EXPECT_LT(r.answer_span->first, r.answer_span->second);
    EXPECT_LE(r.answer_span->second, r.input_ids.size());
    EXPECT_FALSE(r.answer.empty());
  }

  // The plan was chosen among the Pareto plans by validation and keeps the budget at every length.
  const moa::Plan plan = moa::plan_read(out / "plan_50.moaplan.json");
  ASSERT_TRUE(plan.provenance.count("selected_by"));
  EXPECT_NE(plan.provenance.at("selected_by").find("validation answer loss"), std::string::npos);
  ASSERT_EQ(plan.density.size(), 2u);
  for (const auto& [n, d] : plan.density) EXPECT_LE(d, 0.5 + 1e-9) << n;

  // The pipeline reports each plan's prefill work (kept causal pairs) next to its density.
  EXPECT_NE(slurp(log).find("prefill work"), std::string::npos);

  const std::string report = slurp(out / "report.md");
  for (const char* row : {"| dense |", "| uniform@0.50 |", "| moa@0.50 |"}) EXPECT_NE(report.find(row), std::string::npos) << row;
  fs::remove_all(out);
  fs::remove(log);
}

TEST(PipelineCli, RejectsBadOptionsBeforeAnyWork) {
  const fs::path log = fs::temp_directory_path() / ("moa_pipeline_bad_" + std::to_string(::getpid()) + ".log");
  EXPECT_NE(run("pipeline --model '" + kDemo.string() + "' --out /tmp/moa_pipeline_never --validate-records -1", log), 0);
  EXPECT_NE(slurp(log).find("--validate-records"), std::string::npos) << slurp(log);
  EXPECT_FALSE(fs::exists("/tmp/moa_pipeline_never"));  // refused before any work
  EXPECT_NE(run("pipeline --model '" + kDemo.string() + "' --out /tmp/moa_pipeline_never --device gpu0", log), 0);
  EXPECT_NE(slurp(log).find("--device must be cpu or cuda"), std::string::npos) << slurp(log);
  EXPECT_NE(run("pipeline --model '" + kDemo.string() + "' --out /tmp/moa_pipeline_never --lengths 1024,2048 "
                "--validate-records 1 --validate-length 512", log), 0);
  EXPECT_NE(slurp(log).find("--validate-length 512"), std::string::npos) << slurp(log);
  EXPECT_FALSE(fs::exists("/tmp/moa_pipeline_never"));
  // Found before the calibration, profile and solve stages (were: after them).
  for (const auto& [option, says] : {std::pair{"--eval-lengths 100", "--eval-lengths: LongEval: 93 tokens is too short"},
                                     std::pair{"--budgets 0.5,2", "--budgets: 2.000000 is not a KV fraction"},
                                     std::pair{"--lengths 1000", "--lengths: 1000 is not a positive multiple of 64"},
                                     std::pair{"--eval-prompts 0", "--eval-prompts must be at least 1"}}) {
    EXPECT_NE(run("pipeline --model '" + kDemo.string() + "' --out /tmp/moa_pipeline_never " + option, log), 0) << option;
    EXPECT_NE(slurp(log).find(says), std::string::npos) << slurp(log);
    EXPECT_FALSE(fs::exists("/tmp/moa_pipeline_never")) << option;
  }
  fs::remove(log);
}

// `moa plan info`: density and prefill work per length of a plan file, in both formats, and what
// it refuses.
TEST(PlanInfoCli, DensityAndWorkOfAPlanFile) {
  moa::Plan p = two_layer_plan();
  const fs::path dir = fs::temp_directory_path() / ("moa_plan_info_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path ours = dir / "p.moaplan.json", ref = dir / "p.reference.json", log = dir / "log.txt";
  moa::plan_write(ours, p, moa::PlanFormat::moa);
  moa::plan_write(ref, p, moa::PlanFormat::reference_json);
  for (const fs::path& file : {ours, ref}) {
    ASSERT_EQ(run("plan info '" + file.string() + "' --lengths 2048,4096 --per-layer", log), 0) << slurp(log);
    const std::string text = slurp(log);
    for (const int64_t n : {2048, 4096}) {
      char row[64];
      std::snprintf(row, sizeof row, "%-8lld %-8.4f %-8.4f", static_cast<long long>(n), moa::plan_density(p, n),
                    moa::plan_work_fraction(p, n));
      EXPECT_NE(text.find(row), std::string::npos) << row << "\n" << text;
    }
    EXPECT_NE(text.find("per layer at 4096"), std::string::npos) << text;
  }
  // With a model: the plan is checked against its shape and its per-KV-head cache is sized as the
  // engine sizes it (bf16), next to dense.
  const fs::path tiny = fs::path(MOA_SOURCE_DIR) / "tests" / "data" / "tiny_hf";  // 2 layers, 4 q / 2 KV heads, D 16
  ASSERT_EQ(run("plan info '" + ours.string() + "' --lengths 2048,4096 --model '" + tiny.string() + "'", log), 0) << slurp(log);
  for (const int64_t n : {2048, 4096}) {
    const moa::CacheLayout cache = moa::cache_layout_moa(moa::kv_band_blocks(moa::plan_band_blocks(p, n), 2), 16, n);
    char cells[64];
    std::snprintf(cells, sizeof cells, " %-18.1f %.3f", cache.bytes_per_sequence(2) / 1048576.0,
                  static_cast<double>(cache.bytes_per_sequence(2)) / static_cast<double>(cache.dense_bytes_per_sequence(2)));
    EXPECT_NE(slurp(log).find(cells), std::string::npos) << cells << "\n" << slurp(log);
  }
  moa::Plan other_shape = p;
  other_shape.num_layers = 3;
  other_shape.rules.push_back(p.rules[0]);
  moa::plan_write(dir / "three_layers.moaplan.json", other_shape, moa::PlanFormat::moa);
  EXPECT_NE(run("plan info '" + (dir / "three_layers.moaplan.json").string() + "' --model '" + tiny.string() + "'", log), 0);
  EXPECT_NE(slurp(log).find("3 layers"), std::string::npos) << slurp(log);
  // Without --lengths a plan of ours reports its budget lengths.
  ASSERT_EQ(run("plan info '" + ours.string() + "'", log), 0) << slurp(log);
  EXPECT_NE(slurp(log).find("\n4096 "), std::string::npos) << slurp(log);
  EXPECT_NE(run("plan info '" + ours.string() + "' --lengths 1000", log), 0);
  EXPECT_NE(slurp(log).find("1000 is not a positive multiple of 64"), std::string::npos) << slurp(log);
  std::ofstream(dir / "bad.json") << "{\"alphas\": [[0, ";
  EXPECT_NE(run("plan info '" + (dir / "bad.json").string() + "'", log), 0);
  EXPECT_NE(slurp(log).find("bad.json"), std::string::npos) << slurp(log);
  fs::remove_all(dir);
}

// `moa plan edit`: Studio's plan edits from the shell. A head's rule set, locks, checks at the
// plan's lengths, totals that follow the edit, and, with a profile, the predicted loss re-priced
// (checked against dropped_influence summed over the query heads by hand).
TEST(PlanEditCli, SetLockCheckAndReprice) {
  moa::Plan p = two_layer_plan();
  p.predicted_loss = {{2048, 1.0}, {4096, 1.0}};
  const fs::path dir = fs::temp_directory_path() / ("moa_plan_edit_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path in = dir / "p.moaplan.json", out = dir / "edited.moaplan.json", log = dir / "log.txt";
  moa::plan_write(in, p, moa::PlanFormat::moa);

  // Head 3 of layer 1 is KV head 1 (groups of 2).
  ASSERT_EQ(run("plan edit '" + in.string() + "' --set 1:3=512,0.125 --lock 0:1 --out '" + out.string() + "'", log), 0)
      << slurp(log);
  moa::Plan expect = p;
  expect.rules[1][1] = {512, 0.125};
  const moa::Plan edited = moa::plan_read(out);
  EXPECT_EQ(edited.rules, expect.rules);
  ASSERT_EQ(edited.locked.size(), 2u);
  EXPECT_TRUE(edited.locked[0][0]);
  EXPECT_FALSE(edited.locked[0][1]);
  for (const int64_t n : {2048, 4096}) EXPECT_DOUBLE_EQ(edited.density.at(n), moa::plan_density(expect, n)) << n;
  EXPECT_TRUE(edited.predicted_loss.empty());  // stale without a profile, and the output says so
  EXPECT_NE(slurp(log).find("predicted loss dropped"), std::string::npos) << slurp(log);
  char row[96];
  std::snprintf(row, sizeof row, "%.4f -> %.4f", moa::plan_density(p, 4096), moa::plan_density(expect, 4096));
  EXPECT_NE(slurp(log).find(row), std::string::npos) << row << "\n" << slurp(log);

  // Refused as Studio refuses the edit (rule_check at the plan's lengths); nothing written.
  const fs::path never = dir / "never.moaplan.json";
  EXPECT_NE(run("plan edit '" + in.string() + "' --set 0:0=4096,0.5 --out '" + never.string() + "'", log), 0);
  EXPECT_NE(slurp(log).find("at most N"), std::string::npos) << slurp(log);
  EXPECT_NE(run("plan edit '" + in.string() + "' --set 2:0=0,0.5 --out '" + never.string() + "'", log), 0);
  EXPECT_NE(slurp(log).find("out of range"), std::string::npos) << slurp(log);
  EXPECT_NE(run("plan edit '" + in.string() + "' --set 0:0=64 --out '" + never.string() + "'", log), 0);
  EXPECT_NE(slurp(log).find("LAYER:HEAD=ALPHA,BETA"), std::string::npos) << slurp(log);
  EXPECT_NE(run("plan edit '" + in.string() + "' --set 0:0=64abc,0.5 --out '" + never.string() + "'", log), 0);
  EXPECT_NE(slurp(log).find("LAYER:HEAD=ALPHA,BETA"), std::string::npos) << slurp(log);
  // Heads 0 and 1 share KV group 0: two rules for one unit is a mistake, not "the last wins".
  EXPECT_NE(run("plan edit '" + in.string() + "' --set 0:0=64,0.5 --set 0:1=128,0.5 --out '" + never.string() + "'", log), 0);
  EXPECT_NE(slurp(log).find("same KV group"), std::string::npos) << slurp(log);
  EXPECT_NE(run("plan edit '" + in.string() + "' --out '" + never.string() + "'", log), 0);
  EXPECT_NE(slurp(log).find("nothing to edit"), std::string::npos) << slurp(log);
  // A lock alone changes no rule: the predicted loss stays; --unlock after --lock.
  ASSERT_EQ(run("plan edit '" + in.string() + "' --lock 1:0 --lock 1:2 --unlock 1:2 --out '" + out.string() + "'", log), 0)
      << slurp(log);
  const moa::Plan locked = moa::plan_read(out);
  EXPECT_EQ(locked.predicted_loss, p.predicted_loss);
  EXPECT_EQ(locked.rules, p.rules);
  EXPECT_TRUE(locked.locked[1][0]);
  EXPECT_FALSE(locked.locked[1][1]);
  const fs::path ref = dir / "p.reference.json";
  moa::plan_write(ref, p, moa::PlanFormat::reference_json);  // carries no lengths
  EXPECT_NE(run("plan edit '" + ref.string() + "' --set 0:0=64,0.5 --out '" + never.string() + "'", log), 0);
  EXPECT_NE(slurp(log).find("--lengths"), std::string::npos) << slurp(log);
  EXPECT_FALSE(fs::exists(never));

  // With a profile: the predicted loss of the edited plan at each profiled length.
  moa::Profile prof;
  prof.meta.model_name = "edit-test";
  prof.meta.model_hash = "edit-test-1";
  prof.meta.num_layers = 2;
  prof.meta.num_heads = 4;
  prof.meta.num_kv_heads = 2;
  prof.meta.head_dim = 16;
  prof.meta.tool_version = "test";
  prof.meta.compute_dtype = "float32";
  prof.meta.implementation = "fused";
  prof.meta.device = "cpu";
  for (const int64_t n : {2048, 4096}) {
    moa::LengthProfile lp;
    lp.length = n;
    lp.samples_target = 1;
    lp.sample_ids = {0};
    lp.sample_digests = {0x5eedu};
    lp.sample_loss = {1.0};
    const int64_t nb = lp.blocks();
    lp.influence.assign(static_cast<size_t>(2 * 4 * nb * nb), 0.0f);
    for (int l = 0; l < 2; ++l)
      for (int h = 0; h < 4; ++h)
        for (int64_t qb = 0; qb < nb; ++qb)
          for (int64_t kb = 0; kb <= qb; ++kb)
            lp.influence[lp.at(l, h, qb, kb, 4)] = static_cast<float>((1 + l + h) / (1.0 + qb - kb));
    prof.lengths.emplace(n, std::move(lp));
  }
  const fs::path prof_path = dir / "p.moaprof.h5";
  moa::profile_write(prof_path, prof);
  ASSERT_EQ(run("plan edit '" + in.string() + "' --set 1:3=512,0.125 --profile '" + prof_path.string() + "' --out '" +
                    out.string() + "'", log), 0) << slurp(log);
  const moa::Plan priced = moa::plan_read(out);
  EXPECT_EQ(priced.provenance.at("repriced_with"), prof_path.string());
  // A reference file states no lengths: the profile's serve, for the check and the price.
  const fs::path ref_out = dir / "ref_edited.moaplan.json";
  ASSERT_EQ(run("plan edit '" + ref.string() + "' --set 1:3=512,0.125 --profile '" + prof_path.string() + "' --out '" +
                    ref_out.string() + "'", log), 0) << slurp(log);
  EXPECT_EQ(moa::plan_read(ref_out).predicted_loss.size(), 2u);
  // moa solve --lock parses heads the same way (shared parser): the locked rule lands on the
  // head's KV group; a rule with trailing characters is refused.
  const fs::path solved = dir / "solved.moaplan.json";
  ASSERT_EQ(run("solve --profile '" + prof_path.string() + "' --budget 0.6 --lock 1:3=512,0.125 --out '" + solved.string() + "'",
                log), 0) << slurp(log);
  EXPECT_EQ(moa::plan_read(solved).rules[1][1], (moa::Rule{512, 0.125}));
  EXPECT_NE(run("solve --profile '" + prof_path.string() + "' --budget 0.6 --lock 1:3=512,0.125x --out '" + never.string() + "'",
                log), 0);
  EXPECT_NE(slurp(log).find("with numbers"), std::string::npos) << slurp(log);
  // A profile of another model is refused by name.
  moa::Plan other_model = p;
  other_model.model_hash = "someone-else";
  moa::plan_write(dir / "other.moaplan.json", other_model, moa::PlanFormat::moa);
  EXPECT_NE(run("plan edit '" + (dir / "other.moaplan.json").string() + "' --set 1:3=512,0.125 --profile '" +
                prof_path.string() + "' --out '" + never.string() + "'", log), 0);
  EXPECT_NE(slurp(log).find("someone-else"), std::string::npos) << slurp(log);
  for (const int64_t n : {2048, 4096}) {
    const moa::LengthProfile& lp = prof.lengths.at(n);
    const auto bands = moa::plan_band_blocks(expect, n);
    double want = 0;
    for (int l = 0; l < 2; ++l)
      for (int h = 0; h < 4; ++h) want += moa::dropped_influence(lp.influence.data() + lp.at(l, h, 0, 0, 4), lp.blocks(), bands[l][h]);
    ASSERT_TRUE(priced.predicted_loss.count(n)) << n;
    EXPECT_NEAR(priced.predicted_loss.at(n), want, 1e-9 * want) << n;
  }
  fs::remove_all(dir);
}

// Studio's accuracy preview, headless: `moa eval --demo-length N --prompts P` measures the
// same demo-task prompts (Studio's default seed) at the length and count asked for.
TEST(EvalCli, DemoTaskAtAChosenLengthAndPromptCount) {
  const fs::path base = fs::temp_directory_path() / ("moa_eval_demo_" + std::to_string(::getpid()));
  const fs::path out = base.string() + ".json", log = base.string() + ".log";
  ASSERT_EQ(run("eval --model '" + kDemo.string() + "' --dense --demo-length 1024 --prompts 2 --threads 2 --quiet --out '" +
                    out.string() + "'",
                log),
            0)
      << slurp(log);
  const auto j = nlohmann::json::parse(slurp(out));
  EXPECT_EQ(j.at("retrieval").at("overall").at("total").get<long long>(), 2);
  ASSERT_EQ(j.at("retrieval").at("by_level").size(), 1u);  // one length: the one asked for
  EXPECT_EQ(j.at("retrieval").at("by_level")[0].at("level").get<long long>(), 1024);
  EXPECT_NE(run("eval --model '" + kDemo.string() + "' --dense --demo-length 1024 --prompts 0", log), 0);
  EXPECT_NE(slurp(log).find("--prompts"), std::string::npos) << slurp(log);
  EXPECT_NE(run("eval --model '" + kDemo.string() + "' --dense --prompts 3", log), 0);  // no data to count
  EXPECT_NE(slurp(log).find("--demo-length"), std::string::npos) << slurp(log);
  fs::remove(out);
  fs::remove(log);
}

}  // namespace

// Bad input found by a review, each refused with the file or option named (before: a raw JSON
// library error, a model tokenizer mismatch reported as "token id outside the vocabulary", a
// repeated option silently taking its first value, an existing folder overwritten).
TEST(Cli, BadInputIsRefusedNamingIt) {
  const fs::path dir = fs::temp_directory_path() / ("moa_cli_bad_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path log = dir / "log";
  // The demo model with another model's tokenizer (ids up to 271 for a 259-token vocabulary).
  const fs::path mixed = dir / "mixed";
  fs::create_directories(mixed);
  fs::copy_file(kDemo / "config.json", mixed / "config.json");
  fs::create_symlink(fs::absolute(kDemo / "model.safetensors"), mixed / "model.safetensors");
  fs::copy_file(fs::path(MOA_SOURCE_DIR) / "tests/data/tokenizer/spm_tiny.json", mixed / "tokenizer.json");
  EXPECT_NE(run("eval --model '" + mixed.string() + "' --dense --demo-length 1024 --quiet", log), 0);
  EXPECT_NE(slurp(log).find((mixed / "tokenizer.json").string() + ": has token ids up to"), std::string::npos) << slurp(log);
  EXPECT_NE(slurp(log).find("vocab_size is 259"), std::string::npos) << slurp(log);
  // moa report: a non-result file, and a field of the wrong type.
  { std::ofstream(dir / "list.json") << "[]"; }
  { std::ofstream(dir / "typed.json") << R"({"label": "x", "mean_density": "half", "retrieval": {}})"; }
  EXPECT_NE(run("report '" + (dir / "list.json").string() + "'", log), 0);
  EXPECT_NE(slurp(log).find("list.json: not an eval result"), std::string::npos) << slurp(log);
  EXPECT_NE(run("report '" + (dir / "typed.json").string() + "'", log), 0);
  EXPECT_NE(slurp(log).find("typed.json: a field has the wrong type"), std::string::npos) << slurp(log);
  // An empty perplexity file, a repeated single-valued option, an existing checkpoint folder.
  { std::ofstream(dir / "empty.jsonl") << ""; }
  EXPECT_NE(run("eval --model '" + kDemo.string() + "' --dense --ppl '" + (dir / "empty.jsonl").string() + "'", log), 0);
  EXPECT_NE(slurp(log).find("empty.jsonl: no records"), std::string::npos) << slurp(log);
  EXPECT_NE(run("logits --model '" + kDemo.string() + "' --model '" + kDemo.string() + "' --ids 1", log), 0);
  EXPECT_NE(slurp(log).find("--model is given 2 times"), std::string::npos) << slurp(log);
  EXPECT_NE(run("init-checkpoint --shape tiny --out '" + mixed.string() + "'", log), 0);
  EXPECT_NE(slurp(log).find("exists and is not empty"), std::string::npos) << slurp(log);
  EXPECT_TRUE(fs::exists(mixed / "tokenizer.json"));  // untouched
  fs::remove_all(dir);
}
