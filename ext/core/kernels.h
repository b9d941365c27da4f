// Distance kernels: one signature for every kernel, a scalar reference for
// each, and SIMD versions (xsimd) chosen once per process at run time.
//
// Every kernel reads exactly n elements of a and b (n > 0), which may be
// unaligned, and never reads past them. For bit vectors n counts bytes.
// The scalar table is the reference the SIMD tables are tested against.
// float16 and bfloat16 (half.h) are widened to float32 as they are read, and
// scored in float32 like float32 vectors.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

namespace quiver {

using DistanceKernel = double (*)(const void* a, const void* b, size_t n);

// Dot products of float32 vectors xs (`points` rows of dim elements) with
// many vectors laid out as a panel: blocks of kPanelWidth vectors, each
// block stored dimension-major (panel[(block * dim + t) * kPanelWidth + j] is
// element t of vector block * kPanelWidth + j). out[p * count + j] receives
// row p of xs . vector j (or the squared L2 distance) for `count` vectors,
// count a multiple of kPanelWidth. Used where vectors meet many (scans,
// k-means, IVF routing, pairs), where per-pair calls would spend most of
// their time on horizontal sums; several points at once share each load of
// the panel. xs must be 4-byte aligned. A row's result does not depend on
// how many rows come with it.
constexpr size_t kPanelWidth = 16;
using PanelKernel = void (*)(const float* xs, size_t points, const float* panel, size_t dim, size_t count,
                             float* out);
// The same over a panel of 16-bit elements (float16 or bfloat16 bits, same
// layout), widened as they are read; xs stays float32.
using HalfPanelKernel = void (*)(const float* xs, size_t points, const uint16_t* panel, size_t dim, size_t count,
                                 float* out);

// Conversions of n elements between float32 and a 16-bit type (src and the
// 16-bit side may be unaligned). Widening is exact.
// Narrowing rounds to nearest even (half.h), takes finite input, and returns
// false when some element overflowed the 16-bit type (that element is then
// infinite in dst; the caller reports it).
using WidenKernel = void (*)(const void* src, float* dst, size_t n);
using NarrowKernel = bool (*)(const void* src, void* dst, size_t n);

// Quantized codes (quantize.h). An int8 code panel holds blocks of
// kPanelWidth codes, each block stored by pairs of dimensions: bytes
// [(block * pairs + t) * 2 * kPanelWidth + 2 * j + {0, 1}] are elements 2t
// and 2t + 1 of code block * kPanelWidth + j. The query is int16 weights,
// one pair a 32-bit word (query_pairs[t] = w[2t] | w[2t + 1] << 16, as
// uint16). out[j] = sum_t code_j[2t] w[2t] + code_j[2t+1] w[2t+1], exact in
// int32: the caller keeps |w| * 127 * 2 * pairs below 2^31. count is a
// multiple of kPanelWidth.
using CodePanelKernel = void (*)(const uint32_t* query_pairs, const int8_t* panel, size_t pairs, size_t count,
                                 int32_t* out);
// Hamming distances of one query of `words` 64-bit words to `count` codes
// stored one after another (codes + j * words), into out[j].
using HammingRowsKernel = void (*)(const uint64_t* query, const uint64_t* codes, size_t words, size_t count,
                                   uint32_t* out);

struct Kernels {
  const char* name;            // the kernel family, as quiver_simd() reports it
  DistanceKernel f32_dot;      // sum a[i]*b[i]
  DistanceKernel f32_l2sq;     // sum (a[i]-b[i])^2
  DistanceKernel f32_cosine;   // 1 - a.b / (|a| |b|); NaN if a or b is zero
  DistanceKernel i8_dot;       // exact integer sums, returned as double
  DistanceKernel i8_l2sq;
  DistanceKernel i8_cosine;
  DistanceKernel bit_hamming;  // differing bits over n bytes
  PanelKernel f32_dot_panel;   // x . v for a few x and many v (see PanelKernel)
  PanelKernel f32_l2sq_panel;  // |x - v|^2 for a few x and many v
  DistanceKernel f16_dot;      // the float32 kernels, for float16 vectors
  DistanceKernel f16_l2sq;
  DistanceKernel f16_cosine;
  DistanceKernel bf16_dot;     // ... and for bfloat16 vectors
  DistanceKernel bf16_l2sq;
  DistanceKernel bf16_cosine;
  HalfPanelKernel f16_dot_panel;
  HalfPanelKernel f16_l2sq_panel;
  HalfPanelKernel bf16_dot_panel;
  HalfPanelKernel bf16_l2sq_panel;
  WidenKernel f16_widen;
  NarrowKernel f16_narrow;
  WidenKernel bf16_widen;
  NarrowKernel bf16_narrow;
  CodePanelKernel i8_code_panel;     // int8 codes against int16 query weights
  HammingRowsKernel bit_hamming_rows;  // bit codes against one query
};

// Kernel families, best last within each architecture.
enum class Isa { Scalar, Sse42, Avx2, Avx512, Neon };
constexpr Isa kAllIsas[] = {Isa::Scalar, Isa::Sse42, Isa::Avx2, Isa::Avx512, Isa::Neon};

const char* isa_name(Isa isa);

// The reference implementation: plain loops, double accumulators.
const Kernels& scalar_kernels();

// The table for `isa`, or nullptr when it was not built for this
// architecture or this CPU (and OS) cannot run it.
const Kernels* kernels_for(Isa isa);

// The table in use: the best family this CPU runs, unless the environment
// variable QUIVER_SIMD names another runnable family. Chosen on first call.
const Kernels& active_kernels();

// What is wrong with QUIVER_SIMD, or "" when it is unset or names a family
// this machine runs. An unknown name or a family the CPU cannot run is an
// error, not a silent fall back to the best family: the extension refuses to
// load with this message.
std::string simd_setting_error();

// Cosine distance from its three sums; NaN when either norm is zero.
// Internal linkage: the kernel files compiled with different ISA flags must
// not share one copy.
static inline double cosine_from_sums(double dot, double aa, double bb) {
  if (aa == 0 || bb == 0) return NAN;
  double similarity = dot / std::sqrt(aa * bb);
  if (similarity > 1) similarity = 1;
  if (similarity < -1) similarity = -1;
  return 1 - similarity;
}

}  // namespace quiver
