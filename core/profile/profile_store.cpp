// Profile store: the HDF5 file behind *.moaprof.h5 (schema in docs/formats.md).
//
// Crash safety: a profile run may be killed at any moment. Datasets are allocated up front
// (but `pending_influence`, created with a length's first sample, and the sample datasets,
// extended when a run asks for more samples than they hold), and each sample is committed in three
// flushed steps: (1) the new mean goes to `pending_influence` plus the sample's id, input
// digest and loss, then attribute `pending_done` = k+1; (2) the new mean overwrites
// `influence`; (3) `samples_done` = k+1. A reader that finds pending_done == samples_done + 1
// rolls forward from the journal; otherwise `influence` already matches samples_done.
#include "core/profile/profile_store.h"

#include <cmath>
#include <cstring>
#include <set>

#include "core/profile/h5_util.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace moa {

namespace {

using h5::Handle;

constexpr const char* kFormat = "moa-profile";

// Version 2 introduced the input digests and the compute settings.
bool has_digests(const ProfileMeta& m) { return m.schema_version >= 2; }

std::string group_name(int64_t length) { return "len_" + std::to_string(length); }

void check_length(const std::string& file, int64_t length) {
  if (length <= 0 || length % kBlockSize != 0)
    fail_file(file, "length " + std::to_string(length) + " is not a positive multiple of " +
                        std::to_string(kBlockSize));
}

size_t influence_size(const ProfileMeta& m, int64_t length) {
  const size_t nb = static_cast<size_t>(length / kBlockSize);
  return static_cast<size_t>(m.num_layers) * m.num_heads * nb * nb;
}

void flush(hid_t file) { H5Fflush(file, H5F_SCOPE_GLOBAL); }

Handle open_file(const std::filesystem::path& path, bool writable) {
  h5::quiet_errors();
  const std::string file = path.string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail_file(file, "no such file");
  if (H5Fis_hdf5(file.c_str()) <= 0) fail_file(file, "not an HDF5 file");
  Handle f(H5Fopen(file.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!f.valid()) {
    h5::clear_errors();
    fail_file(file, "cannot open as HDF5 (truncated or corrupt file?)");
  }
  return f;
}

void write_meta(hid_t f, const ProfileMeta& m) {
  h5::write_attr_i64(f, "schema_version", m.schema_version);
  h5::write_attr_str(f, "format", kFormat);
  h5::write_attr_str(f, "model_name", m.model_name);
  h5::write_attr_str(f, "model_hash", m.model_hash);
  h5::write_attr_i64(f, "num_layers", m.num_layers);
  h5::write_attr_i64(f, "num_heads", m.num_heads);
  h5::write_attr_i64(f, "num_kv_heads", m.num_kv_heads);
  h5::write_attr_i64(f, "head_dim", m.head_dim);
  h5::write_attr_i64(f, "block_size", m.block_size);
  h5::write_attr_i64(f, "sink_size", m.sink_size);
  h5::write_attr_str(f, "tool_version", m.tool_version);
  h5::write_attr_str(f, "calib_file", m.calib_file);
  if (has_digests(m)) {
    h5::write_attr_str(f, "compute_dtype", m.compute_dtype);
    h5::write_attr_str(f, "implementation", m.implementation);
    h5::write_attr_str(f, "device", m.device);
  }
}

ProfileMeta read_meta(hid_t f, const std::string& file) {
  ProfileMeta m;
  const std::string fmt = h5::read_attr_str(f, "format", file, "/");
  if (fmt != kFormat) fail_file(file, "attribute '/format' is '" + fmt + "', expected '" + kFormat + "'");
  m.schema_version = static_cast<int>(h5::read_attr_i64(f, "schema_version", file, "/"));
  if (m.schema_version < kProfileSchemaOldest || m.schema_version > kProfileSchemaVersion)
    fail_file(file, "profile schema_version " + std::to_string(m.schema_version) +
                        " is from another release (this build reads versions " +
                        std::to_string(kProfileSchemaOldest) + " to " + std::to_string(kProfileSchemaVersion) + ")");
  m.model_name = h5::read_attr_str(f, "model_name", file, "/");
  m.model_hash = h5::read_attr_str(f, "model_hash", file, "/");
  auto dim = [&](const char* name) {
    const int64_t v = h5::read_attr_i64(f, name, file, "/");
    if (v <= 0) fail_file(file, std::string("attribute '/") + name + "' must be positive");
    return static_cast<int>(v);
  };
  m.num_layers = dim("num_layers");
  m.num_heads = dim("num_heads");
  m.num_kv_heads = dim("num_kv_heads");
  m.head_dim = dim("head_dim");
  m.block_size = dim("block_size");
  m.sink_size = dim("sink_size");
  if (m.block_size != kBlockSize || m.sink_size != kSinkSize)
    fail_file(file, "block_size/sink_size " + std::to_string(m.block_size) + "/" +
                        std::to_string(m.sink_size) + " unsupported (expected 64/64)");
  if (m.num_heads % m.num_kv_heads != 0)
    fail_file(file, "num_heads " + std::to_string(m.num_heads) +
                        " is not a multiple of num_kv_heads " + std::to_string(m.num_kv_heads));
  m.tool_version = h5::read_attr_str(f, "tool_version", file, "/");
  m.calib_file = h5::read_attr_str(f, "calib_file", file, "/");
  if (has_digests(m)) {
    m.compute_dtype = h5::read_attr_str(f, "compute_dtype", file, "/");
    m.implementation = h5::read_attr_str(f, "implementation", file, "/");
    m.device = h5::read_attr_str(f, "device", file, "/");
  }
  return m;
}

void check_meta_match(const ProfileMeta& have, const ProfileMeta& want, const std::string& file) {
  // Continuing a file whose samples carry no digests would mix in whatever input this run
  // has, unseen: such a file stays readable, but a run can only replace it.
  if (!has_digests(have))
    fail_file(file, "cannot resume: the file has profile schema_version " + std::to_string(have.schema_version) +
                        ", which records no digest of each sample's input nor the compute dtype, so this run "
                        "cannot check that it continues the same calibration input; the file still opens for "
                        "viewing and solving: profile again into a new file, or replace this one (--overwrite)");
  auto mismatch = [&](const std::string& what, const std::string& a, const std::string& b) {
    fail_file(file, "cannot resume: " + what + " in the file is '" + a + "' but this run has '" +
                        b + "'");
  };
  if (have.model_hash != want.model_hash) mismatch("model_hash", have.model_hash, want.model_hash);
  auto num = [&](const char* what, int a, int b) {
    if (a != b) mismatch(what, std::to_string(a), std::to_string(b));
  };
  num("num_layers", have.num_layers, want.num_layers);
  num("num_heads", have.num_heads, want.num_heads);
  num("num_kv_heads", have.num_kv_heads, want.num_kv_heads);
  num("head_dim", have.head_dim, want.head_dim);
  // The numbers of one run: another dtype, implementation or device rounds differently
  // (bf16 against float32 materially), and a resumed file must equal an uninterrupted run.
  if (have.compute_dtype != want.compute_dtype) mismatch("compute_dtype", have.compute_dtype, want.compute_dtype);
  if (have.implementation != want.implementation)
    mismatch("implementation", have.implementation, want.implementation);
  if (have.device != want.device) mismatch("device", have.device, want.device);
}

Handle create_1d(hid_t g, const char* name, hid_t file_type, hsize_t capacity) {
  const hsize_t maxdim = H5S_UNLIMITED;
  Handle space(H5Screate_simple(1, &capacity, &maxdim), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  const hsize_t chunk = 256;
  H5Pset_chunk(dcpl.get(), 1, &chunk);
  H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY);
  Handle d(H5Dcreate2(g, name, file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT), H5Dclose);
  if (!d.valid()) throw Error(std::string("HDF5: cannot create dataset ") + name);
  return d;
}

// [L,H,nb,nb] float32, one chunk per (layer, head): the GUI reads single heads, and no
// compression so that rewriting the mean after each sample stays cheap.
Handle create_influence(hid_t g, const char* name, const ProfileMeta& m, int64_t length) {
  const hsize_t nb = static_cast<hsize_t>(length / kBlockSize);
  const hsize_t dims[4] = {hsize_t(m.num_layers), hsize_t(m.num_heads), nb, nb};
  const hsize_t chunk[4] = {1, 1, nb, nb};
  Handle space(H5Screate_simple(4, dims, nullptr), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(dcpl.get(), 4, chunk);
  H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY);
  const float zero = 0.0f;
  H5Pset_fill_value(dcpl.get(), H5T_NATIVE_FLOAT, &zero);
  Handle d(H5Dcreate2(g, name, H5T_IEEE_F32LE, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
           H5Dclose);
  if (!d.valid()) throw Error(std::string("HDF5: cannot create dataset ") + name);
  return d;
}

void create_length(hid_t f, const ProfileMeta& m, int64_t length, int64_t samples_target,
                   int64_t capacity) {
  Handle g(H5Gcreate2(f, group_name(length).c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!g.valid()) throw Error("HDF5: cannot create group " + group_name(length));
  h5::write_attr_i64(g.get(), "length", length);
  h5::write_attr_i64(g.get(), "samples_target", samples_target);
  h5::write_attr_i64(g.get(), "samples_done", 0);
  create_influence(g.get(), "influence", m, length);
  create_1d(g.get(), "sample_ids", H5T_STD_I64LE, hsize_t(capacity));
  if (has_digests(m)) create_1d(g.get(), "sample_digest", H5T_STD_U64LE, hsize_t(capacity));
  create_1d(g.get(), "sample_loss", H5T_IEEE_F64LE, hsize_t(capacity));
}

void ensure_capacity(hid_t g, const ProfileMeta& m, int64_t capacity) {
  std::vector<const char*> names = {"sample_ids", "sample_loss"};
  if (has_digests(m)) names.push_back("sample_digest");
  for (const char* name : names) {
    Handle d(H5Dopen2(g, name, H5P_DEFAULT), H5Dclose);
    if (h5::dataset_dims(d.get())[0] < hsize_t(capacity)) {
      const hsize_t dim = hsize_t(capacity);
      H5Dset_extent(d.get(), &dim);
    }
  }
}

void write_influence(hid_t g, const char* name, const std::vector<float>& data) {
  Handle d(H5Dopen2(g, name, H5P_DEFAULT), H5Dclose);
  if (H5Dwrite(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0)
    throw Error(std::string("HDF5: cannot write ") + name);
}

Handle open_dataset(hid_t g, const std::string& name, const std::string& file, const std::string& where) {
  if (H5Lexists(g, name.c_str(), H5P_DEFAULT) <= 0) fail_file(file, "missing dataset '" + where + name + "'");
  Handle d(H5Dopen2(g, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!d.valid()) fail_file(file, "cannot open dataset '" + where + name + "'");
  return d;
}

std::string dims_text(const std::vector<hsize_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

// Reads one length group; `rolled_forward` tells the writer that the journal was applied.
LengthProfile read_length(hid_t g, const ProfileMeta& m, int64_t name_length, const std::string& file,
                          bool* rolled_forward) {
  const std::string where = group_name(name_length) + "/";
  LengthProfile lp;
  lp.length = h5::read_attr_i64(g, "length", file, where);
  check_length(file, lp.length);
  if (lp.length != name_length)
    fail_file(file, "attribute '" + where + "length' is " + std::to_string(lp.length) +
                        " but the group name says " + std::to_string(name_length));
  lp.samples_target = h5::read_attr_i64(g, "samples_target", file, where);
  int64_t done = h5::read_attr_i64(g, "samples_done", file, where);
  if (done < 0 || lp.samples_target < 0)
    fail_file(file, "attribute '" + where + (done < 0 ? "samples_done' is " + std::to_string(done)
                                                       : "samples_target' is " + std::to_string(lp.samples_target)) +
                        ", must be >= 0 (corrupt file?)");
  const char* source = "influence";
  if (h5::has_attr(g, "pending_done") &&
      h5::read_attr_i64(g, "pending_done", file, where) == done + 1) {
    source = "pending_influence";  // killed between steps (1) and (3): roll forward
    done += 1;
    if (rolled_forward) *rolled_forward = true;
  }
  const int64_t nb = lp.blocks();
  const std::vector<hsize_t> want = {hsize_t(m.num_layers), hsize_t(m.num_heads), hsize_t(nb), hsize_t(nb)};
  for (const char* name : {"influence", source}) {
    Handle d = open_dataset(g, name, file, where);
    if (h5::dataset_dims(d.get()) != want)
      fail_file(file, "dataset '" + where + name + "' has shape " + dims_text(h5::dataset_dims(d.get())) +
                          " but the attributes say " + dims_text(want));
  }
  Handle inf = open_dataset(g, source, file, where);
  lp.influence.resize(influence_size(m, lp.length));
  if (H5Dread(inf.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, lp.influence.data()) < 0)
    fail_file(file, "cannot read dataset '" + where + source + "' (truncated file?)");
  // The profiler writes finite means only; a NaN or Inf would reach the solver as a loss.
  for (size_t i = 0; i < lp.influence.size(); ++i)
    if (!std::isfinite(lp.influence[i])) {
      const size_t b = size_t(nb), kb = i % b, qb = i / b % b, h = i / (b * b) % size_t(m.num_heads),
                   l = i / (b * b * size_t(m.num_heads));
      fail_file(file, "dataset '" + where + source + "' has a non-finite value (" + std::to_string(lp.influence[i]) +
                          ") at [" + std::to_string(l) + ", " + std::to_string(h) + ", " + std::to_string(qb) + ", " +
                          std::to_string(kb) + "] (layer, head, query block, key block)");
    }
  lp.sample_ids.resize(done);
  lp.sample_loss.resize(done);
  struct Column {
    const char* name;
    hid_t mem_type;
    void* data;
  };
  std::vector<Column> columns = {{"sample_ids", H5T_NATIVE_INT64, lp.sample_ids.data()},
                                 {"sample_loss", H5T_NATIVE_DOUBLE, lp.sample_loss.data()}};
  if (has_digests(m)) {
    lp.sample_digests.resize(done);
    columns.push_back({"sample_digest", H5T_NATIVE_UINT64, lp.sample_digests.data()});
  }
  for (const Column& c : columns) {
    Handle d = open_dataset(g, c.name, file, where);
    const auto dims = h5::dataset_dims(d.get());
    if (dims.size() != 1 || int64_t(dims[0]) < done)
      fail_file(file, "dataset '" + where + c.name + "' has shape " + dims_text(dims) + " but samples_done is " +
                          std::to_string(done));
    try {
      h5::read_prefix(d.get(), c.mem_type, c.data, hsize_t(done));
    } catch (const Error&) {
      fail_file(file, "cannot read dataset '" + where + c.name + "' (truncated file?)");
    }
  }
  return lp;
}

int64_t parse_group_length(const std::string& name) {
  if (name.rfind("len_", 0) != 0 || name.size() == 4) return -1;
  for (size_t i = 4; i < name.size(); ++i)
    if (name[i] < '0' || name[i] > '9') return -1;
  return std::stoll(name.substr(4));
}

std::vector<std::string> child_names(hid_t f) {
  H5G_info_t info{};
  H5Gget_info(f, &info);
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t n = H5Lget_name_by_idx(f, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    std::string s(size_t(n > 0 ? n : 0), '\0');
    H5Lget_name_by_idx(f, ".", H5_INDEX_NAME, H5_ITER_INC, i, s.data(), s.size() + 1, H5P_DEFAULT);
    names.push_back(s);
  }
  return names;
}

Profile read_all(hid_t f, const std::string& file) {
  Profile p;
  p.meta = read_meta(f, file);
  for (const std::string& name : child_names(f)) {
    const int64_t length = parse_group_length(name);
    if (length < 0) continue;  // other groups (rules, loss tables) are optional extras
    check_length(file, length);
    Handle g(H5Gopen2(f, name.c_str(), H5P_DEFAULT), H5Gclose);
    p.lengths[length] = read_length(g.get(), p.meta, length, file, nullptr);
  }
  return p;
}

void write_all(hid_t f, const Profile& profile) {
  ProfileMeta meta = profile.meta;
  if (meta.schema_version < kProfileSchemaOldest || meta.schema_version > kProfileSchemaVersion)
    throw Error("profile_write: cannot write profile schema_version " + std::to_string(meta.schema_version));
  // Samples without input digests (a synthetic profile, or one read from a version-1 file)
  // are what version 1 describes: written as such, the file stays readable and no resume
  // trusts digests nobody computed. Some lengths with digests and others without is a bug.
  bool with = false, without = false;
  for (const auto& [length, lp] : profile.lengths)
    if (!lp.sample_ids.empty()) (lp.sample_digests.empty() ? without : with) = true;
  if (without && with) throw Error("profile_write: some lengths have input digests, others none");
  if (without) meta.schema_version = 1;
  write_meta(f, meta);
  for (const auto& [length, lp] : profile.lengths) {
    check_length("profile", length);
    if (lp.influence.size() != influence_size(meta, length))
      throw Error("profile_write: length " + std::to_string(length) + " has " +
                  std::to_string(lp.influence.size()) + " influence values, expected " +
                  std::to_string(influence_size(meta, length)));
    if (lp.sample_loss.size() != lp.sample_ids.size())
      throw Error("profile_write: sample_ids and sample_loss differ in size");
    if (has_digests(meta) && lp.sample_digests.size() != lp.sample_ids.size())
      throw Error("profile_write: length " + std::to_string(length) + " has " + std::to_string(lp.sample_ids.size()) +
                  " samples but " + std::to_string(lp.sample_digests.size()) + " input digests");
    create_length(f, meta, length, lp.samples_target, lp.samples_done());
    Handle g(H5Gopen2(f, group_name(length).c_str(), H5P_DEFAULT), H5Gclose);
    write_influence(g.get(), "influence", lp.influence);
    Handle ids(H5Dopen2(g.get(), "sample_ids", H5P_DEFAULT), H5Dclose);
    Handle loss(H5Dopen2(g.get(), "sample_loss", H5P_DEFAULT), H5Dclose);
    h5::write_prefix(ids.get(), H5T_NATIVE_INT64, lp.sample_ids.data(), lp.sample_ids.size());
    h5::write_prefix(loss.get(), H5T_NATIVE_DOUBLE, lp.sample_loss.data(), lp.sample_loss.size());
    if (has_digests(meta)) {
      Handle digests(H5Dopen2(g.get(), "sample_digest", H5P_DEFAULT), H5Dclose);
      h5::write_prefix(digests.get(), H5T_NATIVE_UINT64, lp.sample_digests.data(), lp.sample_digests.size());
    }
    h5::write_attr_i64(g.get(), "samples_done", lp.samples_done());
  }
}

// Errors from deep helpers do not know the file name; add it once here.
[[noreturn]] void rethrow_with_file(const std::string& file, const Error& e) {
  h5::clear_errors();  // whatever HDF5 call failed on the way
  const std::string what = e.what();
  if (what.rfind(file + ":", 0) == 0) throw e;
  fail_file(file, what);
}

}  // namespace

Profile profile_read(const std::filesystem::path& path) {
  const std::string file = path.string();
  Handle f = open_file(path, false);
  try {
    return read_all(f.get(), file);
  } catch (const Error& e) {
    rethrow_with_file(file, e);
  }
}

void profile_write(const std::filesystem::path& path, const Profile& profile) {
  h5::quiet_errors();
  // Build the file in memory (core driver), then write it with tmp + fsync + rename.
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fapl_core(fapl.get(), 1 << 20, 0);
  const std::string image_name = path.filename().string() + ".image";
  Handle f(H5Fcreate(image_name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
  if (!f.valid()) fail_file(path.string(), "cannot create in-memory HDF5 image");
  try {
    write_all(f.get(), profile);
  } catch (const Error& e) {
    rethrow_with_file(path.string(), e);
  }
  flush(f.get());
  const ssize_t size = H5Fget_file_image(f.get(), nullptr, 0);
  if (size <= 0) fail_file(path.string(), "cannot serialise the HDF5 image");
  std::string bytes(size_t(size), '\0');
  H5Fget_file_image(f.get(), bytes.data(), bytes.size());
  write_file_atomic(path, bytes);
}

struct ProfileWriter::Impl {
  Handle file;
  ProfileMeta meta;
  std::map<int64_t, LengthProfile> state;
};

ProfileWriter::ProfileWriter(const std::filesystem::path& path, const ProfileMeta& meta,
                             const std::vector<int64_t>& lengths, int64_t samples_target, bool resume,
                             const ResumeCheck& check)
    : impl_(new Impl), path_(path) {
  const std::string file = path.string();
  try {
    h5::quiet_errors();
    if (meta.num_layers <= 0 || meta.num_heads <= 0 || meta.num_kv_heads <= 0 ||
        meta.num_heads % meta.num_kv_heads != 0)
      fail_file(file, "invalid model shape for a profile");
    for (int64_t n : lengths) check_length(file, n);
    impl_->meta = meta;
    impl_->meta.schema_version = kProfileSchemaVersion;
    impl_->meta.block_size = kBlockSize;
    impl_->meta.sink_size = kSinkSize;
    std::set<int64_t> rolled;  // lengths whose journal was applied on reading
    if (resume) {
      // Every check runs on a read-only handle: a refused resume leaves the file as it was.
      {
        const Handle ro = open_file(path, false);
        const ProfileMeta have = read_meta(ro.get(), file);
        check_meta_match(have, impl_->meta, file);
        impl_->meta = have;
        for (int64_t n : lengths) {
          if (H5Lexists(ro.get(), group_name(n).c_str(), H5P_DEFAULT) <= 0) continue;
          Handle g(H5Gopen2(ro.get(), group_name(n).c_str(), H5P_DEFAULT), H5Gclose);
          bool journal = false;
          LengthProfile lp = read_length(g.get(), impl_->meta, n, file, &journal);
          if (check) check(lp);
          if (journal) rolled.insert(n);
          impl_->state[n] = std::move(lp);
        }
      }
      impl_->file = open_file(path, true);
    } else {
      impl_->file = Handle(H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
      if (!impl_->file.valid()) fail_file(file, "cannot create HDF5 file");
      write_meta(impl_->file.get(), impl_->meta);
    }
    const hid_t f = impl_->file.get();
    for (int64_t n : lengths) {
      const std::string gname = group_name(n);
      if (!impl_->state.count(n)) {  // new to the file
        create_length(f, impl_->meta, n, samples_target, samples_target);
        Handle g(H5Gopen2(f, gname.c_str(), H5P_DEFAULT), H5Gclose);
        impl_->state[n] = read_length(g.get(), impl_->meta, n, file, nullptr);
      }
      Handle g(H5Gopen2(f, gname.c_str(), H5P_DEFAULT), H5Gclose);
      LengthProfile& lp = impl_->state[n];
      if (rolled.count(n)) {  // make the journal's sample permanent before continuing
        write_influence(g.get(), "influence", lp.influence);
        flush(f);
        h5::write_attr_i64(g.get(), "samples_done", lp.samples_done());
      }
      lp.samples_target = std::max(samples_target, lp.samples_done());
      h5::write_attr_i64(g.get(), "samples_target", lp.samples_target);
      ensure_capacity(g.get(), impl_->meta, lp.samples_target);
    }
    flush(f);
  } catch (const Error& e) {
    delete impl_;
    rethrow_with_file(file, e);
  } catch (...) {  // from `check`
    delete impl_;
    throw;
  }
}

ProfileWriter::~ProfileWriter() {
  if (impl_->file.valid()) flush(impl_->file.get());
  delete impl_;
}

const LengthProfile& ProfileWriter::state(int64_t length) const {
  auto it = impl_->state.find(length);
  if (it == impl_->state.end())
    fail_file(path_.string(), "length " + std::to_string(length) + " is not part of this profile run");
  return it->second;
}

void ProfileWriter::move_to(const std::filesystem::path& path) {
  flush(impl_->file.get());
  std::error_code ec;
  std::filesystem::rename(path_, path, ec);
  if (ec) fail_file(path.string(), "cannot move the new profile " + path_.string() + " here: " + ec.message());
  path_ = path;
}

void ProfileWriter::add_sample(int64_t length, int64_t sample_id, uint64_t input_digest, double sample_loss,
                               const std::vector<float>& pooled) {
  const std::string file = path_.string();
  auto it = impl_->state.find(length);
  if (it == impl_->state.end())
    fail_file(file, "length " + std::to_string(length) + " is not part of this profile run");
  LengthProfile& lp = it->second;
  if (pooled.size() != lp.influence.size())
    fail_file(file, "add_sample: pooled influence has " + std::to_string(pooled.size()) +
                        " values, expected " + std::to_string(lp.influence.size()));
  const int64_t k = lp.samples_done();
  std::vector<float> next(pooled.size());
  const double kd = static_cast<double>(k);
  for (size_t i = 0; i < next.size(); ++i)
    next[i] = static_cast<float>((static_cast<double>(lp.influence[i]) * kd + pooled[i]) / (kd + 1.0));
  const hid_t f = impl_->file.get();
  try {
    Handle g(H5Gopen2(f, group_name(length).c_str(), H5P_DEFAULT), H5Gclose);
    ensure_capacity(g.get(), impl_->meta, std::max(k + 1, lp.samples_target));
    lp.sample_ids.push_back(sample_id);
    lp.sample_digests.push_back(input_digest);
    lp.sample_loss.push_back(sample_loss);
    {
      Handle ids(H5Dopen2(g.get(), "sample_ids", H5P_DEFAULT), H5Dclose);
      Handle digests(H5Dopen2(g.get(), "sample_digest", H5P_DEFAULT), H5Dclose);
      Handle loss(H5Dopen2(g.get(), "sample_loss", H5P_DEFAULT), H5Dclose);
      h5::write_prefix(ids.get(), H5T_NATIVE_INT64, lp.sample_ids.data(), k + 1);
      h5::write_prefix(digests.get(), H5T_NATIVE_UINT64, lp.sample_digests.data(), k + 1);
      h5::write_prefix(loss.get(), H5T_NATIVE_DOUBLE, lp.sample_loss.data(), k + 1);
    }
    if (H5Lexists(g.get(), "pending_influence", H5P_DEFAULT) <= 0)
      create_influence(g.get(), "pending_influence", impl_->meta, length);
    write_influence(g.get(), "pending_influence", next);
    flush(f);
    h5::write_attr_i64(g.get(), "pending_done", k + 1);
    flush(f);
    write_influence(g.get(), "influence", next);
    flush(f);
    h5::write_attr_i64(g.get(), "samples_done", k + 1);
    flush(f);
  } catch (const Error& e) {
    lp.sample_ids.resize(k);
    lp.sample_digests.resize(k);
    lp.sample_loss.resize(k);
    rethrow_with_file(file, e);
  }
  lp.influence = std::move(next);
}

}  // namespace moa
