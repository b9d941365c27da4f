// The codes of one chunk, prepared for the first pass of a quantized scan
// (quantize.h, quantized_scan.h). No SQLite.
//
// int8 codes sit in the code panel of kernels.h (blocks of kPanelWidth
// codes by pairs of dimensions, padded with zero codes); bit codes one
// after another in whole 64-bit words. Per row, the numbers that bound an
// int8 code's error: the row's norm in coding space |y|, the residual
// |y - y^| and the code's norm |c|, each rounded up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "quantize.h"
#include "vector.h"

namespace quiver {

struct CodeBlock {
  int64_t count = 0;
  std::vector<int8_t> panel;        // int8: padded to a multiple of kPanelWidth codes
  std::vector<uint64_t> bits;       // bit: count * code_words()
  std::vector<float> norms;         // int8: |y|
  std::vector<float> residuals;     // int8: |y - y^|
  std::vector<float> code_norms;    // int8: |c|
  std::vector<uint8_t> directionless;  // cosine: 1 for a zero vector, which never ranks

  size_t memory() const {
    return panel.capacity() + bits.capacity() * 8 +
           (norms.capacity() + residuals.capacity() + code_norms.capacity()) * 4 + directionless.capacity();
  }
};

// Codes of `count` stored vectors of `type` (float32, float16 or bfloat16,
// row layout, possibly unaligned); reuses out's buffers.
void prepare_code_block(const Quantizer& q, ElementType type, const unsigned char* rows, int64_t count,
                        CodeBlock* out);

// One vector's int8 code (q.dims values) and its bounds, as prepare_code_block
// computes them; false for a vector without direction (cosine, zero).
bool encode_int8(const Quantizer& q, const float* x, int8_t* code, float* norm, float* residual, float* code_norm);

// One vector's bit code (q.code_words() words); false as above.
bool encode_bits(const Quantizer& q, const float* x, uint64_t* code);

}  // namespace quiver
