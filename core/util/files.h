#pragma once
// Small file helpers: whole-file reads and atomic writes (tmp + fsync + rename), so a
// crash never leaves a half-written result behind.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace moa {

std::string read_text_file(const std::filesystem::path& path);
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);
// Fails (naming the path) unless write_file_atomic(path, ...) could write there: for commands
// that work for minutes before they write, so a bad --out is reported before the work.
void check_writable(const std::filesystem::path& path);

// Read-only memory map of a whole file. Movable, not copyable.
class MappedFile {
 public:
  MappedFile() = default;
  explicit MappedFile(const std::filesystem::path& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void release();
  std::filesystem::path path_;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

// 64-bit FNV-1a, for content hashes that identify a model or a file. The default seed is not
// FNV's offset basis (14695981039346656037, one digit longer): an early slip, kept because the
// model hashes in existing profiles and plans were made with it. Digests that are documented
// as FNV-1a (the profile's sample_digest) pass the real basis.
uint64_t fnv1a64(const void* data, size_t size, uint64_t seed = 1469598103934665603ull);
std::string hex64(uint64_t value);

}  // namespace moa
