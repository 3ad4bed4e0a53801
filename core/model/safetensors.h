#pragma once
// safetensors files: an 8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and [begin, end) byte range in the data section, then the data.
// Reading memory-maps the file (weights are never copied by the reader). Torch-free.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/model/dtype.h"
#include "core/util/files.h"

namespace moa {

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offsets inside the data section
  uint64_t end = 0;
  int64_t numel() const;
};

struct SafetensorsHeader {
  uint64_t data_start = 0;  // 8 + header length
  std::map<std::string, TensorInfo> tensors;
  std::map<std::string, std::string> metadata;
};

// Validates and parses the header of a whole file image. Every problem is reported as
// "<file>: ..." naming the tensor or key: truncated file, header length past end of file,
// bad JSON, unknown dtype, negative or overflowing shape, offsets out of range, overlapping
// tensors, byte size that disagrees with dtype x shape.
SafetensorsHeader safetensors_parse(const uint8_t* bytes, uint64_t size, const std::string& file);

// A memory-mapped safetensors file.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);
  const SafetensorsHeader& header() const { return header_; }
  const std::filesystem::path& path() const { return map_.path(); }
  uint64_t file_size() const { return map_.size(); }
  bool contains(const std::string& name) const { return header_.tensors.count(name) > 0; }
  const TensorInfo& info(const std::string& name) const;
  const uint8_t* data(const TensorInfo& t) const { return map_.data() + header_.data_start + t.begin; }

 private:
  MappedFile map_;
  SafetensorsHeader header_;
};

// One tensor to write; `fill` writes exactly numel*dtype_size bytes into dst.
struct TensorToWrite {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::function<void(uint8_t* dst)> fill;
};

// Writes a safetensors file atomically (temp + rename), streaming one tensor at a time.
void safetensors_write(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace moa
