// safetensors reader/writer: round trip and every kind of corrupt input named in the issue.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/model/safetensors.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace fs = std::filesystem;
using moa::DType;

namespace {

fs::path tmpdir() {
  auto d = fs::temp_directory_path() / ("moa_st_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

std::string make_file(const std::string& header, size_t data_bytes) {
  std::string s(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(n >> (8 * i));
  s += header;
  s += std::string(data_bytes, '\x01');
  return s;
}

std::string parse_error(const std::string& bytes) {
  try {
    moa::safetensors_parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x.safetensors");
  } catch (const moa::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Safetensors, RoundTripKeepsValuesShapesAndMetadata) {
  const fs::path p = tmpdir() / "rt.safetensors";
  std::vector<float> a = {1.5f, -2.25f, 3.0f, 0.0f, 7.0f, -0.5f};
  std::vector<uint16_t> b = {moa::f32_to_bf16(1.0f), moa::f32_to_bf16(-3.5f), moa::f32_to_bf16(0.125f)};
  moa::safetensors_write(p,
                         {{"a", DType::F32, {2, 3}, [&](uint8_t* d) { std::memcpy(d, a.data(), 24); }},
                          {"b.weight", DType::BF16, {3}, [&](uint8_t* d) { std::memcpy(d, b.data(), 6); }},
                          {"empty", DType::F16, {0, 4}, [](uint8_t*) {}}},
                         {{"format", "pt"}});
  moa::SafetensorsFile f(p);
  EXPECT_EQ(f.header().metadata.at("format"), "pt");
  EXPECT_EQ(f.header().data_start % 8, 0u);
  const auto& ta = f.info("a");
  EXPECT_EQ(ta.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(std::memcmp(f.data(ta), a.data(), 24), 0);
  const auto& tb = f.info("b.weight");
  EXPECT_EQ(tb.dtype, DType::BF16);
  uint16_t got[3];
  std::memcpy(got, f.data(tb), 6);
  EXPECT_FLOAT_EQ(moa::bf16_to_f32(got[1]), -3.5f);
  EXPECT_EQ(f.info("empty").numel(), 0);
  EXPECT_THROW(f.info("missing"), moa::Error);
}

TEST(Safetensors, TruncatedFileAndHeaderLengthPastEnd) {
  EXPECT_NE(parse_error("abc").find("truncated"), std::string::npos);
  std::string f = make_file("{}", 0);
  f[0] = 100;  // header claims 100 bytes, file has 2
  EXPECT_NE(parse_error(f).find("past the end of the file"), std::string::npos);
  std::string huge(8, '\xff');
  EXPECT_NE(parse_error(huge).find("larger than 100 MiB"), std::string::npos);
}

TEST(Safetensors, ErrorsNameFileAndTensor) {
  const std::string ok = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_EQ(parse_error(make_file(ok, 8)), "");
  // Data shorter than the offsets say: truncated.
  auto e = parse_error(make_file(ok, 4));
  EXPECT_NE(e.find("x.safetensors"), std::string::npos);
  EXPECT_NE(e.find("'w'"), std::string::npos);
  EXPECT_NE(e.find("truncated"), std::string::npos);
  // Byte size disagrees with dtype x shape.
  e = parse_error(make_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 12));
  EXPECT_NE(e.find("needs 12"), std::string::npos);
  // Overlapping tensors.
  e = parse_error(make_file(
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12));
  EXPECT_NE(e.find("overlap"), std::string::npos);
  // begin > end, unknown dtype, negative shape, bad JSON, non-object entry, bad metadata.
  EXPECT_NE(parse_error(make_file(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", 8)).find("> end"), std::string::npos);
  EXPECT_NE(parse_error(make_file(R"({"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}})", 1)).find("unsupported safetensors dtype"), std::string::npos);
  EXPECT_NE(parse_error(make_file(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4)).find("non-negative"), std::string::npos);
  EXPECT_NE(parse_error(make_file(R"({"w":)", 0)).find("not valid JSON"), std::string::npos);
  EXPECT_NE(parse_error(make_file(R"([1,2])", 0)).find("JSON object"), std::string::npos);
  EXPECT_NE(parse_error(make_file(R"({"w":5})", 0)).find("entry must be an object"), std::string::npos);
  EXPECT_NE(parse_error(make_file(R"({"__metadata__":{"a":1}})", 0)).find("must be a string"), std::string::npos);
  EXPECT_NE(parse_error(make_file(R"({"w":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,4]}})", 4)).find("overflow"), std::string::npos);
}

TEST(Safetensors, OpeningAFileThatIsNotThereNamesIt) {
  try {
    moa::SafetensorsFile f("/nonexistent/model.safetensors");
    FAIL() << "expected an error";
  } catch (const moa::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.safetensors"), std::string::npos);
  }
}

TEST(Safetensors, ADirectoryInPlaceOfTheFileIsNamedAsSuch) {
  const auto dir = fs::temp_directory_path() / ("moa_st_dir_" + std::to_string(::getpid())) / "model.safetensors";
  fs::create_directories(dir);
  try {
    moa::SafetensorsFile f(dir);
    FAIL() << "expected an error";
  } catch (const moa::Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.string() + ": is a directory, expected a file"), std::string::npos) << e.what();
  }
  fs::remove_all(dir.parent_path());
}

// Output paths are checked before long work (check_writable) and a failed write leaves no .tmp.
TEST(Files, UnwritableOutputsAreNamedAndLeaveNothingBehind) {
  const auto base = fs::temp_directory_path() / ("moa_files_" + std::to_string(::getpid()));
  fs::create_directories(base / "out_is_a_dir");
  auto error = [](const std::function<void()>& f) -> std::string {
    try {
      f();
    } catch (const moa::Error& e) {
      return e.what();
    }
    return "";
  };
  const std::string dir_msg = error([&] { moa::check_writable(base / "out_is_a_dir"); });
  EXPECT_NE(dir_msg.find("out_is_a_dir: is a directory"), std::string::npos) << dir_msg;
  const std::string missing_msg = error([&] { moa::check_writable(base / "no_such_dir" / "x.json"); });
  EXPECT_NE(missing_msg.find("no_such_dir/x.json: cannot write here"), std::string::npos) << missing_msg;
  EXPECT_EQ(error([&] { moa::check_writable(base / "ok.json"); }), "");
  EXPECT_FALSE(fs::exists(base / "ok.json")) << "the check must not create the file";
  EXPECT_FALSE(fs::exists(base / "ok.json.tmp"));
  EXPECT_NE(error([&] { moa::write_file_atomic(base / "out_is_a_dir", "x"); }), "");
  EXPECT_FALSE(fs::exists(base / "out_is_a_dir.tmp")) << "a failed write left its .tmp";
  fs::remove_all(base);
}

TEST(Safetensors, HalfPrecisionConversionsRoundTrip) {
  for (float f : {0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f, 1e-7f, 3.14159f}) {
    EXPECT_NEAR(moa::f16_to_f32(moa::f32_to_f16(f)), f, std::abs(f) * 1e-3 + 1e-7) << f;
    EXPECT_NEAR(moa::bf16_to_f32(moa::f32_to_bf16(f)), f, std::abs(f) * 8e-3) << f;
  }
  EXPECT_TRUE(std::isinf(moa::f16_to_f32(moa::f32_to_f16(1e6f))));
  EXPECT_TRUE(std::isnan(moa::bf16_to_f32(moa::f32_to_bf16(NAN))));
}
