// libFuzzer target: the safetensors header parser must either accept a file image or throw
// moa::Error — never crash, hang, read out of bounds or throw anything else.
#include <cstddef>
#include <cstdint>

#include "core/model/safetensors.h"
#include "core/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto h = moa::safetensors_parse(data, size, "fuzz.safetensors");
    for (const auto& [name, t] : h.tensors) {
      // Accepted tensors must lie inside the image: touch the first and last byte.
      if (t.end > t.begin) {
        volatile uint8_t a = data[h.data_start + t.begin];
        volatile uint8_t b = data[h.data_start + t.end - 1];
        (void)a;
        (void)b;
      }
    }
  } catch (const moa::Error&) {
  }
  return 0;
}
