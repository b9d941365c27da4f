// A chunk of vectors prepared for scanning (no SQLite).
//
// float32 vectors are transposed into the panel layout of kernels.h, blocks
// of kPanelWidth vectors stored dimension-major, so one query meets 16
// vectors per FMA with no horizontal sums; for cosine the inverse norms are
// computed once here instead of once per query. int8 and bit vectors keep
// their stored row layout and go through the per-pair kernels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "table_spec.h"
#include "vector.h"

namespace quiver {

struct Block {
  int64_t count = 0;
  std::vector<int64_t> rowids;
  std::vector<float> panel;         // float32: padded to a multiple of kPanelWidth vectors
  std::vector<float> inv_norms;     // float32 + cosine: 1/|x|, 0 for a zero vector
  std::vector<unsigned char> rows;  // int8, bit: as stored

  size_t memory() const {
    return rowids.capacity() * 8 + panel.capacity() * 4 + inv_norms.capacity() * 4 + rows.capacity();
  }
};

// Fills `out` from `count` stored vectors (row layout, possibly unaligned)
// and their rowids; reuses out's buffers.
void prepare_block(ElementType type, uint32_t dims, Metric metric, const unsigned char* rows, const int64_t* rowids,
                   int64_t count, Block* out);

}  // namespace quiver
