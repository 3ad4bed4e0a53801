// Profile store: round trip, incremental + resume == uninterrupted (bitwise), clear errors,
// schema-1 files (readable, not resumable).
#include <gtest/gtest.h>

#include "expect_error.h"
#include <hdf5.h>

#include <filesystem>
#include <fstream>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <thread>
#include <unistd.h>

#include "core/profile/profile_inputs.h"
#include "core/profile/profile_store.h"
#include "core/util/error.h"

namespace fs = std::filesystem;
using namespace moa;

namespace {

fs::path temp_path(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("moa_test_profile_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

ProfileMeta small_meta() {
  ProfileMeta m;
  m.model_name = "tiny";
  m.model_hash = "abc123";
  m.num_layers = 2;
  m.num_heads = 4;
  m.num_kv_heads = 2;
  m.head_dim = 16;
  m.tool_version = "test";
  m.calib_file = "calib.jsonl";
  m.compute_dtype = "float32";
  m.implementation = "fused";
  m.device = "cpu";
  return m;
}

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<float> random_pooled(const ProfileMeta& m, int64_t length, uint32_t seed) {
  const size_t nb = size_t(length / 64);
  std::vector<float> v(size_t(m.num_layers) * m.num_heads * nb * nb);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (auto& x : v) x = u(rng);
  return v;
}


void write_samples(ProfileWriter& w, const ProfileMeta& m, int from, int to) {
  for (int s = from; s < to; ++s)
    for (int64_t n : {128, 192})
      w.add_sample(n, 100 + s, 5000 + uint64_t(s), 0.5 + s, random_pooled(m, n, uint32_t(s * 7 + n)));
}

}  // namespace

TEST(ProfileStore, RoundTrip) {
  Profile p;
  p.meta = small_meta();
  LengthProfile lp;
  lp.length = 128;
  lp.samples_target = 3;
  lp.sample_ids = {4, 9};
  lp.sample_digests = {0xfedcba9876543210ull, 7};
  lp.sample_loss = {1.25, 2.5};
  lp.influence = random_pooled(p.meta, 128, 1);
  p.lengths[128] = lp;
  const fs::path path = temp_path("roundtrip.moaprof.h5");
  profile_write(path, p);
  const Profile q = profile_read(path);
  EXPECT_EQ(q.meta.model_hash, "abc123");
  EXPECT_EQ(q.meta.calib_file, "calib.jsonl");
  EXPECT_EQ(q.meta.num_kv_heads, 2);
  EXPECT_EQ(q.meta.schema_version, kProfileSchemaVersion);
  EXPECT_EQ(q.meta.compute_dtype, "float32");
  EXPECT_EQ(q.meta.implementation, "fused");
  EXPECT_EQ(q.meta.device, "cpu");
  ASSERT_EQ(q.lengths.count(128), 1u);
  const LengthProfile& r = q.lengths.at(128);
  EXPECT_EQ(r.samples_target, 3);
  EXPECT_EQ(r.sample_ids, lp.sample_ids);
  EXPECT_EQ(r.sample_digests, lp.sample_digests);
  EXPECT_EQ(r.sample_loss, lp.sample_loss);
  EXPECT_EQ(r.influence, lp.influence);

  // Digests are never made up: samples without any (a synthetic profile) are written as
  // version 1, which no resume accepts; a partial set is an error.
  p.lengths[128].sample_digests.clear();
  profile_write(temp_path("nodigest.moaprof.h5"), p);
  EXPECT_EQ(profile_read(temp_path("nodigest.moaprof.h5")).meta.schema_version, 1);
  p.lengths[128].sample_digests = {1};
  EXPECT_NE(moa_test::error_of([&] { profile_write(temp_path("nodigest.moaprof.h5"), p); })
                .find("length 128 has 2 samples but 1 input digests"),
            std::string::npos);
}

TEST(ProfileStore, MeanOfSamples) {
  const ProfileMeta m = small_meta();
  const fs::path path = temp_path("mean.moaprof.h5");
  {
    ProfileWriter w(path, m, {128}, 2, false);
    std::vector<float> a(random_pooled(m, 128, 0).size(), 1.0f), b(a.size(), 3.0f);
    w.add_sample(128, 0, 10, 0.1, a);
    w.add_sample(128, 1, 11, 0.2, b);
    EXPECT_EQ(w.state(128).samples_done(), 2);
  }
  const Profile p = profile_read(path);
  for (float x : p.lengths.at(128).influence) ASSERT_FLOAT_EQ(x, 2.0f);
}

TEST(ProfileStore, ResumeEqualsUninterrupted) {
  const ProfileMeta m = small_meta();
  const fs::path full = temp_path("full.moaprof.h5");
  const fs::path split = temp_path("split.moaprof.h5");
  {
    ProfileWriter w(full, m, {128, 192}, 5, false);
    write_samples(w, m, 0, 5);
  }
  {
    ProfileWriter w(split, m, {128, 192}, 5, false);
    write_samples(w, m, 0, 2);
  }
  {
    ProfileWriter w(split, m, {128, 192}, 5, true);
    EXPECT_EQ(w.state(128).samples_done(), 2);
    write_samples(w, m, 2, 5);
  }
  const Profile a = profile_read(full), b = profile_read(split);
  for (int64_t n : {128, 192}) {
    const auto& x = a.lengths.at(n);
    const auto& y = b.lengths.at(n);
    EXPECT_EQ(x.sample_ids, y.sample_ids);
    EXPECT_EQ(x.sample_digests, y.sample_digests);
    EXPECT_EQ(y.sample_digests, (std::vector<uint64_t>{5000, 5001, 5002, 5003, 5004}));
    ASSERT_EQ(x.influence.size(), y.influence.size());
    EXPECT_EQ(0, std::memcmp(x.influence.data(), y.influence.data(), x.influence.size() * sizeof(float)));
  }
}

TEST(ProfileStore, ResumeRollsForwardAnInterruptedCommit) {
  // Simulate a kill between "pending written" and "samples_done updated".
  const ProfileMeta m = small_meta();
  const fs::path path = temp_path("killed.moaprof.h5");
  std::vector<float> expect;
  {
    ProfileWriter w(path, m, {128}, 3, false);
    w.add_sample(128, 0, 20, 0.0, random_pooled(m, 128, 5));
    w.add_sample(128, 1, 21, 0.0, random_pooled(m, 128, 6));
    expect = w.state(128).influence;
  }
  {
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t g = H5Gopen2(f, "len_128", H5P_DEFAULT);
    hid_t a = H5Aopen(g, "samples_done", H5P_DEFAULT);
    const int64_t one = 1;
    H5Awrite(a, H5T_NATIVE_INT64, &one);
    H5Aclose(a);
    H5Gclose(g);
    H5Fclose(f);
  }
  EXPECT_EQ(profile_read(path).lengths.at(128).samples_done(), 2);
  std::vector<uint64_t> checked;  // what a resume check saw: the journal's sample included
  ProfileWriter w(path, m, {128}, 3, true, [&](const LengthProfile& lp) { checked = lp.sample_digests; });
  EXPECT_EQ(checked, (std::vector<uint64_t>{20, 21}));
  EXPECT_EQ(w.state(128).samples_done(), 2);
  EXPECT_EQ(w.state(128).sample_digests, (std::vector<uint64_t>{20, 21}));
  EXPECT_EQ(w.state(128).influence, expect);
}

TEST(ProfileStore, ResumeRejectsOtherModel) {
  ProfileMeta m = small_meta();
  const fs::path path = temp_path("other.moaprof.h5");
  { ProfileWriter w(path, m, {128}, 1, false); }
  m.model_hash = "zzz";
  const std::string msg = moa_test::error_of([&] { ProfileWriter w(path, m, {128}, 1, true); });
  EXPECT_NE(msg.find(path.string()), std::string::npos);
  EXPECT_NE(msg.find("model_hash"), std::string::npos);
  m = small_meta();
  m.num_heads = 8;
  EXPECT_NE(moa_test::error_of([&] { ProfileWriter w(path, m, {128}, 1, true); }).find("num_heads"),
            std::string::npos);
}

TEST(ProfileStore, ResumeRejectsOtherComputeSettings) {
  const fs::path path = temp_path("settings.moaprof.h5");
  {
    ProfileWriter w(path, small_meta(), {128}, 2, false);
    w.add_sample(128, 0, 1, 0.5, random_pooled(small_meta(), 128, 3));
  }
  const std::string before = file_bytes(path);
  auto refused = [&](void (*change)(ProfileMeta&)) {
    ProfileMeta m = small_meta();
    change(m);
    const std::string msg = moa_test::error_of([&] { ProfileWriter w(path, m, {128}, 2, true); });
    EXPECT_EQ(msg.rfind(path.string() + ": cannot resume: ", 0), 0u) << msg;
    return msg;
  };
  EXPECT_NE(refused([](ProfileMeta& m) { m.compute_dtype = "bfloat16"; })
                .find("compute_dtype in the file is 'float32' but this run has 'bfloat16'"),
            std::string::npos);
  EXPECT_NE(refused([](ProfileMeta& m) { m.implementation = "reference"; })
                .find("implementation in the file is 'fused' but this run has 'reference'"),
            std::string::npos);
  EXPECT_NE(refused([](ProfileMeta& m) { m.device = "cuda"; }).find("device in the file is 'cpu' but this run has 'cuda'"),
            std::string::npos);
  EXPECT_EQ(file_bytes(path), before);  // a refused resume writes nothing
}

TEST(ProfileStore, ResumeCheckRefusesBeforeWriting) {
  // The caller's check (profile_run compares records and input digests) sees the file's
  // samples before the writer touches the file, even where the run asks for more samples.
  const ProfileMeta m = small_meta();
  const fs::path path = temp_path("checked.moaprof.h5");
  {
    ProfileWriter w(path, m, {128}, 1, false);
    w.add_sample(128, 0, 42, 0.5, random_pooled(m, 128, 3));
  }
  const std::string before = file_bytes(path);
  const std::string msg = moa_test::error_of([&] {
    ProfileWriter w(path, m, {128, 192}, 4, true, [&](const LengthProfile& lp) {
      EXPECT_EQ(lp.length, 128);
      EXPECT_EQ(lp.sample_digests, std::vector<uint64_t>{42});
      fail_file(path.string(), "cannot resume: test check");
    });
  });
  EXPECT_EQ(msg, path.string() + ": cannot resume: test check");
  EXPECT_EQ(file_bytes(path), before);
  EXPECT_EQ(profile_read(path).lengths.count(192), 0u);
}

TEST(ProfileStore, SchemaVersion1ReadsButDoesNotResume) {
  // A file as the version-1 writer left it: no compute attributes, no sample_digest.
  const ProfileMeta m = small_meta();
  const fs::path path = temp_path("v1.moaprof.h5");
  std::vector<float> influence;
  {
    ProfileWriter w(path, m, {128}, 3, false);
    w.add_sample(128, 4, 99, 0.25, random_pooled(m, 128, 8));
    w.add_sample(128, 6, 98, 0.75, random_pooled(m, 128, 9));
    influence = w.state(128).influence;
  }
  {
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    const int64_t one = 1;
    hid_t a = H5Aopen(f, "schema_version", H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT64, &one);
    H5Aclose(a);
    for (const char* name : {"compute_dtype", "implementation", "device"}) H5Adelete(f, name);
    H5Ldelete(f, "len_128/sample_digest", H5P_DEFAULT);
    H5Fclose(f);
  }
  const Profile p = profile_read(path);
  EXPECT_EQ(p.meta.schema_version, 1);
  EXPECT_EQ(p.meta.compute_dtype, "");
  const LengthProfile& lp = p.lengths.at(128);
  EXPECT_EQ(lp.sample_ids, (std::vector<int64_t>{4, 6}));
  EXPECT_EQ(lp.sample_loss, (std::vector<double>{0.25, 0.75}));
  EXPECT_TRUE(lp.sample_digests.empty());
  EXPECT_EQ(lp.influence, influence);

  // Written back (the Studio's profile export) it stays version 1: no digests made up.
  const fs::path copy = temp_path("v1_copy.moaprof.h5");
  profile_write(copy, p);
  const Profile q = profile_read(copy);
  EXPECT_EQ(q.meta.schema_version, 1);
  EXPECT_EQ(q.lengths.at(128).sample_ids, lp.sample_ids);
  EXPECT_EQ(q.lengths.at(128).influence, influence);

  // Resuming it is refused, and the file is left as it was.
  const std::string before = file_bytes(path);
  const std::string msg = moa_test::error_of([&] { ProfileWriter w(path, m, {128}, 3, true); });
  EXPECT_EQ(msg.rfind(path.string() + ": cannot resume: the file has profile schema_version 1", 0), 0u) << msg;
  EXPECT_NE(msg.find("records no digest of each sample's input"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--overwrite"), std::string::npos) << msg;
  EXPECT_EQ(file_bytes(path), before);

  // Versions this build does not know are named as such.
  hid_t f = H5Fopen(copy.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t a = H5Aopen(f, "schema_version", H5P_DEFAULT);
  const int64_t three = 3;
  H5Awrite(a, H5T_NATIVE_INT64, &three);
  H5Aclose(a);
  H5Fclose(f);
  EXPECT_EQ(moa_test::error_of([&] { profile_read(copy); }),
            copy.string() + ": profile schema_version 3 is from another release (this build reads versions 1 to 2)");
}

TEST(ProfileStore, InputDigestIsFnv1aOfTheDocumentedBytes) {
  // docs/formats.md: FNV-1a 64 over int64 LE count, answer_begin, answer_end, then int32 LE
  // ids; this value was computed with the Python snippet there.
  CalibSequence s;
  s.input_ids = {256, 72, 105, 10, 32, 52, 50, 10};
  s.answer_begin = 5;
  s.answer_end = 8;
  EXPECT_EQ(calib_sequence_digest(s), 0x3410e872f05e0edcull);
  CalibSequence t = s;
  t.input_ids[1] = 73;  // one token
  EXPECT_NE(calib_sequence_digest(t), calib_sequence_digest(s));
  t = s;
  t.answer_begin = 4;  // the same tokens, another answer span
  EXPECT_NE(calib_sequence_digest(t), calib_sequence_digest(s));
}

TEST(ProfileStore, Errors) {
  const ProfileMeta m = small_meta();
  const fs::path text = temp_path("not.h5");
  std::ofstream(text) << "hello, not hdf5";
  EXPECT_NE(moa_test::error_of([&] { profile_read(text); }).find("not an HDF5 file"), std::string::npos);

  const fs::path good = temp_path("good.moaprof.h5");
  {
    ProfileWriter w(good, m, {128}, 2, false);
    w.add_sample(128, 0, 0, 0.0, random_pooled(m, 128, 1));
  }
  // Truncated: keep the signature, lose the rest.
  const fs::path cut = temp_path("cut.moaprof.h5");
  fs::copy_file(good, cut, fs::copy_options::overwrite_existing);
  fs::resize_file(cut, fs::file_size(good) / 3);
  const std::string cut_msg = moa_test::error_of([&] { profile_read(cut); });
  EXPECT_NE(cut_msg.find(cut.string()), std::string::npos);
  // Failing on another thread (Studio reads on workers) leaves no HDF5 error stack behind: one
  // left there made the library print "infinite loop closing library" at exit.
  ssize_t left = -1;
  std::thread([&] {
    EXPECT_FALSE(moa_test::error_of([&] { profile_read(cut); }).empty());
    left = H5Eget_num(H5E_DEFAULT);
  }).join();
  EXPECT_EQ(left, 0);

  EXPECT_NE(moa_test::error_of([&] { ProfileWriter w(temp_path("bad.h5"), m, {100}, 1, false); })
                .find("multiple of 64"),
            std::string::npos);

  auto patch = [&](const char* obj, const char* attr, int64_t value, bool remove) {
    const fs::path p = temp_path(std::string("patched_") + attr + ".h5");
    fs::copy_file(good, p, fs::copy_options::overwrite_existing);
    hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t o = H5Oopen(f, obj, H5P_DEFAULT);
    if (remove) {
      H5Adelete(o, attr);
    } else {
      hid_t a = H5Aopen(o, attr, H5P_DEFAULT);
      H5Awrite(a, H5T_NATIVE_INT64, &value);
      H5Aclose(a);
    }
    H5Oclose(o);
    H5Fclose(f);
    return p;
  };
  EXPECT_NE(moa_test::error_of([&] { profile_read(patch("/", "schema_version", 99, false)); })
                .find("schema_version 99 is from another release"),
            std::string::npos);
  EXPECT_NE(moa_test::error_of([&] { profile_read(patch("/", "model_hash", 0, true)); })
                .find("missing attribute '/model_hash'"),
            std::string::npos);
  EXPECT_NE(moa_test::error_of([&] { profile_read(patch("/", "compute_dtype", 0, true)); })
                .find("missing attribute '/compute_dtype'"),
            std::string::npos);
  EXPECT_NE(moa_test::error_of([&] { profile_read(patch("/", "num_heads", 2, false)); })
                .find("but the attributes say [2,2,2,2]"),
            std::string::npos);
  EXPECT_NE(moa_test::error_of([&] { profile_read(patch("len_128", "length", 100, false)); })
                .find("multiple of 64"),
            std::string::npos);
  EXPECT_NE(moa_test::error_of([&] { profile_read(patch("len_128", "samples_done", -1, false)); })
                .find("attribute 'len_128/samples_done' is -1, must be >= 0"),
            std::string::npos);

  // A NaN in the stored influence is named with its (layer, head, query block, key block).
  const fs::path nan_file = temp_path("nan_influence.h5");
  fs::copy_file(good, nan_file, fs::copy_options::overwrite_existing);
  {
    hid_t f = H5Fopen(nan_file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "len_128/influence", H5P_DEFAULT);
    std::vector<float> v(size_t(m.num_layers) * m.num_heads * 2 * 2);
    H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    v[((1 * m.num_heads + 3) * 2 + 1) * 2 + 0] = std::numeric_limits<float>::quiet_NaN();
    H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    H5Dclose(d);
    H5Fclose(f);
  }
  const std::string nan_msg = moa_test::error_of([&] { profile_read(nan_file); });
  EXPECT_NE(nan_msg.find(nan_file.string()), std::string::npos) << nan_msg;
  EXPECT_NE(nan_msg.find("'len_128/influence' has a non-finite value (nan) at [1, 3, 1, 0]"), std::string::npos) << nan_msg;

  // Version 2 without its digests is damaged, not old.
  const fs::path no_digest = temp_path("no_digest.h5");
  fs::copy_file(good, no_digest, fs::copy_options::overwrite_existing);
  {
    hid_t f = H5Fopen(no_digest.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(f, "len_128/sample_digest", H5P_DEFAULT);
    H5Fclose(f);
  }
  EXPECT_NE(moa_test::error_of([&] { profile_read(no_digest); }).find("missing dataset 'len_128/sample_digest'"),
            std::string::npos);
}
