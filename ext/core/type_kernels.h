// The float kernels (kernels.h) that score vectors of one numeric element
// type (vector.h). No SQLite. Kept apart from kernels.h, which the kernel
// files compiled with ISA flags include, because vector.h has inline code.
#pragma once

#include "kernels.h"
#include "vector.h"

namespace quiver {

struct TypeKernels {
  DistanceKernel dot;     // sum a[i]*b[i]
  DistanceKernel l2sq;    // sum (a[i]-b[i])^2
  DistanceKernel cosine;  // 1 - cosine similarity; NaN for a zero vector
};

// For float32, float16, bfloat16 and int8 vectors (n counts elements); bit
// vectors have only k.bit_hamming.
inline TypeKernels type_kernels(const Kernels& k, ElementType type) {
  switch (type) {
    case ElementType::Float16: return {k.f16_dot, k.f16_l2sq, k.f16_cosine};
    case ElementType::BFloat16: return {k.bf16_dot, k.bf16_l2sq, k.bf16_cosine};
    case ElementType::Int8: return {k.i8_dot, k.i8_l2sq, k.i8_cosine};
    default: return {k.f32_dot, k.f32_l2sq, k.f32_cosine};
  }
}

}  // namespace quiver
