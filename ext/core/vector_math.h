// Element-wise vector arithmetic for the SQL functions (no SQLite).
// Results are float32; inputs may be float32 or int8 (bit vectors are
// rejected by the callers). Arithmetic runs in double and the result must be
// finite when rounded to float32.
#pragma once

#include <cstdint>

#include "vector.h"

namespace quiver {

Status vector_add(const VectorView& a, const VectorView& b, float* out);
Status vector_sub(const VectorView& a, const VectorView& b, float* out);
Status vector_scale(const VectorView& v, double factor, float* out);
double vector_norm(const VectorView& v);
Status vector_normalize(const VectorView& v, float* out);  // error for a zero vector

// The sub-vector of elements [start, end). For bit vectors both ends must be
// multiples of 8 so the slice stays byte-aligned.
Status vector_slice(const VectorView& v, int64_t start, int64_t end, VectorView* out);

}  // namespace quiver
