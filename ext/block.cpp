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
  // Panel by panel: each reads kPanelWidth rows as parallel streams and
  // writes its panel contiguously; squared norms accumulate per lane, in
  // float like the scores (independent lanes, so the compiler vectorizes).
  size_t padded = (n + kPanelWidth - 1) / kPanelWidth * kPanelWidth;
  out->panel.resize(padded * dims);
  bool cosine = metric == Metric::Cosine;
  out->inv_norms.resize(cosine ? padded : 0);
  for (size_t g = 0; g < padded; g += kPanelWidth) {
    float* dst = out->panel.data() + g * dims;
    size_t live = n - g < kPanelWidth ? n - g : kPanelWidth;
    const unsigned char* src = rows + g * dims * 4;
    float sums[kPanelWidth] = {};
    for (uint32_t t = 0; t < dims; ++t, dst += kPanelWidth) {
      for (size_t r = 0; r < live; ++r) {
        float x;
        std::memcpy(&x, src + (r * dims + t) * 4, 4);  // stored rows may be unaligned
        dst[r] = x;
        sums[r] += x * x;
      }
      for (size_t r = live; r < kPanelWidth; ++r) dst[r] = 0.0f;
    }
    if (cosine)
      for (size_t r = 0; r < kPanelWidth; ++r)
        out->inv_norms[g + r] = sums[r] > 0 ? 1.0f / std::sqrt(sums[r]) : 0.0f;
  }
}

}  // namespace quiver
