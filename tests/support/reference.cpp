#include "reference.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "half.h"

namespace quiver_test {

Metric metric_named(const std::string& name) {
  for (Metric m : {Metric::Cosine, Metric::Dot, Metric::L2, Metric::Hamming})
    if (name == quiver::metric_name(m)) return m;
  throw std::invalid_argument("no metric named " + name);
}

std::vector<float> elements(ElementType type, const void* data, size_t dims) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  std::vector<float> out(dims);
  for (size_t t = 0; t < dims; ++t) {
    switch (type) {
      case ElementType::Float32: std::memcpy(&out[t], bytes + 4 * t, 4); break;
      case ElementType::Int8: out[t] = static_cast<int8_t>(bytes[t]); break;
      case ElementType::Bit: out[t] = static_cast<float>((bytes[t / 8] >> (t % 8)) & 1); break;
      case ElementType::Float16:
      case ElementType::BFloat16: {
        uint16_t h;
        std::memcpy(&h, bytes + 2 * t, 2);
        out[t] = type == ElementType::Float16 ? quiver::f16_to_f32(h) : quiver::bf16_to_f32(h);
        break;
      }
    }
  }
  return out;
}

double reference_distance(Metric metric, const float* a, const float* b, size_t dims) {
  double dot = 0, aa = 0, bb = 0, l2 = 0, differ = 0;
  for (size_t t = 0; t < dims; ++t) {
    double x = a[t], y = b[t];
    dot += x * y;
    aa += x * x;
    bb += y * y;
    l2 += (x - y) * (x - y);
    differ += x != y;
  }
  switch (metric) {
    case Metric::L2: return std::sqrt(l2);
    case Metric::Cosine:
      if (aa == 0 || bb == 0) return NAN;
      return 1 - std::max(-1.0, std::min(1.0, dot / std::sqrt(aa * bb)));
    case Metric::Dot: return -dot;
    case Metric::Hamming: return differ;
  }
  return NAN;
}

std::vector<Neighbour> reference_nearest(Metric metric, const std::vector<float>& query,
                                         const std::vector<ReferenceRow>& rows, size_t k) {
  std::vector<Neighbour> all;
  all.reserve(rows.size());
  for (const ReferenceRow& r : rows) {
    if (r.vector.size() != query.size()) throw std::invalid_argument("reference row of another length");
    double d = reference_distance(metric, query, r.vector);
    if (!std::isnan(d)) all.push_back({r.rowid, d});
  }
  auto nearer = [](const Neighbour& a, const Neighbour& b) {
    return a.distance < b.distance || (a.distance == b.distance && a.rowid < b.rowid);
  };
  if (all.size() > k) {
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(), nearer);
    all.resize(k);
  } else {
    std::sort(all.begin(), all.end(), nearer);
  }
  return all;
}

}  // namespace quiver_test
