#include "core/model/dtype.h"

#include <cmath>
#include <cstring>

#include "core/util/error.h"

namespace moa {

namespace {
struct Row {
  DType type;
  const char* st;
  const char* torch;
  size_t size;
};
constexpr Row kRows[] = {
    {DType::F32, "F32", "float32", 4},  {DType::F16, "F16", "float16", 2},
    {DType::BF16, "BF16", "bfloat16", 2}, {DType::F64, "F64", "float64", 8},
    {DType::I64, "I64", "int64", 8},    {DType::I32, "I32", "int32", 4},
    {DType::I16, "I16", "int16", 2},    {DType::I8, "I8", "int8", 1},
    {DType::U8, "U8", "uint8", 1},      {DType::BOOL, "BOOL", "bool", 1},
};
const Row& row(DType t) {
  for (const auto& r : kRows)
    if (r.type == t) return r;
  throw Error("internal: unknown dtype");
}
}  // namespace

DType dtype_from_safetensors(const std::string& name) {
  for (const auto& r : kRows)
    if (name == r.st) return r.type;
  throw Error("unsupported safetensors dtype '" + name + "'");
}
const char* dtype_safetensors_name(DType t) { return row(t).st; }

DType dtype_from_torch_name(const std::string& name) {
  std::string n = name.rfind("torch.", 0) == 0 ? name.substr(6) : name;
  if (n == "float") n = "float32";
  if (n == "half") n = "float16";
  for (const auto& r : kRows)
    if (n == r.torch) return r.type;
  throw Error("unsupported dtype '" + name + "'");
}
const char* dtype_torch_name(DType t) { return row(t).torch; }
size_t dtype_size(DType t) { return row(t).size; }
bool dtype_is_float(DType t) {
  return t == DType::F32 || t == DType::F16 || t == DType::BF16 || t == DType::F64;
}

float bf16_to_f32(uint16_t v) {
  uint32_t bits = static_cast<uint32_t>(v) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t f32_to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if (std::isnan(f)) return static_cast<uint16_t>((bits >> 16) | 0x40);
  uint32_t rounding = 0x7fff + ((bits >> 16) & 1);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

float f16_to_f32(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exp = 127 - 15 + 1;
      while (!(mant & 0x400)) {
        mant <<= 1;
        --exp;
      }
      mant &= 0x3ff;
      bits = sign | (exp << 23) | (mant << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t f32_to_f16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  int32_t exp = static_cast<int32_t>((x >> 23) & 0xff) - 127 + 15;
  uint32_t mant = x & 0x7fffffu;
  if (((x >> 23) & 0xff) == 0xff) return static_cast<uint16_t>(sign | 0x7c00u | (mant ? 0x200u : 0));
  if (exp >= 31) return static_cast<uint16_t>(sign | 0x7c00u);
  if (exp <= 0) {
    if (exp < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000u;
    uint32_t shift = static_cast<uint32_t>(14 - exp);
    uint32_t half = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = sign | (static_cast<uint32_t>(exp) << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1))) ++half;
  return static_cast<uint16_t>(half);
}

}  // namespace moa
