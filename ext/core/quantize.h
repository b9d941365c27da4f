// Quantizers for compact first-pass codes (no SQLite).
//
// A quantized table keeps, beside each full vector, a code that is cheap to
// scan; the scan ranks by the codes and re-ranks the best candidates from
// the full vectors (quantized_scan.h), so reported distances stay exact.
//
// Vectors are coded in a "coding space": unit vectors for cosine, the
// vectors as they are for dot and L2.
//
//   int8  element t of y is coded c_t = round((y_t - offset_t) / scale_t),
//         clamped to [-127, 127], so y_t ~ offset_t + scale_t c_t. offset and
//         scale are learned per dimension from a sample of the data: the
//         range [lo_t, hi_t] is either the sample's min and max (clip = 0) or
//         its clip and 1 - clip quantiles, with values beyond clamped.
//   bit   bit t of the code is y_t > offset_t, offset_t the sample's mean of
//         dimension t (centring first matters: embeddings rarely have zero
//         means). Codes are compared by Hamming distance. Only for cosine
//         and dot: the sign pattern carries the direction, not the length
//         an L2 distance needs, so L2 tables refuse it.
//
// Each int8 code comes with what bounds its error (quantized_scan.h): the
// residual |y - y^| of the row (y^ the decoded code), the norm of the code
// |c| and the row's norm |y|.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "table_spec.h"
#include "vector.h"

namespace quiver {

const char* quantization_name(Quantization q);

// The default clip fraction of int8 training (bench/quantize.cpp measured
// min/max against quantiles on GloVe).
constexpr double kDefaultInt8Clip = 0.0;

// Candidates re-ranked per row asked for, when the table does not say
// (bench/quantize.cpp, GloVe 100-d cosine: int8 reaches recall@10 0.975 at
// 1, 1.0 at 2; bit needs far more and stays below 0.75 at 64).
constexpr size_t kDefaultInt8Rescore = 4;
constexpr size_t kDefaultBitRescore = 16;

struct Quantizer {
  Quantization kind = Quantization::None;
  Metric metric = Metric::L2;
  uint32_t dims = 0;
  std::vector<float> offset;  // per dimension (int8: the range's centre; bit: the mean)
  std::vector<float> scale;   // int8: per dimension, (hi - lo) / 254, 0 for a constant dimension

  // Bytes of one code as scanned: int8 pads dims to even (pairs), bit to
  // whole 64-bit words.
  size_t code_pairs() const { return (dims + 1) / 2; }
  size_t code_words() const { return (dims + 63) / 64; }

  // y (dims floats) in coding space: a unit vector for cosine. False for a
  // zero vector under cosine, which has no direction (it never ranks).
  bool to_coding_space(const float* x, float* y) const;
};

// Whether `kind` suits a column of `type` with `metric`; "" or the reason.
std::string quantization_error(Quantization kind, ElementType type, Metric metric);

// Learns a quantizer from n sample vectors (n * dims floats, row after row,
// in the vectors' own space: the quantizer moves them to coding space).
// clip (int8 only) in [0, 0.5): the fraction of each dimension's values
// left outside its range at each end. n may be 0 (then every code is the
// zero code, still with exact bounds).
Quantizer train_quantizer(Quantization kind, Metric metric, uint32_t dims, const float* sample, size_t n,
                          double clip = kDefaultInt8Clip);

// The quantizer as bytes, for the table's config, and back. The layout:
// byte 0 the format version (1), byte 1 the kind, byte 2 the metric, bytes
// 3..6 dims (little-endian uint32), then dims float32 offsets and, for int8,
// dims float32 scales.
std::string serialize_quantizer(const Quantizer& q);
Status deserialize_quantizer(const void* data, size_t bytes, Quantizer* out);

}  // namespace quiver
