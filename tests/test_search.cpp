// The scorer over prepared blocks at every magnitude a float32 can hold:
// every family's scores against a long double brute force.
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "block.h"
#include "kernels.h"
#include "scan.h"

using namespace quiver;

namespace {

// Rows of `dim` floats whose largest elements span float32's whole range:
// from the smallest subnormal to FLT_MAX, one magnitude per row, some rows
// mixing elements 60 orders of magnitude apart.
std::vector<float> extreme_rows(size_t dim, std::mt19937& rng, bool with_zero) {
  const float magnitudes[] = {1.4e-45f, 1e-40f, 1e-38f, 1e-30f, 1e-20f, 1e-10f, 1e-3f, 1.0f,
                              1e3f,     1e10f,  1e19f,  1e20f,  1e25f,  1e30f,  1e38f, FLT_MAX};
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::vector<float> rows;
  for (float m : magnitudes) {
    for (size_t t = 0; t < dim; ++t) rows.push_back(t == 0 ? m : m * unit(rng));
    for (size_t t = 0; t < dim; ++t) rows.push_back(t % 2 ? m : m * 1e-30f * unit(rng));
  }
  if (with_zero) rows.insert(rows.end(), dim, 0.0f);
  return rows;
}

struct Reference {
  long double dot, l2, cosine, norms;  // norms: |x| |q|
};

Reference reference(const float* x, const float* q, size_t dim) {
  long double dot = 0, l2 = 0, xx = 0, qq = 0;
  for (size_t t = 0; t < dim; ++t) {
    long double a = x[t], b = q[t];
    dot += a * b;
    l2 += (a - b) * (a - b);
    xx += a * a;
    qq += b * b;
  }
  long double norms = std::sqrt(xx) * std::sqrt(qq);
  return {dot, std::sqrt(l2), norms > 0 ? 1 - dot / norms : NAN, norms};
}

}  // namespace

TEST_CASE("scores are finite and correct for vectors of any finite magnitude in every family", "[search][extreme]") {
  // Tolerances: a float32 sum of d products errs by at most about d * 2^-24
  // of the sum of their absolute values, so with d <= 37 a dot product is
  // within 1e-5 |x| |q|, a cosine distance within 1e-5 (it is a dot product
  // of unit vectors), and an L2 distance, a sum of non-negative terms, within
  // 1e-5 of itself. What underflows is far below these bounds.
  std::mt19937 rng(14);
  for (Isa isa : kAllIsas) {
    const Kernels* kernels = kernels_for(isa);
    if (!kernels) continue;
    for (size_t dim : {4u, 37u}) {
      for (Metric metric : {Metric::Cosine, Metric::Dot, Metric::L2}) {
        std::vector<float> rows = extreme_rows(dim, rng, metric != Metric::Cosine);
        size_t n = rows.size() / dim;
        std::vector<int64_t> rowids(n);
        for (size_t i = 0; i < n; ++i) rowids[i] = static_cast<int64_t>(i + 1);
        Block block;
        prepare_block(ElementType::Float32, static_cast<uint32_t>(dim), metric,
                      reinterpret_cast<const unsigned char*>(rows.data()), rowids.data(), static_cast<int64_t>(n),
                      &block);
        ScanScratch scratch;
        for (size_t qi = 0; qi < n; ++qi) {
          const float* q = rows.data() + qi * dim;
          bool zero_query = true;
          for (size_t t = 0; t < dim; ++t) zero_query = zero_query && q[t] == 0;
          if (metric == Metric::Cosine && zero_query) continue;
          Scorer scorer(metric, VectorView{ElementType::Float32, static_cast<uint32_t>(dim), q}, *kernels);
          double* scores = scratch.reserve(block);
          scorer.score_block(block, scratch.panel.data(), scores);
          for (size_t j = 0; j < n; ++j) {
            const float* x = rows.data() + j * dim;
            Reference ref = reference(x, q, dim);
            double got = scorer.distance(scores[j]);
            INFO(isa_name(isa) << " " << metric_name(metric) << " dim " << dim << " query " << qi << " row " << j
                               << ": got " << got);
            REQUIRE(std::isfinite(got));
            switch (metric) {
              case Metric::Dot:
                CHECK(std::fabs(got + static_cast<double>(ref.dot)) <= 1e-5 * static_cast<double>(ref.norms));
                break;
              case Metric::Cosine:
                CHECK(std::fabs(got - static_cast<double>(ref.cosine)) <= 1e-5);
                break;
              default:
                CHECK(std::fabs(got - static_cast<double>(ref.l2)) <= 1e-5 * static_cast<double>(ref.l2));
                break;
            }
          }
        }
      }
    }
  }
}

TEST_CASE("safe_exponent leaves ordinary magnitudes alone and brings the others to at least 1 and below 2", "[search][extreme]") {
  for (float m : {0.0f, 0x1p-20f, 1.0f, 3.5f, 0x1p20f}) CHECK(safe_exponent(m) == 0);
  for (float m : {1.4e-45f, 1e-30f, 0x1.fffffep-21f, 0x1.000002p20f, 1e25f, FLT_MAX}) {
    int e = safe_exponent(m);
    INFO(m);
    CHECK(e != 0);
    float scaled = std::ldexp(m, -e);
    CHECK(scaled >= 1.0f);
    CHECK(scaled < 2.0f);
  }
}
