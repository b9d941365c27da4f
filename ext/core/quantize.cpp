#include "quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace quiver {

const char* quantization_name(Quantization q) {
  switch (q) {
    case Quantization::Int8: return "int8";
    case Quantization::Bit: return "bit";
    default: return "none";
  }
}

std::string quantization_error(Quantization kind, ElementType type, Metric metric) {
  if (kind == Quantization::None) return "";
  if (type != ElementType::Float32 && !is_half(type))
    return std::string("quantize=") + quantization_name(kind) + " needs a float, float16 or bfloat16 column";
  if (kind == Quantization::Bit && metric == Metric::L2) return "quantize=bit needs distance=cosine or dot";
  return "";
}

bool Quantizer::to_coding_space(const float* x, float* y) const {
  if (metric != Metric::Cosine) {
    std::memcpy(y, x, size_t{dims} * 4);
    return true;
  }
  double n = 0;
  for (uint32_t t = 0; t < dims; ++t) n += double{x[t]} * x[t];
  if (n == 0) {
    std::fill(y, y + dims, 0.0f);
    return false;
  }
  double inv = 1 / std::sqrt(n);
  for (uint32_t t = 0; t < dims; ++t) y[t] = static_cast<float>(x[t] * inv);
  return true;
}

Quantizer train_quantizer(Quantization kind, Metric metric, uint32_t dims, const float* sample, size_t n,
                          double clip) {
  Quantizer q;
  q.kind = kind;
  q.metric = metric;
  q.dims = dims;
  q.offset.assign(dims, 0.0f);
  q.scale.assign(kind == Quantization::Int8 ? dims : 0, 0.0f);
  // The sample in coding space, by dimension (zero vectors have no direction).
  std::vector<std::vector<float>> columns(dims);
  std::vector<float> y(dims);
  for (size_t i = 0; i < n; ++i) {
    if (!q.to_coding_space(sample + i * dims, y.data())) continue;
    for (uint32_t t = 0; t < dims; ++t) columns[t].push_back(y[t]);
  }
  for (uint32_t t = 0; t < dims; ++t) {
    std::vector<float>& c = columns[t];
    if (c.empty()) continue;
    if (kind == Quantization::Bit) {
      double s = 0;
      for (float v : c) s += v;
      q.offset[t] = static_cast<float>(s / static_cast<double>(c.size()));
      continue;
    }
    std::sort(c.begin(), c.end());
    size_t cut = clip > 0 ? static_cast<size_t>(clip * static_cast<double>(c.size() - 1)) : 0;
    double lo = c[cut], hi = c[c.size() - 1 - cut];
    q.offset[t] = static_cast<float>((lo + hi) / 2);
    q.scale[t] = static_cast<float>((hi - lo) / 254);
  }
  return q;
}

namespace {

void put_u32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_floats(std::string* out, const std::vector<float>& v) {
  size_t at = out->size();
  if (v.empty()) return;
  out->resize(at + 4 * v.size());
  std::memcpy(&(*out)[at], v.data(), 4 * v.size());
}

}  // namespace

std::string serialize_quantizer(const Quantizer& q) {
  std::string out;
  out.push_back(1);
  out.push_back(static_cast<char>(q.kind));
  out.push_back(static_cast<char>(q.metric));
  put_u32(&out, q.dims);
  put_floats(&out, q.offset);
  put_floats(&out, q.scale);
  return out;
}

Status deserialize_quantizer(const void* data, size_t bytes, Quantizer* out) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  if (bytes < 7 || p[0] != 1) return Status::error("unknown quantizer format");
  Quantizer q;
  if (p[1] != static_cast<unsigned char>(Quantization::Int8) && p[1] != static_cast<unsigned char>(Quantization::Bit))
    return Status::error("unknown quantizer kind " + std::to_string(p[1]));
  if (p[2] > static_cast<unsigned char>(Metric::L2)) return Status::error("unknown quantizer metric");
  q.kind = static_cast<Quantization>(p[1]);
  q.metric = static_cast<Metric>(p[2]);
  q.dims = uint32_t{p[3]} | uint32_t{p[4]} << 8 | uint32_t{p[5]} << 16 | uint32_t{p[6]} << 24;
  size_t arrays = q.kind == Quantization::Int8 ? 2 : 1;
  if (q.dims == 0 || q.dims > kMaxDims || bytes != 7 + arrays * 4 * size_t{q.dims})
    return Status::error("quantizer of " + std::to_string(bytes) + " bytes does not match its dimensions");
  q.offset.resize(q.dims);
  std::memcpy(q.offset.data(), p + 7, 4 * size_t{q.dims});
  if (arrays == 2) {
    q.scale.resize(q.dims);
    std::memcpy(q.scale.data(), p + 7 + 4 * size_t{q.dims}, 4 * size_t{q.dims});
  }
  for (uint32_t t = 0; t < q.dims; ++t)
    if (!std::isfinite(q.offset[t]) || (arrays == 2 && !(q.scale[t] >= 0 && std::isfinite(q.scale[t]))))
      return Status::error("quantizer holds a value that is not finite");
  *out = std::move(q);
  return Status();
}

}  // namespace quiver
