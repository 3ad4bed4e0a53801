// profile_run: calibration records -> influence per sample -> ProfileWriter, resumable.
#include <chrono>
#include <optional>
#include <thread>

#include "core/compat/torch_compat.h"
#include "core/model/llama.h"
#include "core/profile/influence.h"
#include "core/profile/profile.h"
#include "core/profile/profile_inputs.h"
#include "core/profile/profile_store.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/progress_formats.h"

namespace moa {

ProfileImplementation profile_implementation_from_name(const std::string& name) {
  if (name == "auto") return ProfileImplementation::Auto;
  if (name == "reference") return ProfileImplementation::Reference;
  if (name == "fused") return ProfileImplementation::Fused;
  throw Error("implementation must be auto, reference or fused (got '" + name + "')");
}

namespace {

// A finished profile can be hours of work: a file at `out` is continued or replaced only when
// the request says so, and a place that cannot be written is named before the model loads.
void check_out(const ProfileRequest& r) {
  if (r.out.empty()) throw Error("profile: no output file");
  if (r.resume && r.overwrite)
    throw Error("profile: resume and overwrite exclude each other (continue the file or replace it)");
  std::error_code ec;
  const bool exists = std::filesystem::exists(r.out, ec);
  if (!(exists && r.resume)) check_writable(r.out);
  if (exists && !r.resume && !r.overwrite)
    fail_file(r.out.string(), "already exists; continue it with --resume, or replace it with --overwrite "
                              "(its profile is then lost)");
}

void check_request(const ProfileRequest& r, const ModelConfig& c) {
  if (r.lengths.empty()) throw Error("profile: no lengths");
  if (r.samples < 1) throw Error("profile: samples must be at least 1");
  for (size_t i = 0; i < r.lengths.size(); ++i) {
    const int64_t n = r.lengths[i];
    if (n <= 0 || n % kBlockSize != 0)
      throw Error("profile: length " + std::to_string(n) + " is not a positive multiple of " + std::to_string(kBlockSize));
    if (n > c.max_position_embeddings)
      throw Error("profile: length " + std::to_string(n) + " is beyond the model's context (max_position_embeddings " +
                  std::to_string(c.max_position_embeddings) + ")");
    for (size_t j = 0; j < i; ++j)
      if (r.lengths[j] == n) throw Error("profile: length " + std::to_string(n) + " is listed twice");
  }
  compat::parse_device(r.device, "profile");  // before any work
}

struct Job {
  int64_t length;
  size_t record;
  CalibSequence seq;
  uint64_t digest;  // calib_sequence_digest(seq)
};

// A resumed file must hold this run's first samples of a length: the same record at every
// position, and the same tokens and answer span (another calibration file, an edited record,
// another tokenizer or chat template give other tokens under the same record numbers).
void check_resumed(const std::string& file, const LengthProfile& state, const std::vector<Job>& jobs) {
  const int64_t have = std::min<int64_t>(state.samples_done(), static_cast<int64_t>(jobs.size()));
  for (int64_t k = 0; k < have; ++k) {
    const Job& job = jobs[k];
    const std::string at = "length " + std::to_string(state.length) + ", sample " + std::to_string(k + 1);
    if (state.sample_ids[k] != static_cast<int64_t>(job.record))
      fail_file(file, "cannot resume: " + at + " was record " + std::to_string(state.sample_ids[k] + 1) +
                          ", this run's is record " + std::to_string(job.record + 1) + " (other calibration data?)");
    if (state.sample_digests[k] != job.digest)
      fail_file(file, "cannot resume: " + at + " (record " + std::to_string(job.record + 1) +
                          "): the calibration input differs from the one profiled into this file (other tokens or "
                          "answer span: another or edited calibration file, or another tokenizer or chat "
                          "template); profile into a new file, or replace this one (--overwrite)");
  }
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

}  // namespace

ProfileSummary profile_run(const ProfileRequest& req, const ProgressFn& progress) {
  const double t_start = now();
  check_out(req);
  auto ck = Checkpoint::open(req.model_dir);
  const ModelConfig& c = ck->config();
  check_request(req, c);
  if (req.device == "cpu")
    at::set_num_threads(req.threads > 0 ? req.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));

  // Everything that can be wrong with the inputs is found before the first sample runs.
  const std::string source = req.records.empty() ? req.calib_file.string() : std::string("calibration records");
  const std::vector<CalibRecord> records = req.records.empty() ? calib_read_jsonl(req.calib_file) : req.records;
  const CalibTokenizer tokenizer = CalibTokenizer::for_checkpoint(req.model_dir, c.vocab_size);
  std::vector<std::vector<Job>> jobs;
  for (int64_t n : req.lengths) {
    jobs.emplace_back();
    for (size_t i : calib_select(records, n, req.samples, source)) {
      const std::string where = source + ": record " + std::to_string(i + 1) + ", length " + std::to_string(n) + ": ";
      CalibSequence seq = calib_sequence(records[i], tokenizer, n, where);
      for (int32_t id : seq.input_ids)
        if (id < 0 || id >= c.vocab_size)
          throw Error(where + "token id " + std::to_string(id) + " is outside the model's vocabulary");
      const uint64_t digest = calib_sequence_digest(seq);
      jobs.back().push_back({n, i, std::move(seq), digest});
    }
  }

  // What the numbers depend on besides model and input, recorded in the file and compared on
  // resume. The effective dtype, not the option: CPU runs default to float32 (bf16 matmuls
  // are slow on CPUs), CUDA runs to the checkpoint's dtype.
  const at::Device device = compat::parse_device(req.device, "profile");
  DType dtype = device.is_cpu() ? DType::F32 : ck->weight_dtype();
  if (req.dtype) dtype = dtype_from_torch_name(*req.dtype);
  if (!dtype_is_float(dtype))
    throw Error(std::string("profile: dtype must be a floating-point type (got ") + dtype_torch_name(dtype) + ")");
  // Before any file is touched (an --overwrite would otherwise empty the old profile first).
  if (device.is_cpu() && dtype == DType::F16 && !compat::cpu_half_matmul())
    throw Error("profile: float16 compute on CPU is not supported by this LibTorch (no float16 matrix multiply on "
                "CPU); use --dtype float32 or bfloat16");
  const bool reference = req.implementation == ProfileImplementation::Reference;

  ProfileMeta meta;
  meta.model_name = ck->name();
  meta.model_hash = ck->content_hash();
  meta.num_layers = static_cast<int>(c.num_layers);
  meta.num_heads = static_cast<int>(c.num_heads);
  meta.num_kv_heads = static_cast<int>(c.num_kv_heads);
  meta.head_dim = static_cast<int>(c.head_dim);
  meta.tool_version = std::string("moa ") + MOA_VERSION;
  meta.calib_file = req.records.empty() ? req.calib_file.string() : std::string("(records)");
  meta.compute_dtype = dtype_torch_name(dtype);
  meta.implementation = reference ? "reference" : "fused";
  meta.device = device.is_cpu() ? "cpu" : "cuda";

  // A resume is checked before the model loads; a new file is created after it, so that a
  // model that fails to load leaves the file at `out` (replaced only then) as it was.
  std::optional<ProfileWriter> writer;
  if (req.resume && std::filesystem::exists(req.out)) {
    writer.emplace(req.out, meta, req.lengths, req.samples, true, [&](const LengthProfile& state) {
      for (const auto& per_length : jobs)
        if (per_length.front().length == state.length) check_resumed(req.out.string(), state, per_length);
    });
  }
  int64_t total = 0, done = 0;
  for (const auto& per_length : jobs) {
    total += static_cast<int64_t>(per_length.size());
    if (writer)
      done += std::min<int64_t>(writer->state(per_length.front().length).samples_done(),
                                static_cast<int64_t>(per_length.size()));
  }
  report(progress, total ? static_cast<double>(done) / total : 1.0, {progress_format::kLoadingModel, {ck->name()}});
  LlamaModel model(ck, device, to_scalar_type(dtype));
  // A new file is built as <out>.partial and moved over <out> once it holds a finished sample:
  // a run that ends before that (crash, kill, Stop) leaves an existing profile as it was
  // (--overwrite replaces it only then) and no sample-less file that a plain re-run trips on.
  std::filesystem::path staging;
  if (!writer) {
    staging = req.out;
    staging += ".partial";
    writer.emplace(staging, meta, req.lengths, req.samples, false);
  }
  struct StagingCleanup {
    std::optional<ProfileWriter>& writer;
    std::filesystem::path& staging;
    ~StagingCleanup() {
      if (staging.empty()) return;
      writer.reset();  // closes the file
      std::error_code ec;
      std::filesystem::remove(staging, ec);
    }
  } cleanup{writer, staging};

  ProfileSummary summary;
  for (const auto& per_length : jobs) {
    const int64_t n = per_length.front().length;
    for (size_t k = static_cast<size_t>(writer->state(n).samples_done()); k < per_length.size(); ++k) {
      const Job& job = per_length[k];
      InfluenceInput in;
      in.ids.assign(job.seq.input_ids.begin(), job.seq.input_ids.end());
      in.answer_begin = static_cast<int64_t>(job.seq.answer_begin);
      in.answer_end = static_cast<int64_t>(job.seq.answer_end);
      // length, sample, samples: the first arguments of every per-sample format.
      const std::vector<std::string> what = {std::to_string(n), std::to_string(k + 1), std::to_string(per_length.size())};
      auto with = [&what](std::string last) {
        std::vector<std::string> args = what;
        args.push_back(std::move(last));
        return args;
      };
      const double base = static_cast<double>(done) / total, step = 1.0 / total;
      const double layers = static_cast<double>(c.num_layers);
      auto tick = [&](int layer, const char* phase) {
        // forward: first half of the sample's share; backward (top layer first): second half.
        const bool fwd = std::string(phase) == "forward";
        const double within = fwd ? 0.5 * layer / layers : 0.5 + 0.5 * (layers - 1 - layer) / layers;
        report(progress, base + step * within,
               {fwd ? progress_format::kProfileForward : progress_format::kProfileBackward, with(std::to_string(layer + 1))});
      };
      const InfluenceResult r = reference ? influence_reference(model, in, false, tick) : influence_fused(model, in, tick);
      report(progress, base + step, {progress_format::kProfileWriting, with(req.out.filename().string())});
      const auto pooled = r.pooled.contiguous();
      writer->add_sample(n, static_cast<int64_t>(job.record), job.digest, r.loss,
                         std::vector<float>(pooled.data_ptr<float>(), pooled.data_ptr<float>() + pooled.numel()));
      if (!staging.empty()) {
        writer->move_to(req.out);
        staging.clear();
      }
      ++done;
      ++summary.samples_done;
      report(progress, static_cast<double>(done) / total, {progress_format::kProfileSampleDone, with(std::to_string(r.loss))});
    }
  }
  summary.seconds = now() - t_start;
  return summary;
}

}  // namespace moa
