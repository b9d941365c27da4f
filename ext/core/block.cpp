#include "block.h"

#include <cmath>
#include <cstring>

#include "half_block.h"
#include "kernels.h"

namespace quiver {

int safe_exponent(float max_abs) {
  if (max_abs == 0 || (max_abs >= 0x1p-20f && max_abs <= 0x1p20f)) return 0;
  return std::ilogb(max_abs);  // max_abs / 2^e in [1, 2)
}

void prepare_block(ElementType type, uint32_t dims, Metric metric, const unsigned char* rows, const int64_t* rowids,
                   int64_t count, Block* out) {
  if (is_half(type)) return prepare_half_block(type, dims, metric, rows, rowids, count, out);
  size_t n = static_cast<size_t>(count);
  out->count = count;
  out->rowids.assign(rowids, rowids + n);
  out->half_panel.clear();
  if (type != ElementType::Float32) {
    out->rows.assign(rows, rows + n * encoded_size(type, dims));
    out->panel.clear();
    out->inv_norms.clear();
    out->scales.clear();
    return;
  }
  out->rows.clear();
  // Panel by panel: each reads kPanelWidth rows as parallel streams and
  // writes its panel contiguously; squared norms and largest elements
  // accumulate per lane, in float like the scores (independent lanes, so the
  // compiler vectorizes).
  size_t padded = (n + kPanelWidth - 1) / kPanelWidth * kPanelWidth;
  out->panel.resize(padded * dims);
  bool cosine = metric == Metric::Cosine, scaled = metric != Metric::L2;
  out->inv_norms.resize(cosine ? padded : 0);
  out->scales.assign(metric == Metric::Dot ? padded : 0, 1.0f);
  for (size_t g = 0; g < padded; g += kPanelWidth) {
    float* panel = out->panel.data() + g * dims;
    float* dst = panel;
    size_t live = n - g < kPanelWidth ? n - g : kPanelWidth;
    const unsigned char* src = rows + g * dims * 4;
    float sums[kPanelWidth] = {}, max_abs[kPanelWidth] = {};
    for (uint32_t t = 0; t < dims; ++t, dst += kPanelWidth) {
      for (size_t r = 0; r < live; ++r) {
        float x;
        std::memcpy(&x, src + (r * dims + t) * 4, 4);  // stored rows may be unaligned
        dst[r] = x;
        sums[r] += x * x;
        float a = std::fabs(x);
        max_abs[r] = a > max_abs[r] ? a : max_abs[r];
      }
      for (size_t r = live; r < kPanelWidth; ++r) dst[r] = 0.0f;
    }
    if (!scaled) continue;
    for (size_t r = 0; r < live; ++r) {
      int e = safe_exponent(max_abs[r]);
      if (e == 0) continue;
      sums[r] = 0;
      for (uint32_t t = 0; t < dims; ++t) {
        float& x = panel[t * kPanelWidth + r];
        x = std::ldexp(x, -e);  // exact, but for elements far below the largest
        sums[r] += x * x;
      }
      if (metric == Metric::Dot) out->scales[g + r] = std::ldexp(1.0f, e);
    }
    if (cosine)
      for (size_t r = 0; r < kPanelWidth; ++r)
        out->inv_norms[g + r] = sums[r] > 0 ? 1.0f / std::sqrt(sums[r]) : 0.0f;
  }
}

}  // namespace quiver
