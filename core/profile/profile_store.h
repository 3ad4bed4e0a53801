#pragma once
// Profile files (*.moaprof.h5): pooled attention influence per layer, head and length.
// Schema: docs/formats.md ("Profile"). Torch-free: the GUI includes this header.
//
// Layout of one length's influence: [layers][heads][nb][nb] float32, row-major, nb = N/64,
// lower triangle meaningful (query block i >= key block j), upper triangle zero. It holds the
// MEAN over the samples done so far of sum_{(i,j) in block} |E[i,j]| (DESIGN §4).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace moa {

// Version 2 added what a resume must check: each sample's input digest and the settings that
// determine the numbers. Version 1 files still open for reading (and solving), not for resuming.
inline constexpr int kProfileSchemaVersion = 2;
inline constexpr int kProfileSchemaOldest = 1;
inline constexpr int kBlockSize = 64;
inline constexpr int kSinkSize = 64;

struct ProfileMeta {
  int schema_version = kProfileSchemaVersion;
  std::string model_name;
  std::string model_hash;  // content hash of the checkpoint (config + tensor table)
  int num_layers = 0;
  int num_heads = 0;     // query heads
  int num_kv_heads = 0;
  int head_dim = 0;
  int block_size = kBlockSize;
  int sink_size = kSinkSize;
  std::string tool_version;
  std::string calib_file;  // provenance
  // What determines the numbers besides model and input (schema 2; empty from version 1):
  // a resume must use the same, or its samples would not be those of one run.
  std::string compute_dtype;   // "float32", "bfloat16", ...: the dtype the model ran in
  std::string implementation;  // "reference" | "fused"
  std::string device;          // "cpu" | "cuda"
};

struct LengthProfile {
  int64_t length = 0;          // N, a multiple of 64
  int64_t samples_target = 0;  // how many samples the run asked for
  std::vector<int64_t> sample_ids;  // calibration record indices done, in order
  std::vector<double> sample_loss;  // answer loss of each done sample
  // Digest of each done sample's exact model input (calib_sequence_digest): how a resume
  // knows it continues the same calibration input. Empty in schema-1 files.
  std::vector<uint64_t> sample_digests;
  std::vector<float> influence;     // [L][H][nb][nb], mean over sample_ids
  int64_t blocks() const { return length / kBlockSize; }
  int64_t samples_done() const { return static_cast<int64_t>(sample_ids.size()); }
  // Index into influence.
  size_t at(int layer, int head, int64_t qb, int64_t kb, int num_heads) const {
    const int64_t nb = blocks();
    return ((static_cast<size_t>(layer) * num_heads + head) * nb + qb) * nb + kb;
  }
};

struct Profile {
  ProfileMeta meta;
  std::map<int64_t, LengthProfile> lengths;  // by N
};

// Reads a whole profile file, of this schema version or an older one still supported
// (meta.schema_version says which). Errors name the file and the problem (missing attribute,
// schema version from another release, dataset shape that disagrees with the attributes).
Profile profile_read(const std::filesystem::path& path);

// Writes a whole profile file atomically (temp file + rename), in meta.schema_version, or
// in version 1 when its samples have no input digests (read from a version-1 file, or
// synthetic): such a file is readable but never resumable, as no digest is made up.
void profile_write(const std::filesystem::path& path, const Profile& profile);

// Incremental writer used by the profiler: creates or opens (resume) the file, and after
// every sample makes the file consistent again (data first, flush, then samples_done).
class ProfileWriter {
 public:
  // Creates a new file (replacing any file there: the caller decides whether it may), or with
  // resume=true opens an existing one and checks that its meta (model hash, shape, compute
  // dtype, implementation, device) matches; throws with a clear message otherwise, and for a
  // version-1 file, which records nothing a resume could check the input against.
  // `check` sees each requested length the file already holds, as found (journal applied),
  // before anything is written: what it throws leaves the file as it was.
  using ResumeCheck = std::function<void(const LengthProfile&)>;
  ProfileWriter(const std::filesystem::path& path, const ProfileMeta& meta,
                const std::vector<int64_t>& lengths, int64_t samples_target, bool resume,
                const ResumeCheck& check = {});
  ~ProfileWriter();
  ProfileWriter(const ProfileWriter&) = delete;
  ProfileWriter& operator=(const ProfileWriter&) = delete;

  // Samples already done at a length (after resume).
  const LengthProfile& state(int64_t length) const;
  // Folds one sample's pooled influence ([L][H][nb][nb] sums of |E|) into the stored mean:
  // new = (old * k + x) / (k + 1), computed in float64 and stored as float32, so a resumed
  // run reproduces an uninterrupted one exactly. The record index and input digest go beside
  // it in the same commit.
  void add_sample(int64_t length, int64_t sample_id, uint64_t input_digest, double sample_loss,
                  const std::vector<float>& pooled);
  const std::filesystem::path& path() const { return path_; }
  // Moves the (open) file to `path` atomically (rename on one filesystem), replacing what is
  // there; later writes go to it. A new run is built beside its output and moved in place
  // once it holds a finished sample (profile_run).
  void move_to(const std::filesystem::path& path);

 private:
  struct Impl;
  Impl* impl_;
  std::filesystem::path path_;
};

}  // namespace moa
