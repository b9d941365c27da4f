// The reference kernels: the simplest correct loops, with double
// accumulators so that they are the yardstick for the SIMD versions.
#include <cstdint>
#include <cstring>

#include "half.h"
#include "kernels.h"

namespace quiver {
namespace {

float load_f32(const void* p, size_t i) {
  float x;
  std::memcpy(&x, static_cast<const unsigned char*>(p) + i * 4, 4);
  return x;
}

uint16_t load_u16(const void* p, size_t i) {
  uint16_t h;
  std::memcpy(&h, static_cast<const unsigned char*>(p) + i * 2, 2);
  return h;
}

// The element readers the float kernels are written over.
struct F32 {
  static float at(const void* p, size_t i) { return load_f32(p, i); }
};
struct F16 {
  static float at(const void* p, size_t i) { return f16_to_f32(load_u16(p, i)); }
};
struct BF16 {
  static float at(const void* p, size_t i) { return bf16_to_f32(load_u16(p, i)); }
};

int load_i8(const void* p, size_t i) { return static_cast<const int8_t*>(p)[i]; }

template <class E>
double dot(const void* a, const void* b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += double{E::at(a, i)} * E::at(b, i);
  return s;
}

template <class E>
double l2sq(const void* a, const void* b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) {
    double d = double{E::at(a, i)} - E::at(b, i);
    s += d * d;
  }
  return s;
}

template <class E>
double cosine(const void* a, const void* b, size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; ++i) {
    double x = E::at(a, i), y = E::at(b, i);
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

// The panel references: every row of xs against every panel vector, each
// sum in double. `term` is one dimension's contribution.
template <class E, class Element, class Term>
void panel_reference(const float* xs, size_t points, const Element* panel, size_t dim, size_t count, float* out,
                     Term term) {
  for (size_t p = 0; p < points; ++p) {
    const float* x = xs + p * dim;
    for (size_t j = 0; j < count; ++j) {
      const Element* block = panel + (j / kPanelWidth) * dim * kPanelWidth;
      double s = 0;
      for (size_t t = 0; t < dim; ++t) s += term(x[t], E::at(block, t * kPanelWidth + j % kPanelWidth));
      out[p * count + j] = static_cast<float>(s);
    }
  }
}

double dot_term(float x, float v) { return double{x} * v; }
double l2sq_term(float x, float v) {
  double d = double{x} - v;
  return d * d;
}

template <class E, class Element>
void dot_panel(const float* xs, size_t points, const Element* panel, size_t dim, size_t count, float* out) {
  panel_reference<E>(xs, points, panel, dim, count, out, dot_term);
}

template <class E, class Element>
void l2sq_panel(const float* xs, size_t points, const Element* panel, size_t dim, size_t count, float* out) {
  panel_reference<E>(xs, points, panel, dim, count, out, l2sq_term);
}

template <uint16_t (*Narrow)(float), bool (*Finite)(uint16_t)>
bool narrow(const void* src, void* dst, size_t n) {
  bool finite = true;
  for (size_t i = 0; i < n; ++i) {
    uint16_t h = Narrow(load_f32(src, i));
    finite &= Finite(h);
    std::memcpy(static_cast<unsigned char*>(dst) + 2 * i, &h, 2);
  }
  return finite;
}

template <class E>
void widen(const void* src, float* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[i] = E::at(src, i);
}

void i8_code_panel(const uint32_t* query_pairs, const int8_t* panel, size_t pairs, size_t count, int32_t* out) {
  for (size_t j = 0; j < count; ++j) {
    const int8_t* block = panel + j / kPanelWidth * pairs * 2 * kPanelWidth + 2 * (j % kPanelWidth);
    int64_t s = 0;
    for (size_t t = 0; t < pairs; ++t) {
      int16_t w0 = static_cast<int16_t>(query_pairs[t] & 0xffff), w1 = static_cast<int16_t>(query_pairs[t] >> 16);
      s += int64_t{block[t * 2 * kPanelWidth]} * w0 + int64_t{block[t * 2 * kPanelWidth + 1]} * w1;
    }
    out[j] = static_cast<int32_t>(s);
  }
}

// Bit by bit, without the population-count instruction.
void bit_hamming_rows(const uint64_t* query, const uint64_t* codes, size_t words, size_t count, uint32_t* out) {
  for (size_t j = 0; j < count; ++j) {
    uint32_t s = 0;
    for (size_t w = 0; w < words; ++w)
      for (uint64_t x = query[w] ^ codes[j * words + w]; x; x &= x - 1) ++s;
    out[j] = s;
  }
}

}  // namespace

const Kernels& scalar_kernels() {
  static const Kernels k{"scalar",
                         dot<F32>,
                         l2sq<F32>,
                         cosine<F32>,
                         i8_dot,
                         i8_l2sq,
                         i8_cosine,
                         bit_hamming,
                         dot_panel<F32, float>,
                         l2sq_panel<F32, float>,
                         dot<F16>,
                         l2sq<F16>,
                         cosine<F16>,
                         dot<BF16>,
                         l2sq<BF16>,
                         cosine<BF16>,
                         dot_panel<F16, uint16_t>,
                         l2sq_panel<F16, uint16_t>,
                         dot_panel<BF16, uint16_t>,
                         l2sq_panel<BF16, uint16_t>,
                         widen<F16>,
                         narrow<f32_to_f16, f16_is_finite>,
                         widen<BF16>,
                         narrow<f32_to_bf16, bf16_is_finite>,
                         i8_code_panel,
                         bit_hamming_rows};
  return k;
}

}  // namespace quiver
