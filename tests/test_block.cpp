// Chunks prepared for scanning (ext/core/block.h, half_block.h), without
// SQLite: a Block built from a chunk's bytes as the store reads them
// (unaligned, row after row) against the layout the header describes,
// element by element: the count and rowids, float32 panels dimension-major
// in groups of kPanelWidth with zero padding, inverse norms for cosine,
// power-of-two scales for dot, int8 and bit rows kept as stored, float16 and
// bfloat16 panels in their own type; buffers reused from one chunk to the
// next; and what an empty chunk gives. (The store's checks of a malformed
// chunk payload are in test_store.cpp.)
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "block.h"
#include "half.h"
#include "half_block.h"
#include "kernels.h"
#include "support/reference.h"

using namespace quiver;

namespace {

// A chunk's payload as stored: `count` vectors back to back, placed one byte
// past an aligned address as a blob read may leave them.
struct Chunk {
  ElementType type;
  uint32_t dims;
  std::vector<unsigned char> storage;
  std::vector<int64_t> rowids;
  const unsigned char* rows() const { return storage.data() + 1; }
  size_t bytes() const { return encoded_size(type, dims); }
  const unsigned char* row(size_t i) const { return rows() + i * bytes(); }
};

Chunk random_chunk(std::mt19937& rng, ElementType type, uint32_t dims, size_t count, bool extreme = false) {
  Chunk c{type, dims, std::vector<unsigned char>(1 + count * encoded_size(type, dims)), {}};
  std::normal_distribution<float> g(0, 1);
  const float magnitudes[] = {1e-30f, 1e-7f, 1.0f, 3e5f, 1e30f, FLT_MAX / 8};
  for (size_t i = 0; i < count; ++i) {
    unsigned char* out = c.storage.data() + 1 + i * c.bytes();
    float scale = extreme ? magnitudes[i % 6] : 1.0f;
    for (uint32_t t = 0; t < dims; ++t) {
      float x = g(rng) * scale;
      switch (type) {
        case ElementType::Float32: std::memcpy(out + 4 * t, &x, 4); break;
        case ElementType::Float16: {
          uint16_t h = f32_to_f16(x);
          std::memcpy(out + 2 * t, &h, 2);
          break;
        }
        case ElementType::BFloat16: {
          uint16_t h = f32_to_bf16(x);
          std::memcpy(out + 2 * t, &h, 2);
          break;
        }
        default: break;
      }
    }
    if (type == ElementType::Int8 || type == ElementType::Bit)
      for (size_t b = 0; b < c.bytes(); ++b) out[b] = static_cast<unsigned char>(rng());
    c.rowids.push_back(static_cast<int64_t>(rng() % 100000) - 50000);
  }
  // A zero vector among them (cosine: no direction).
  if (count > 3) std::memset(c.storage.data() + 1 + 3 * c.bytes(), 0, c.bytes());
  return c;
}

// The panel's element t of vector `row`, from its definition.
size_t panel_index(uint32_t dims, size_t row, size_t t) {
  return row / kPanelWidth * dims * kPanelWidth + t * kPanelWidth + row % kPanelWidth;
}

}  // namespace

TEST_CASE("block: float32 chunks become panels of kPanelWidth vectors, dimension-major, zero-padded", "[block]") {
  std::mt19937 rng(1);
  for (uint32_t dims : {1u, 3u, 16u, 37u}) {
    for (size_t count : {size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{100}}) {
      for (Metric metric : {Metric::L2, Metric::Cosine, Metric::Dot}) {
        INFO("dims " << dims << " count " << count << " " << metric_name(metric));
        Chunk c = random_chunk(rng, ElementType::Float32, dims, count);
        Block b;
        prepare_block(ElementType::Float32, dims, metric, c.rows(), c.rowids.data(), static_cast<int64_t>(count), &b);
        REQUIRE(b.count == static_cast<int64_t>(count));
        REQUIRE(b.rowids == c.rowids);
        size_t padded = (count + kPanelWidth - 1) / kPanelWidth * kPanelWidth;
        REQUIRE(b.panel.size() == padded * dims);
        REQUIRE(panel_count(b, dims) == padded);
        REQUIRE(b.rows.empty());
        REQUIRE(b.half_panel.empty());
        for (size_t r = 0; r < padded; ++r) {
          std::vector<float> x(dims, 0.0f);
          if (r < count) x = quiver_test::elements(ElementType::Float32, c.row(r), dims);
          for (uint32_t t = 0; t < dims; ++t) {
            // Ordinary magnitudes are never scaled: the panel holds the
            // stored values exactly, and padding is zero.
            REQUIRE(b.panel[panel_index(dims, r, t)] == x[t]);
            REQUIRE(panel_element(ElementType::Float32, b, dims, r, t) == x[t]);
          }
          if (metric == Metric::Cosine) {
            double norm = quiver_test::reference_distance(Metric::L2, x, std::vector<float>(dims, 0.0f));
            if (norm == 0) REQUIRE(b.inv_norms[r] == 0.0f);  // a zero vector, and padding
            else REQUIRE(std::fabs(b.inv_norms[r] * norm - 1) <= 1e-6 * dims);
          }
        }
        REQUIRE(b.inv_norms.size() == (metric == Metric::Cosine ? padded : 0));
        REQUIRE(b.scales.size() == (metric == Metric::Dot ? padded : 0));
        for (float s : b.scales) REQUIRE(s == 1.0f);
      }
    }
  }
}

TEST_CASE("block: rows at extreme magnitudes are scaled by powers of two for dot and cosine, never for l2", "[block]") {
  std::mt19937 rng(2);
  const uint32_t dims = 9;
  const size_t count = 36;
  Chunk c = random_chunk(rng, ElementType::Float32, dims, count, true);
  for (Metric metric : {Metric::L2, Metric::Cosine, Metric::Dot}) {
    INFO(metric_name(metric));
    Block b;
    prepare_block(ElementType::Float32, dims, metric, c.rows(), c.rowids.data(), static_cast<int64_t>(count), &b);
    for (size_t r = 0; r < count; ++r) {
      std::vector<float> x = quiver_test::elements(ElementType::Float32, c.row(r), dims);
      float max_abs = 0;
      for (float v : x) max_abs = std::max(max_abs, std::fabs(v));
      int e = metric == Metric::L2 ? 0 : safe_exponent(max_abs);
      INFO("row " << r << " largest " << max_abs << " exponent " << e);
      if (metric != Metric::L2 && max_abs > 0) {
        // Scaled rows have their largest element in [1, 2).
        if (e != 0) {
          float largest = 0;
          for (uint32_t t = 0; t < dims; ++t) largest = std::max(largest, std::fabs(b.panel[panel_index(dims, r, t)]));
          REQUIRE(largest >= 1.0f);
          REQUIRE(largest < 2.0f);
        }
      }
      for (uint32_t t = 0; t < dims; ++t) {
        // Exact division by 2^e, up to the subnormals it may flush.
        float want = std::ldexp(x[t], -e);
        float got = b.panel[panel_index(dims, r, t)];
        REQUIRE(std::fabs(got - want) <= std::ldexp(1.0f, -126));
      }
      if (metric == Metric::Dot) REQUIRE(b.scales[r] == std::ldexp(1.0f, e));
      if (metric == Metric::Cosine && max_abs > 0) {
        double n = 0;
        for (uint32_t t = 0; t < dims; ++t) n += double{b.panel[panel_index(dims, r, t)]} * b.panel[panel_index(dims, r, t)];
        REQUIRE(std::isfinite(b.inv_norms[r]));
        REQUIRE(std::fabs(b.inv_norms[r] * std::sqrt(n) - 1) <= 1e-5);
      }
    }
  }
}

TEST_CASE("block: int8 and bit chunks keep their rows as stored", "[block]") {
  std::mt19937 rng(3);
  for (ElementType type : {ElementType::Int8, ElementType::Bit}) {
    for (Metric metric : {Metric::L2, Metric::Cosine, Metric::Dot, Metric::Hamming}) {
      INFO(element_type_name(type) << " " << metric_name(metric));
      Chunk c = random_chunk(rng, type, 64, 21);
      Block b;
      prepare_block(type, 64, metric, c.rows(), c.rowids.data(), 21, &b);
      REQUIRE(b.count == 21);
      REQUIRE(b.rowids == c.rowids);
      REQUIRE(b.rows == std::vector<unsigned char>(c.rows(), c.rows() + 21 * c.bytes()));
      REQUIRE(b.panel.empty());
      REQUIRE(b.inv_norms.empty());
      REQUIRE(b.scales.empty());
      REQUIRE(b.half_panel.empty());
    }
  }
}

TEST_CASE("block: float16 and bfloat16 chunks become a panel in their own type", "[block]") {
  std::mt19937 rng(4);
  for (ElementType type : {ElementType::Float16, ElementType::BFloat16}) {
    for (Metric metric : {Metric::L2, Metric::Cosine, Metric::Dot}) {
      INFO(element_type_name(type) << " " << metric_name(metric));
      const uint32_t dims = 13;
      const size_t count = 20;
      Chunk c = random_chunk(rng, type, dims, count);
      Block b;
      prepare_block(type, dims, metric, c.rows(), c.rowids.data(), static_cast<int64_t>(count), &b);
      REQUIRE(b.count == static_cast<int64_t>(count));
      REQUIRE(b.rowids == c.rowids);
      REQUIRE(b.panel.empty());
      REQUIRE(b.half_panel.size() == 32 * dims);
      REQUIRE(panel_count(b, dims) == 32);
      for (size_t r = 0; r < 32; ++r) {
        std::vector<float> x(dims, 0.0f);
        if (r < count) x = quiver_test::elements(type, c.row(r), dims);
        for (uint32_t t = 0; t < dims; ++t) REQUIRE(panel_element(type, b, dims, r, t) == x[t]);
      }
      REQUIRE(b.inv_norms.size() == (metric == Metric::Cosine ? 32u : 0u));
      if (metric == Metric::Cosine) REQUIRE(b.inv_norms[3] == 0.0f);  // the zero vector
    }
  }
}

TEST_CASE("block: one Block reused across chunks of other sizes and types holds only the last", "[block]") {
  std::mt19937 rng(5);
  Block b;
  Chunk big = random_chunk(rng, ElementType::Float32, 8, 50);
  prepare_block(ElementType::Float32, 8, Metric::Cosine, big.rows(), big.rowids.data(), 50, &b);
  Chunk small = random_chunk(rng, ElementType::Float32, 8, 5);
  prepare_block(ElementType::Float32, 8, Metric::Cosine, small.rows(), small.rowids.data(), 5, &b);
  REQUIRE(b.count == 5);
  REQUIRE(b.rowids == small.rowids);
  REQUIRE(b.panel.size() == kPanelWidth * 8);
  REQUIRE(b.inv_norms.size() == kPanelWidth);
  for (size_t r = 5; r < kPanelWidth; ++r) REQUIRE(b.inv_norms[r] == 0.0f);
  Chunk bytes = random_chunk(rng, ElementType::Int8, 8, 3);
  prepare_block(ElementType::Int8, 8, Metric::L2, bytes.rows(), bytes.rowids.data(), 3, &b);
  REQUIRE(b.panel.empty());
  REQUIRE(b.inv_norms.empty());
  REQUIRE(b.rows.size() == 24);
  Chunk half = random_chunk(rng, ElementType::Float16, 8, 2);
  prepare_block(ElementType::Float16, 8, Metric::Dot, half.rows(), half.rowids.data(), 2, &b);
  REQUIRE(b.rows.empty());
  REQUIRE(b.half_panel.size() == kPanelWidth * 8);
  prepare_block(ElementType::Float32, 8, Metric::L2, big.rows(), big.rowids.data(), 50, &b);
  REQUIRE(b.half_panel.empty());
  REQUIRE(b.panel.size() == 64 * 8);
  REQUIRE(b.memory() >= (50 * 8 + 64 * 8 * 4));
}

TEST_CASE("block: an empty chunk gives an empty block", "[block]") {
  for (ElementType type : {ElementType::Float32, ElementType::Int8, ElementType::Bit, ElementType::Float16}) {
    INFO(element_type_name(type));
    std::mt19937 rng(6);
    Chunk c = random_chunk(rng, type, 16, 0);
    Block b;
    prepare_block(type, 16, Metric::Dot, c.rows(), c.rowids.data(), 0, &b);
    REQUIRE(b.count == 0);
    REQUIRE(b.rowids.empty());
    REQUIRE(panel_count(b, 16) == 0);
    REQUIRE(b.rows.empty());
  }
}
