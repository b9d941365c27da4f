#include "block.h"

#include <cmath>
#include <cstring>

#include "kernels.h"

namespace quiver {

void prepare_block(ElementType type, uint32_t dims, Metric metric, const unsigned char* rows, const int64_t* rowids,
                   int64_t count, Block* out) {
  size_t n = static_cast<size_t>(count);
  out->count = count;
  out->rowids.assign(rowids, rowids + n);
  if (type != ElementType::Float32) {
    out->rows.assign(rows, rows + n * encoded_size(type, dims));
    out->panel.clear();
    out->inv_norms.clear();
    return;
  }
  out->rows.clear();
  size_t padded = (n + kPanelWidth - 1) / kPanelWidth * kPanelWidth;
  out->panel.assign(padded * dims, 0.0f);
  float* panel = out->panel.data();
  for (size_t j = 0; j < n; ++j) {
    const unsigned char* row = rows + j * dims * 4;
    float* column = panel + (j / kPanelWidth) * dims * kPanelWidth + j % kPanelWidth;
    for (uint32_t t = 0; t < dims; ++t) std::memcpy(column + t * kPanelWidth, row + t * 4, 4);
  }
  out->inv_norms.clear();
  if (metric != Metric::Cosine) return;
  out->inv_norms.resize(n);
  for (size_t j = 0; j < n; ++j) {
    double sum = 0;
    for (uint32_t t = 0; t < dims; ++t) {
      float x;
      std::memcpy(&x, rows + (j * dims + t) * 4, 4);
      sum += double{x} * x;
    }
    out->inv_norms[j] = sum > 0 ? static_cast<float>(1 / std::sqrt(sum)) : 0.0f;
  }
}

}  // namespace quiver
