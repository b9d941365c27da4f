#include "half_block.h"

#include <vector>

#include "half.h"

namespace quiver {

void prepare_half_block(ElementType type, uint32_t dims, Metric metric, const unsigned char* rows,
                        const int64_t* rowids, int64_t count, Block* out) {
  const Kernels& k = active_kernels();
  size_t n = static_cast<size_t>(count) * dims;
  std::vector<float> wide(n);
  (type == ElementType::Float16 ? k.f16_widen : k.bf16_widen)(rows, wide.data(), n);
  prepare_block(ElementType::Float32, dims, metric, reinterpret_cast<const unsigned char*>(wide.data()), rowids,
                count, out);
  out->half_panel.resize(out->panel.size());
  // Exact (see the header), so it never overflows.
  (type == ElementType::Float16 ? k.f16_narrow : k.bf16_narrow)(out->panel.data(), out->half_panel.data(),
                                                                 out->panel.size());
  std::vector<float>().swap(out->panel);  // the cache counts capacity
}

size_t panel_count(const Block& block, size_t dims) {
  return (block.half_panel.empty() ? block.panel.size() : block.half_panel.size()) / dims;
}

void score_panel(const Kernels& k, ElementType type, bool l2, const float* x, const Block& block, size_t dims,
                 size_t first, size_t n, float* out) {
  size_t count = (n + kPanelWidth - 1) / kPanelWidth * kPanelWidth, at = first * dims;
  switch (type) {
    case ElementType::Float16:
      return (l2 ? k.f16_l2sq_panel : k.f16_dot_panel)(x, 1, block.half_panel.data() + at, dims, count, out);
    case ElementType::BFloat16:
      return (l2 ? k.bf16_l2sq_panel : k.bf16_dot_panel)(x, 1, block.half_panel.data() + at, dims, count, out);
    default: return (l2 ? k.f32_l2sq_panel : k.f32_dot_panel)(x, 1, block.panel.data() + at, dims, count, out);
  }
}

float panel_element(ElementType type, const Block& block, size_t dims, size_t row, size_t t) {
  size_t i = row / kPanelWidth * dims * kPanelWidth + t * kPanelWidth + row % kPanelWidth;
  switch (type) {
    case ElementType::Float16: return f16_to_f32(block.half_panel[i]);
    case ElementType::BFloat16: return bf16_to_f32(block.half_panel[i]);
    default: return block.panel[i];
  }
}

}  // namespace quiver
