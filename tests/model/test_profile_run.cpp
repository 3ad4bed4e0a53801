// profile_run end to end on a tiny model (CPU): the file it writes, resume equals an
// uninterrupted run, what a resume refuses (other input, other settings), an existing file
// never replaced unasked, cancellation latency, and the errors users hit.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "core/model/checkpoint.h"
#include "core/profile/calib_build.h"
#include "core/profile/profile.h"
#include "core/profile/profile_inputs.h"
#include "core/profile/profile_store.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace fs = std::filesystem;

namespace {

fs::path scratch() {
  auto d = fs::temp_directory_path() / ("moa_profile_run_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

fs::path tiny(const std::string& name, uint64_t seed) {
  const auto d = scratch() / name;
  if (!fs::exists(d / "config.json")) {
    auto cfg = moa::config_preset("tiny");
    cfg.initializer_range = 0.1;
    moa::RandomCheckpointOptions opt;
    opt.seed = seed;
    moa::checkpoint_write_random(cfg, d, opt);
  }
  return d;
}

moa::ProfileRequest request(const std::string& out) {
  moa::ProfileRequest r;
  r.model_dir = tiny("model", 1);
  r.records = moa::calib_build_demo({1024}, 3, 7);
  r.lengths = {1024};
  r.samples = 3;
  r.out = scratch() / out;
  r.threads = 2;
  return r;
}

std::string error_of(const moa::ProfileRequest& r) {
  try {
    moa::profile_run(r, {});
  } catch (const moa::Error& e) {
    return e.what();
  }
  return "";
}

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A finished one-sample profile to resume onto.
moa::ProfileRequest one_sample(const std::string& out) {
  auto r = request(out);
  r.samples = 1;
  fs::remove(r.out);
  EXPECT_EQ(moa::profile_run(r, {}).samples_done, 1);
  r.samples = 3;
  r.resume = true;
  return r;
}

}  // namespace

TEST(ProfileRun, WritesTheProfileAndResumesToTheSameResult) {
  auto full = request("full.moaprof.h5");
  const auto summary = moa::profile_run(full, {});
  EXPECT_EQ(summary.samples_done, 3);
  const auto p = moa::profile_read(full.out);
  EXPECT_EQ(p.meta.model_hash, moa::Checkpoint::open(full.model_dir)->content_hash());
  EXPECT_EQ(p.meta.num_layers, 2);
  EXPECT_EQ(p.meta.num_kv_heads, 2);
  EXPECT_EQ(p.meta.schema_version, moa::kProfileSchemaVersion);
  EXPECT_EQ(p.meta.compute_dtype, "float32");  // the CPU default, recorded as used
  EXPECT_EQ(p.meta.implementation, "fused");   // what auto runs
  EXPECT_EQ(p.meta.device, "cpu");
  const auto& lp = p.lengths.at(1024);
  EXPECT_EQ(lp.samples_done(), 3);
  EXPECT_EQ(lp.sample_ids, (std::vector<int64_t>{0, 1, 2}));
  // Each sample's digest is that of exactly the tokens and answer span it ran on.
  ASSERT_EQ(lp.sample_digests.size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    moa::CalibSequence seq;
    seq.input_ids = full.records[k].input_ids;
    seq.answer_begin = full.records[k].answer_span->first;
    seq.answer_end = full.records[k].answer_span->second;
    EXPECT_EQ(lp.sample_digests[k], moa::calib_sequence_digest(seq)) << k;
  }
  ASSERT_EQ(lp.influence.size(), 2u * 4 * 16 * 16);
  EXPECT_GT(lp.influence[lp.at(1, 3, 15, 0, 4)], 0.0f);  // sink block of the last query block
  EXPECT_EQ(lp.influence[lp.at(1, 3, 0, 15, 4)], 0.0f);  // above the diagonal

  // Stop after the first sample (cancel), then resume: same file contents.
  auto part = request("part.moaprof.h5");
  int finished = 0;
  EXPECT_THROW(moa::profile_run(part,
                                [&](double, const std::string& msg) {
                                  if (msg.find(" done") != std::string::npos) ++finished;
                                  return finished < 1;
                                }),
               moa::Cancelled);
  EXPECT_EQ(moa::profile_read(part.out).lengths.at(1024).samples_done(), 1);
  part.resume = true;
  EXPECT_EQ(moa::profile_run(part, {}).samples_done, 2);
  const auto q = moa::profile_read(part.out);
  EXPECT_EQ(q.lengths.at(1024).influence, lp.influence);
  EXPECT_EQ(q.lengths.at(1024).sample_loss, lp.sample_loss);
  EXPECT_EQ(q.lengths.at(1024).sample_digests, lp.sample_digests);

  // Resuming with another model's checkpoint is refused, naming the hash.
  auto other = part;
  other.model_dir = tiny("other", 2);
  EXPECT_NE(error_of(other).find("model_hash"), std::string::npos) << error_of(other);
}

TEST(ProfileRun, ResumeRefusesOtherCalibrationInput) {
  auto r = one_sample("calib_changed.moaprof.h5");
  const std::string before = file_bytes(r.out);
  // The same record numbers, one token of record 1 changed: what an edited calibration file,
  // another tokenizer or another chat template gives. The record number check alone passed it.
  auto edited = r;
  edited.records[0].input_ids[100] ^= 1;
  const std::string e = error_of(edited);
  EXPECT_EQ(e.rfind(r.out.string() + ": cannot resume: length 1024, sample 1 (record 1): the calibration input "
                                     "differs from the one profiled into this file",
                    0),
            0u)
      << e;
  EXPECT_EQ(file_bytes(r.out), before);  // refused before anything was written
  // Other record numbers (a record for another length now comes first) are named as such.
  auto shifted = r;
  shifted.records.insert(shifted.records.begin(), moa::calib_build_demo({2048}, 1, 7).front());
  const std::string s = error_of(shifted);
  EXPECT_NE(s.find("cannot resume: length 1024, sample 1 was record 1, this run's is record 2"), std::string::npos) << s;
  EXPECT_EQ(file_bytes(r.out), before);
  // The same input continues.
  EXPECT_EQ(moa::profile_run(r, {}).samples_done, 2);
}

TEST(ProfileRun, ResumeRefusesOtherComputeSettings) {
  auto r = one_sample("settings.moaprof.h5");
  const std::string before = file_bytes(r.out);
  auto bf16 = r;
  bf16.dtype = "bfloat16";
  EXPECT_EQ(error_of(bf16), r.out.string() + ": cannot resume: compute_dtype in the file is 'float32' but this run has 'bfloat16'");
  auto reference = r;
  reference.implementation = moa::ProfileImplementation::Reference;
  EXPECT_EQ(error_of(reference), r.out.string() + ": cannot resume: implementation in the file is 'fused' but this run has 'reference'");
  EXPECT_EQ(file_bytes(r.out), before);
  // The effective dtype is compared, not the option: float32 is what the CPU default ran.
  auto explicit_f32 = r;
  explicit_f32.dtype = "float32";
  EXPECT_EQ(moa::profile_run(explicit_f32, {}).samples_done, 2);
}

TEST(ProfileRun, AnExistingFileIsReplacedOnlyWhenAsked) {
  auto r = one_sample("exists.moaprof.h5");
  r.resume = false;
  const std::string before = file_bytes(r.out);
  EXPECT_EQ(error_of(r), r.out.string() + ": already exists; continue it with --resume, or replace it with "
                                          "--overwrite (its profile is then lost)");
  EXPECT_EQ(file_bytes(r.out), before);
  r.resume = r.overwrite = true;
  EXPECT_NE(error_of(r).find("resume and overwrite exclude each other"), std::string::npos);

  // Replacing waits for the model: one that fails to load (a NaN weight; same content hash)
  // leaves the old file as it was.
  r.resume = false;
  const fs::path broken = scratch() / "nan_model";
  fs::remove_all(broken);
  fs::copy(r.model_dir, broken);
  {
    std::fstream f(broken / "model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-4, std::ios::end);
    const uint32_t nan_bits = 0x7fc00000u;
    f.write(reinterpret_cast<const char*>(&nan_bits), 4);
  }
  auto nan_model = r;
  nan_model.model_dir = broken;
  const std::string e = error_of(nan_model);
  EXPECT_NE(e.find("nan"), std::string::npos) << e;
  EXPECT_EQ(file_bytes(r.out), before);

  EXPECT_EQ(moa::profile_run(r, {}).samples_done, 3);  // overwrite: a new run of 3 samples
  const auto p = moa::profile_read(r.out);
  EXPECT_EQ(p.lengths.at(1024).samples_done(), 3);
  EXPECT_NE(file_bytes(r.out), before);
}

TEST(ProfileRun, CancelsWithinASecond) {
  // Cancellation takes effect at the next progress call, so the bound is the longest gap
  // between calls (they come between layers and 256-row attention chunks).
  auto r = request("cancel.moaprof.h5");
  r.lengths = {2048};
  r.samples = 1;
  r.records = moa::calib_build_demo({2048}, 1, 7);
  auto last = std::chrono::steady_clock::now();
  double max_gap = 0;
  int calls = 0;
  std::string prev, gap_at;
  moa::profile_run(r, [&](double, const std::string& msg) {
    const auto t = std::chrono::steady_clock::now();
    const double gap = std::chrono::duration<double>(t - last).count();
    if (gap > max_gap) gap_at = "'" + prev + "' -> '" + msg + "'";
    max_gap = std::max(max_gap, gap);
    prev = msg;
    last = t;
    ++calls;
    return true;
  });
  std::cout << calls << " progress calls, longest gap " << max_gap << " s, " << gap_at << "\n";
  EXPECT_LT(max_gap, 1.0);
  int seen = 0;
  r.out = scratch() / "cancel2.moaprof.h5";
  EXPECT_THROW(moa::profile_run(r, [&](double, const std::string&) { return ++seen < calls / 2; }), moa::Cancelled);
  EXPECT_EQ(seen, calls / 2);
  // Stopped before its first sample: no file (a plain re-run is not blocked by an empty one),
  // and no staging file left beside it.
  EXPECT_FALSE(std::filesystem::exists(r.out));
  EXPECT_FALSE(std::filesystem::exists(r.out.string() + ".partial"));
  // --overwrite stopped before its first sample leaves the old profile as it was; finished, it
  // replaces it.
  r.out = scratch() / "cancel.moaprof.h5";
  r.overwrite = true;
  const std::string before = moa::read_text_file(r.out);
  seen = 0;
  EXPECT_THROW(moa::profile_run(r, [&](double, const std::string&) { return ++seen < calls / 2; }), moa::Cancelled);
  EXPECT_EQ(moa::read_text_file(r.out), before);
  r.records = moa::calib_build_demo({2048}, 2, 7);  // a run that differs: 2 samples where the old file has 1
  r.samples = 2;
  EXPECT_EQ(moa::profile_run(r, {}).samples_done, 2);
  EXPECT_EQ(moa::profile_read(r.out).lengths.at(2048).samples_done(), 2);
  EXPECT_FALSE(std::filesystem::exists(r.out.string() + ".partial"));
}

TEST(ProfileRun, ClearErrors) {
  auto r = request("errors.moaprof.h5");
  r.lengths = {1000};
  EXPECT_NE(error_of(r).find("not a positive multiple of 64"), std::string::npos);
  r.lengths = {8192};  // tiny's max_position_embeddings is 4096
  EXPECT_NE(error_of(r).find("beyond the model's context"), std::string::npos);
  r.lengths = {2048};  // records built for 1024 do not serve 2048
  EXPECT_NE(error_of(r).find("usable at length 2048"), std::string::npos);
  auto records = r.records;
  for (auto& rec : records) {
    rec.length.reset();
    rec.input_ids.clear();
    rec.answer_span.reset();
  }
  r.records = records;  // no length: re-assembled from text, and too short for 2048
  const std::string e = error_of(r);
  EXPECT_NE(e.find("shorter than the profile length 2048"), std::string::npos) << e;
  r = request("errors.moaprof.h5");
  r.samples = 4;
  EXPECT_NE(error_of(r).find("4 samples were asked for"), std::string::npos);
}

TEST(CalibBuild, DemoRecordsAreExactlyTheLengthWithTheAnswerSpan) {
  for (const auto& r : moa::calib_build_demo({1024, 2048}, 3, 11)) {
    ASSERT_TRUE(r.length && r.answer_span);
    EXPECT_EQ(static_cast<long long>(r.input_ids.size()), *r.length);
    const auto [a, b] = *r.answer_span;
    EXPECT_EQ(b, r.input_ids.size());
    std::string answer;
    for (size_t i = a; i < b; ++i) answer.push_back(static_cast<char>(r.input_ids[i]));
    EXPECT_EQ(answer, r.answer);
    EXPECT_EQ(r.input_ids[0], 256);  // BOS of the byte vocabulary
  }
}

TEST(CalibBuild, TheModelAnswersAndContextsFitEachLength) {
  const auto dir = scratch();
  std::vector<moa::CalibRecord> docs(2);
  for (size_t i = 0; i < docs.size(); ++i) {
    for (int line = 0; line < 200; ++line) docs[i].context += "line " + std::to_string(line * 7 + i) + " is here\n";
    docs[i].question = "What is line 3?";
  }
  docs[1].answer = " ready-made";  // kept as given
  moa::calib_write_jsonl(dir / "docs.jsonl", docs);
  moa::CalibBuildRequest req;
  req.model_dir = tiny("model", 1);
  req.input = dir / "docs.jsonl";
  req.lengths = {512, 1024};
  req.max_new_tokens = 4;
  const auto built = moa::calib_build(req, {});
  ASSERT_EQ(built.records.size(), 4u);
  EXPECT_EQ(built.skipped_short, 0);
  for (const auto& r : built.records) {
    EXPECT_EQ(static_cast<long long>(r.input_ids.size()), *r.length);
    const auto [a, b] = *r.answer_span;
    EXPECT_GT(b, a);
    EXPECT_LE(b - a, 11u);
  }
  EXPECT_EQ(built.records[1].answer, " ready-made");
  EXPECT_EQ(built.records[0].answer_span->second - built.records[0].answer_span->first, 4u);  // 4 greedy tokens
  // The profiler accepts them as they are.
  auto r = request("built.moaprof.h5");
  r.records = built.records;
  r.lengths = {512};
  r.samples = 2;
  EXPECT_EQ(moa::profile_run(r, {}).samples_done, 2);
}
