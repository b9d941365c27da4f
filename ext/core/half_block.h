// float16 and bfloat16 chunks prepared for scanning (no SQLite).
//
// A chunk of 16-bit vectors becomes the same panel as a float32 chunk
// (block.h: blocks of kPanelWidth vectors, dimension-major, rows scaled by
// powers of two for dot and cosine), held in the table's 16-bit type, so a
// scan reads 2 bytes per element and the panel kernels widen them as they
// go. Scaling by a power of two keeps a 16-bit value exact (a row's
// elements far below its largest one may round, which does not move its
// score beyond float32's own rounding). Scores are float32 sums, as for
// float32 tables.
#pragma once

#include <cstddef>
#include <cstdint>

#include "block.h"
#include "kernels.h"
#include "table_spec.h"
#include "vector.h"

namespace quiver {

// prepare_block() for a float16 or bfloat16 chunk: out->half_panel holds the
// panel, out->panel is left empty.
void prepare_half_block(ElementType type, uint32_t dims, Metric metric, const unsigned char* rows,
                        const int64_t* rowids, int64_t count, Block* out);

// Panel vectors in the block (a multiple of kPanelWidth), float32 or 16-bit.
size_t panel_count(const Block& block, size_t dims);

// One float32 query x against the block's panel: dot products, or squared
// L2 distances, of panel vectors [first, first + n) into out (n rounded up
// to whole panel blocks; first a multiple of kPanelWidth).
void score_panel(const Kernels& k, ElementType type, bool l2, const float* x, const Block& block, size_t dims,
                 size_t first, size_t n, float* out);

// Element t of panel vector `row`, as a float.
float panel_element(ElementType type, const Block& block, size_t dims, size_t row, size_t t);

}  // namespace quiver
