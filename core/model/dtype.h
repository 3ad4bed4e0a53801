#pragma once
// Element types of checkpoint tensors (safetensors names). Torch-free.
#include <cstddef>
#include <cstdint>
#include <string>

namespace moa {

enum class DType { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL };

// "F32", "BF16", ... as written in safetensors headers. Throws moa::Error for unknown names.
DType dtype_from_safetensors(const std::string& name);
const char* dtype_safetensors_name(DType t);
// "float32", "bfloat16", "float16" as in config.json's torch_dtype / dtype.
DType dtype_from_torch_name(const std::string& name);
const char* dtype_torch_name(DType t);
size_t dtype_size(DType t);
bool dtype_is_float(DType t);

// bf16/f16 <-> f32 conversions for code that must not depend on torch (writers, checks).
float bf16_to_f32(uint16_t v);
uint16_t f32_to_bf16(float f);  // round to nearest even, NaN stays NaN
float f16_to_f32(uint16_t v);
uint16_t f32_to_f16(float f);

}  // namespace moa
