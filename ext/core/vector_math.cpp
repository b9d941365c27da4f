#include "vector_math.h"

#include <cmath>
#include <string>

namespace quiver {

namespace {

Status store(double x, uint32_t i, float* out) {
  float f = static_cast<float>(x);
  if (!std::isfinite(f)) return Status::error("element " + std::to_string(i) + " of the result overflows float32");
  out[i] = f;
  return Status();
}

template <class Op>
Status elementwise(const VectorView& a, const VectorView& b, float* out, Op op) {
  for (uint32_t i = 0; i < a.dims; ++i) {
    Status s = store(op(a.element(i), b.element(i)), i, out);
    if (!s.ok()) return s;
  }
  return Status();
}

}  // namespace

Status vector_add(const VectorView& a, const VectorView& b, float* out) {
  return elementwise(a, b, out, [](double x, double y) { return x + y; });
}

Status vector_sub(const VectorView& a, const VectorView& b, float* out) {
  return elementwise(a, b, out, [](double x, double y) { return x - y; });
}

Status vector_scale(const VectorView& v, double factor, float* out) {
  if (!std::isfinite(factor)) return Status::error("scale factor is not finite");
  for (uint32_t i = 0; i < v.dims; ++i) {
    Status s = store(v.element(i) * factor, i, out);
    if (!s.ok()) return s;
  }
  return Status();
}

double vector_norm(const VectorView& v) {
  double sum = 0;
  for (uint32_t i = 0; i < v.dims; ++i) sum += v.element(i) * v.element(i);
  return std::sqrt(sum);
}

Status vector_normalize(const VectorView& v, float* out) {
  double norm = vector_norm(v);
  if (norm == 0) return Status::error("cannot normalize a zero vector");
  for (uint32_t i = 0; i < v.dims; ++i) out[i] = static_cast<float>(v.element(i) / norm);
  return Status();
}

Status vector_slice(const VectorView& v, int64_t start, int64_t end, VectorView* out) {
  if (start < 0 || end > int64_t{v.dims} || start >= end)
    return Status::error("slice [" + std::to_string(start) + ", " + std::to_string(end) +
                         ") is not a non-empty range within 0.." + std::to_string(v.dims));
  if (v.type == ElementType::Bit && (start % 8 != 0 || end % 8 != 0))
    return Status::error("bit vectors are sliced at multiples of 8, got [" + std::to_string(start) + ", " +
                         std::to_string(end) + ")");
  out->type = v.type;
  out->dims = static_cast<uint32_t>(end - start);
  out->data = static_cast<const unsigned char*>(v.data) + encoded_size(v.type, static_cast<uint32_t>(start));
  return Status();
}

}  // namespace quiver
