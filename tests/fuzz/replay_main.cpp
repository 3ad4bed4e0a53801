// Replays the committed fuzz corpora (tests/fuzz/corpus/<target>/) through the fuzz
// targets as an ordinary unit test: every input must be handled without a crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

TEST(FuzzCorpusReplay, EveryInputIsHandled) {
  const std::filesystem::path dir = std::filesystem::path(MOA_FUZZ_CORPUS);
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(LLVMFuzzerTestOneInput(bytes.data(), bytes.size()), 0) << e.path();
    ++n;
  }
  EXPECT_GE(n, 50u) << "corpus unexpectedly small";
  std::cout << "replayed " << n << " inputs from " << dir << "\n";
}
