#include "code_block.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels.h"

namespace quiver {

namespace {

// sqrt rounds to nearest: one step up makes it a bound.
float rounded_up_sqrt(double s) {
  return std::nextafter(static_cast<float>(std::sqrt(s)), HUGE_VALF);
}

}  // namespace

bool encode_int8(const Quantizer& q, const float* x, int8_t* code, float* norm, float* residual, float* code_norm) {
  std::vector<float> y(q.dims);
  bool direction = q.to_coding_space(x, y.data());
  double yy = 0, rr = 0;
  int64_t cc = 0;
  for (uint32_t t = 0; t < q.dims; ++t) {
    double s = q.scale[t];
    double c = s > 0 ? std::nearbyint((y[t] - double{q.offset[t]}) / s) : 0;
    c = std::min(127.0, std::max(-127.0, c));
    code[t] = static_cast<int8_t>(c);
    double r = y[t] - (double{q.offset[t]} + s * c);
    yy += double{y[t]} * y[t];
    rr += r * r;
    cc += static_cast<int64_t>(c * c);
  }
  *norm = rounded_up_sqrt(yy);
  *residual = rounded_up_sqrt(rr);
  *code_norm = rounded_up_sqrt(static_cast<double>(cc));
  return direction;
}

bool encode_bits(const Quantizer& q, const float* x, uint64_t* code) {
  std::vector<float> y(q.dims);
  bool direction = q.to_coding_space(x, y.data());
  std::fill(code, code + q.code_words(), 0);
  for (uint32_t t = 0; t < q.dims; ++t)
    if (y[t] > q.offset[t]) code[t / 64] |= uint64_t{1} << (t % 64);
  return direction;
}

void prepare_code_block(const Quantizer& q, ElementType type, const unsigned char* rows, int64_t count,
                        CodeBlock* out) {
  size_t n = static_cast<size_t>(count), dims = q.dims, row_bytes = encoded_size(type, q.dims);
  out->count = count;
  out->directionless.assign(q.metric == Metric::Cosine ? n : 0, 0);
  std::vector<float> x(dims);
  if (q.kind == Quantization::Bit) {
    size_t words = q.code_words();
    out->bits.assign(n * words, 0);
    out->panel.clear();
    out->norms.clear();
    out->residuals.clear();
    out->code_norms.clear();
    for (size_t j = 0; j < n; ++j) {
      widen_to_float(VectorView{type, q.dims, rows + j * row_bytes}, x.data());
      if (!encode_bits(q, x.data(), &out->bits[j * words]) && !out->directionless.empty()) out->directionless[j] = 1;
    }
    return;
  }
  size_t pairs = q.code_pairs(), padded = (n + kPanelWidth - 1) / kPanelWidth * kPanelWidth;
  out->bits.clear();
  out->panel.assign(padded * pairs * 2, 0);
  out->norms.resize(n);
  out->residuals.resize(n);
  out->code_norms.resize(n);
  std::vector<int8_t> code(pairs * 2, 0);
  for (size_t j = 0; j < n; ++j) {
    widen_to_float(VectorView{type, q.dims, rows + j * row_bytes}, x.data());
    if (!encode_int8(q, x.data(), code.data(), &out->norms[j], &out->residuals[j], &out->code_norms[j]) &&
        !out->directionless.empty())
      out->directionless[j] = 1;
    int8_t* block = out->panel.data() + j / kPanelWidth * pairs * 2 * kPanelWidth + 2 * (j % kPanelWidth);
    for (size_t t = 0; t < pairs; ++t) {
      block[t * 2 * kPanelWidth] = code[2 * t];
      block[t * 2 * kPanelWidth + 1] = code[2 * t + 1];
    }
  }
}

}  // namespace quiver
