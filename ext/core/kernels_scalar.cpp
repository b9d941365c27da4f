// The reference kernels: the simplest correct loops, with double
// accumulators so that they are the yardstick for the SIMD versions.
#include <cstdint>
#include <cstring>

#include "kernels.h"

namespace quiver {
namespace {

float load_f32(const void* p, size_t i) {
  float x;
  std::memcpy(&x, static_cast<const unsigned char*>(p) + i * 4, 4);
  return x;
}

int load_i8(const void* p, size_t i) { return static_cast<const int8_t*>(p)[i]; }

double f32_dot(const void* a, const void* b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += double{load_f32(a, i)} * load_f32(b, i);
  return s;
}

double f32_l2sq(const void* a, const void* b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) {
    double d = double{load_f32(a, i)} - load_f32(b, i);
    s += d * d;
  }
  return s;
}

double f32_cosine(const void* a, const void* b, size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; ++i) {
    double x = load_f32(a, i), y = load_f32(b, i);
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return cosine_from_sums(ab, aa, bb);
}

double i8_dot(const void* a, const void* b, size_t n) {
  int64_t s = 0;
  for (size_t i = 0; i < n; ++i) s += load_i8(a, i) * load_i8(b, i);
  return static_cast<double>(s);
}

double i8_l2sq(const void* a, const void* b, size_t n) {
  int64_t s = 0;
  for (size_t i = 0; i < n; ++i) {
    int d = load_i8(a, i) - load_i8(b, i);
    s += d * d;
  }
  return static_cast<double>(s);
}

double i8_cosine(const void* a, const void* b, size_t n) {
  int64_t ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; ++i) {
    int x = load_i8(a, i), y = load_i8(b, i);
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return cosine_from_sums(static_cast<double>(ab), static_cast<double>(aa), static_cast<double>(bb));
}

double bit_hamming(const void* a, const void* b, size_t n) {
  const unsigned char* x = static_cast<const unsigned char*>(a);
  const unsigned char* y = static_cast<const unsigned char*>(b);
  uint64_t s = 0;
  for (size_t i = 0; i < n; ++i)
    for (unsigned v = x[i] ^ y[i]; v; v &= v - 1) ++s;
  return static_cast<double>(s);
}

// Both panel references: every row of xs against every panel vector, each
// sum in double. `term` is one dimension's contribution.
template <class Term>
void panel_reference(const float* xs, size_t points, const float* panel, size_t dim, size_t count, float* out,
                     Term term) {
  for (size_t p = 0; p < points; ++p) {
    const float* x = xs + p * dim;
    for (size_t j = 0; j < count; ++j) {
      const float* block = panel + (j / kPanelWidth) * dim * kPanelWidth;
      double s = 0;
      for (size_t t = 0; t < dim; ++t) s += term(x[t], block[t * kPanelWidth + j % kPanelWidth]);
      out[p * count + j] = static_cast<float>(s);
    }
  }
}

void f32_dot_panel(const float* xs, size_t points, const float* panel, size_t dim, size_t count, float* out) {
  panel_reference(xs, points, panel, dim, count, out, [](float x, float v) { return double{x} * v; });
}

void f32_l2sq_panel(const float* xs, size_t points, const float* panel, size_t dim, size_t count, float* out) {
  panel_reference(xs, points, panel, dim, count, out, [](float x, float v) {
    double d = double{x} - v;
    return d * d;
  });
}

}  // namespace

const Kernels& scalar_kernels() {
  static const Kernels k{"scalar", f32_dot,   f32_l2sq,    f32_cosine,   i8_dot,
                         i8_l2sq,  i8_cosine, bit_hamming, f32_dot_panel, f32_l2sq_panel};
  return k;
}

}  // namespace quiver
