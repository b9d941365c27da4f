// A chunk of vectors prepared for scanning (no SQLite).
//
// float32 vectors are transposed into the panel layout of kernels.h, blocks
// of kPanelWidth vectors stored dimension-major, so one query meets 16
// vectors per FMA with no horizontal sums; for cosine the inverse norms are
// computed once here instead of once per query. int8 and bit vectors keep
// their stored row layout and go through the per-pair kernels.
//
// Scores are summed in float32, whose squares overflow past 1.8e19 and
// underflow below 1e-19. For dot and cosine a row whose largest element is
// outside [2^-20, 2^20] is stored in the panel divided by a power of two
// (exact) that brings that element into [1, 2), and its scale is kept: then
// no product overflows and what underflows is negligible beside the row's
// norm. L2 cannot factor a scale out of a difference, so its panel holds the
// rows as stored and the scorer recomputes in double the few scores that
// come out of float32's safe range (scan.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "code_block.h"
#include "table_spec.h"
#include "vector.h"

namespace quiver {

struct Block {
  int64_t count = 0;
  std::vector<int64_t> rowids;
  std::vector<float> panel;         // float32: padded to a multiple of kPanelWidth vectors
  std::vector<float> inv_norms;     // float32 + cosine: 1/|x| of the panel's row, 0 for a zero vector
  std::vector<float> scales;        // float32 + dot: panel row = stored row / scale (a power of two)
  std::vector<unsigned char> rows;  // int8, bit: as stored
  std::vector<uint16_t> half_panel; // float16, bfloat16: the panel in that type (half_block.h)
  CodeBlock codes;                  // quantized tables: the rows' codes (code_block.h)

  size_t memory() const {
    return rowids.capacity() * 8 + panel.capacity() * 4 + inv_norms.capacity() * 4 + scales.capacity() * 4 +
           rows.capacity() + half_panel.capacity() * 2 + codes.memory();
  }
};

// The exponent e of the power of two 2^e a float32 vector whose largest
// |element| is max_abs is divided by before float32 products (0 when it is
// safe as it is).
int safe_exponent(float max_abs);

// Fills `out` from `count` stored vectors (row layout, possibly unaligned)
// and their rowids; reuses out's buffers.
void prepare_block(ElementType type, uint32_t dims, Metric metric, const unsigned char* rows, const int64_t* rowids,
                   int64_t count, Block* out);

}  // namespace quiver
