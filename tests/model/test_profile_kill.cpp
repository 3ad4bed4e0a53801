// Kill and resume a real `moa profile` process (issue 5): SIGKILL after some samples, then
// `--resume` must finish to exactly the file an uninterrupted run writes; repeating the
// command without --resume or --overwrite must leave the finished file alone.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/model/checkpoint.h"
#include "core/profile/calib_build.h"
#include "core/profile/profile_store.h"

namespace fs = std::filesystem;

namespace {

const fs::path kMoa = fs::path(MOA_BINARY_DIR) / "app" / "moa";

std::vector<std::string> profile_args(const fs::path& dir, const fs::path& out) {
  return {kMoa.string(), "profile", "--model", (dir / "model").string(), "--calib", (dir / "calib.jsonl").string(),
          "--lengths", "1024", "--samples", "5", "--out", out.string(), "--threads", "2", "--quiet"};
}

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Exit status; `err` (if given) receives stderr.
int run_to_end(std::vector<std::string> args, std::string* err = nullptr) {
  std::string cmd;
  for (const auto& a : args) cmd += "'" + a + "' ";
  const fs::path log = fs::temp_directory_path() / ("moa_profile_kill_" + std::to_string(::getpid()) + ".err");
  const int status = std::system((cmd + "> /dev/null 2> '" + log.string() + "'").c_str());
  if (err) *err = file_bytes(log);
  fs::remove(log);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

pid_t start(const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int64_t samples_done(const fs::path& file) {
  try {
    return moa::profile_read(file).lengths.at(1024).samples_done();
  } catch (const std::exception&) {
    return -1;  // not created yet, or caught between HDF5 writes
  }
}

}  // namespace

TEST(ProfileKill, ResumeAfterSigkillEqualsAnUninterruptedRun) {
  ASSERT_TRUE(fs::exists(kMoa)) << "build the moa CLI first: " << kMoa;
  // The writer holds the file; reading it while it runs needs HDF5's file locking off here.
  setenv("HDF5_USE_FILE_LOCKING", "FALSE", 1);
  const auto dir = fs::temp_directory_path() / ("moa_profile_kill_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto cfg = moa::config_preset("tiny");
  cfg.initializer_range = 0.1;
  moa::checkpoint_write_random(cfg, dir / "model", {});
  moa::calib_write_jsonl(dir / "calib.jsonl", moa::calib_build_demo({1024}, 5, 3));

  ASSERT_EQ(run_to_end(profile_args(dir, dir / "full.moaprof.h5")), 0);
  const auto full = moa::profile_read(dir / "full.moaprof.h5");

  const fs::path part = dir / "part.moaprof.h5";
  const pid_t pid = start(profile_args(dir, part));
  ASSERT_GT(pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (samples_done(part) < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run ended before it was killed";
  const int64_t at_kill = samples_done(part);
  std::cout << "killed with " << at_kill << " of 5 samples in the file\n";
  ASSERT_GE(at_kill, 2);
  ASSERT_LT(at_kill, 5);

  auto resume = profile_args(dir, part);
  resume.push_back("--resume");
  ASSERT_EQ(run_to_end(resume), 0);
  const auto resumed = moa::profile_read(part);
  const auto& a = full.lengths.at(1024);
  const auto& b = resumed.lengths.at(1024);
  EXPECT_EQ(b.samples_done(), 5);
  EXPECT_EQ(b.sample_ids, a.sample_ids);
  EXPECT_EQ(b.sample_loss, a.sample_loss);
  EXPECT_EQ(b.influence, a.influence);  // bitwise
  EXPECT_EQ(b.sample_digests, a.sample_digests);
  EXPECT_EQ(resumed.meta.model_hash, full.meta.model_hash);
  EXPECT_EQ(resumed.meta.compute_dtype, "float32");

  // The same command again, without --resume: refused, the finished profile untouched.
  const std::string finished = file_bytes(part);
  std::string err;
  EXPECT_EQ(run_to_end(profile_args(dir, part), &err), 1);
  EXPECT_NE(err.find(part.string() + ": already exists; continue it with --resume, or replace it with --overwrite"),
            std::string::npos)
      << err;
  EXPECT_EQ(file_bytes(part), finished);
  // --resume with another --dtype: refused, naming both.
  resume.insert(resume.end(), {"--dtype", "bfloat16"});
  EXPECT_EQ(run_to_end(resume, &err), 1);
  EXPECT_NE(err.find("cannot resume: compute_dtype in the file is 'float32' but this run has 'bfloat16'"),
            std::string::npos)
      << err;
  EXPECT_EQ(file_bytes(part), finished);
  // --overwrite replaces it with a new run (here: 2 samples instead of 5).
  auto again = profile_args(dir, part);
  *(std::find(again.begin(), again.end(), "--samples") + 1) = "2";
  again.push_back("--overwrite");
  ASSERT_EQ(run_to_end(again, &err), 0) << err;
  EXPECT_EQ(moa::profile_read(part).lengths.at(1024).samples_done(), 2);
}
