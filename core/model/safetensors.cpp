#include "core/model/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/util/error.h"
#include "core/util/json_read.h"

namespace moa {

using nlohmann::json;

namespace {
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // same limit as the reference implementation

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint64_t to_u64(const json& v, const std::string& file, const std::string& what) {
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
    fail_file(file, what + " must be a non-negative integer, got " + v.dump());
  return v.get<uint64_t>();
}
}  // namespace

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

SafetensorsHeader safetensors_parse(const uint8_t* bytes, uint64_t size, const std::string& file) {
  if (size < 8) fail_file(file, "truncated: " + std::to_string(size) + " bytes, shorter than the 8-byte header length");
  const uint64_t header_len = read_u64_le(bytes);
  if (header_len > kMaxHeaderBytes)
    fail_file(file, "header length " + std::to_string(header_len) + " is larger than 100 MiB (corrupt file?)");
  if (header_len > size - 8)
    fail_file(file, "header length " + std::to_string(header_len) + " runs past the end of the file (" +
                        std::to_string(size) + " bytes): truncated or not a safetensors file");
  SafetensorsHeader h;
  h.data_start = 8 + header_len;
  const uint64_t data_size = size - h.data_start;

  const json j = json_parse_or_fail(std::string_view(reinterpret_cast<const char*>(bytes) + 8, header_len), file, 0,
                                    "header is not valid JSON");
  if (!j.is_object()) fail_file(file, "header must be a JSON object");

  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& name = it.key();
    const json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) fail_file(file, "__metadata__ must be an object of strings");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) fail_file(file, "__metadata__['" + m.key() + "'] must be a string");
        h.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + name + "'";
    if (!v.is_object()) fail_file(file, where + ": entry must be an object");
    auto dt = v.find("dtype");
    auto sh = v.find("shape");
    auto off = v.find("data_offsets");
    if (dt == v.end() || !dt->is_string()) fail_file(file, where + ": missing or non-string dtype");
    if (sh == v.end() || !sh->is_array()) fail_file(file, where + ": missing or non-array shape");
    if (off == v.end() || !off->is_array() || off->size() != 2)
      fail_file(file, where + ": data_offsets must be [begin, end]");
    TensorInfo t;
    t.name = name;
    try {
      t.dtype = dtype_from_safetensors(dt->get<std::string>());
    } catch (const Error& e) {
      fail_file(file, where + ": " + e.what());
    }
    uint64_t elements = 1;
    for (const auto& d : *sh) {
      uint64_t dim = to_u64(d, file, where + ": shape entry");
      if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          (dim != 0 && elements > std::numeric_limits<uint64_t>::max() / dim))
        fail_file(file, where + ": shape overflows");
      elements *= dim;
      t.shape.push_back(static_cast<int64_t>(dim));
    }
    t.begin = to_u64((*off)[0], file, where + ": data_offsets[0]");
    t.end = to_u64((*off)[1], file, where + ": data_offsets[1]");
    if (t.begin > t.end) fail_file(file, where + ": data_offsets begin " + std::to_string(t.begin) + " > end " + std::to_string(t.end));
    if (t.end > data_size)
      fail_file(file, where + ": data_offsets end " + std::to_string(t.end) + " is past the end of the data (" +
                          std::to_string(data_size) + " bytes): truncated file");
    const uint64_t esize = dtype_size(t.dtype);
    if (elements > std::numeric_limits<uint64_t>::max() / esize) fail_file(file, where + ": byte size overflows");
    if (t.end - t.begin != elements * esize)
      fail_file(file, where + ": byte range holds " + std::to_string(t.end - t.begin) + " bytes but " +
                          dt->get<std::string>() + " x " + sh->dump() + " needs " + std::to_string(elements * esize));
    h.tensors.emplace(name, std::move(t));
  }

  // Overlaps: sort by begin and require each tensor to start at or after the previous end.
  std::vector<const TensorInfo*> order;
  for (const auto& [n, t] : h.tensors)
    if (t.end > t.begin) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < order.size(); ++i)
    if (order[i]->begin < order[i - 1]->end)
      fail_file(file, "tensors '" + order[i - 1]->name + "' and '" + order[i]->name + "' overlap in the data section");
  return h;
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : map_(path) {
  header_ = safetensors_parse(map_.data(), map_.size(), path.string());
}

const TensorInfo& SafetensorsFile::info(const std::string& name) const {
  auto it = header_.tensors.find(name);
  if (it == header_.tensors.end()) fail_file(path().string(), "no tensor named '" + name + "'");
  return it->second;
}

void safetensors_write(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  std::vector<uint64_t> sizes;
  for (const auto& t : tensors) {
    uint64_t n = 1;
    for (int64_t d : t.shape) n *= static_cast<uint64_t>(d);
    const uint64_t bytes = n * dtype_size(t.dtype);
    header[t.name] = {{"dtype", dtype_safetensors_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    sizes.push_back(bytes);
    offset += bytes;
  }
  std::string text = header.dump();
  while ((8 + text.size()) % 8 != 0) text.push_back(' ');  // align the data section to 8 bytes

  const std::filesystem::path tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fail_file(tmp.string(), std::string("cannot create: ") + std::strerror(errno));
  auto write_all = [&](const void* p, uint64_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    while (n > 0) {
      ssize_t w = ::write(fd, c, std::min<uint64_t>(n, 1ull << 30));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        int e = errno;
        ::close(fd);
        fail_file(tmp.string(), std::string("write failed: ") + std::strerror(e));
      }
      c += w;
      n -= static_cast<uint64_t>(w);
    }
  };
  uint8_t len[8];
  uint64_t hl = text.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(hl >> (8 * i));
  write_all(len, 8);
  write_all(text.data(), text.size());
  std::vector<uint8_t> buf;
  for (size_t i = 0; i < tensors.size(); ++i) {
    buf.assign(sizes[i], 0);
    tensors[i].fill(buf.data());
    write_all(buf.data(), buf.size());
  }
  ::fsync(fd);
  ::close(fd);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) fail_file(path.string(), "cannot rename from " + tmp.string() + ": " + ec.message());
}

}  // namespace moa
