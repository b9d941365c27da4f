// Quantized codes and the two-stage scan (ext/core/quantize.h,
// code_block.h, quantized_scan.h): the code kernels of every family against
// the scalar reference and a brute force, the quantizer, the error bound
// on every row, and the scan against the plain exact scan on clustered data
// (recall, exact distances, bounds, streams, filters).
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "block.h"
#include "code_block.h"
#include "kernels.h"
#include "quantize.h"
#include "quantized_scan.h"
#include "scan.h"
#include "support/kernel_families.h"
#include "support/recall.h"

using namespace quiver;
using quiver_test::Family;
using quiver_test::GuardedArea;
using quiver_test::recall_of;
using quiver_test::runnable_families;

namespace {

constexpr size_t kUnlimitedRows = SIZE_MAX;

// ---- data ------------------------------------------------------------------------

// Rows around `clusters` random centres (an offset per dimension, so the
// data is not centred), with Gaussian spread: nearest neighbours mostly
// share a cluster, as embeddings do.
std::vector<float> clustered(std::mt19937& rng, size_t rows, size_t dims, size_t clusters, float spread = 0.35f) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> centres(clusters * dims), offset(dims), out(rows * dims);
  for (float& o : offset) o = 0.5f * normal(rng);
  for (float& c : centres) c = normal(rng);
  std::uniform_int_distribution<size_t> pick(0, clusters - 1);
  for (size_t i = 0; i < rows; ++i) {
    size_t c = pick(rng);
    for (size_t t = 0; t < dims; ++t) out[i * dims + t] = offset[t] + centres[c * dims + t] + spread * normal(rng);
  }
  return out;
}

// A table held as a quantized table holds it: chunks of full vectors
// prepared for the exact scan, and their codes.
struct Table {
  ElementType type = ElementType::Float32;
  Metric metric = Metric::L2;
  uint32_t dims = 0;
  Quantizer quantizer;
  std::vector<unsigned char> stored;  // rows in the table's element type
  std::vector<int64_t> rowids;
  std::vector<Block> blocks;
  std::vector<CodeBlock> codes;
};

Table make_table(const std::vector<float>& values, uint32_t dims, Metric metric, Quantization kind,
                 ElementType type = ElementType::Float32, size_t chunk = 200, double clip = 0,
                 size_t sample_every = 1) {
  Table t;
  t.type = type;
  t.metric = metric;
  t.dims = dims;
  size_t rows = values.size() / dims, bytes = encoded_size(type, dims);
  t.stored.resize(rows * bytes);
  for (size_t i = 0; i < rows; ++i) {
    VectorView f{ElementType::Float32, dims, values.data() + i * dims};
    if (type == ElementType::Float32) {
      std::memcpy(t.stored.data() + i * bytes, f.data, bytes);
    } else {
      REQUIRE(narrow_to_half(f, type, t.stored.data() + i * bytes).ok());
    }
    t.rowids.push_back(static_cast<int64_t>(3 * i + 7));  // rowids are not slots
  }
  // Trained on the stored values, as the table would widen them.
  std::vector<float> sample;
  std::vector<float> x(dims);
  for (size_t i = 0; i < rows; i += sample_every) {
    widen_to_float(VectorView{type, dims, t.stored.data() + i * bytes}, x.data());
    sample.insert(sample.end(), x.begin(), x.end());
  }
  t.quantizer = train_quantizer(kind, metric, dims, sample.data(), sample.size() / dims, clip);
  for (size_t first = 0; first < rows; first += chunk) {
    size_t n = std::min(chunk, rows - first);
    t.blocks.emplace_back();
    prepare_block(type, dims, metric, t.stored.data() + first * bytes, t.rowids.data() + first,
                  static_cast<int64_t>(n), &t.blocks.back());
    t.codes.emplace_back();
    prepare_code_block(t.quantizer, type, t.stored.data() + first * bytes, static_cast<int64_t>(n), &t.codes.back());
  }
  return t;
}

VectorView query_view(const Table& t, const std::vector<unsigned char>& q) { return VectorView{t.type, t.dims, q.data()}; }

std::vector<unsigned char> make_query(const Table& t, const float* values) {
  std::vector<unsigned char> q(encoded_size(t.type, t.dims));
  VectorView f{ElementType::Float32, t.dims, values};
  if (t.type == ElementType::Float32) {
    std::memcpy(q.data(), values, q.size());
  } else {
    REQUIRE(narrow_to_half(f, t.type, q.data()).ok());
  }
  return q;
}

// The plain exact scan: what a table without codes reports.
std::vector<Hit> plain_scan(const Table& t, const VectorView& q, size_t limit, double bound, bool inclusive,
                            const Hit* after = nullptr, const std::vector<SlotMask>* masks = nullptr) {
  Scorer scorer(t.metric, q, active_kernels(), query_norm2(q));
  TopK top(limit, bound, inclusive, after);
  ScanScratch scratch;
  for (size_t b = 0; b < t.blocks.size(); ++b)
    scan_block(scorer, t.blocks[b], masks ? &(*masks)[b] : nullptr, &scratch, &top);
  return top.take_sorted();
}

std::vector<Hit> two_stage(const Table& t, const VectorView& q, size_t limit, size_t rescore, double bound,
                           bool inclusive, const Hit* after = nullptr, const std::vector<SlotMask>* masks = nullptr) {
  Scorer scorer(t.metric, q, active_kernels(), query_norm2(q));
  CodeScorer codes(t.quantizer, q, active_kernels());
  RescoreTopK top(limit, rescore, bound, inclusive, after);
  RescoreScratch scratch;
  for (size_t b = 0; b < t.blocks.size(); ++b)
    scan_quantized_block(codes, scorer, t.codes[b], t.blocks[b], b, masks ? &(*masks)[b] : nullptr, &scratch, &top);
  rescore_all(scorer, &top, &scratch, [&](size_t b) -> const Block& { return t.blocks[b]; });
  return top.take_sorted();
}

bool same_hits(const std::vector<Hit>& a, const std::vector<Hit>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].rowid != b[i].rowid || !(a[i].score == b[i].score)) return false;
  return true;
}

const char* name(Metric m) { return metric_name(m); }

}  // namespace

// ---- kernels ---------------------------------------------------------------------

TEST_CASE("the code kernels of every family match the scalar reference and a brute force", "[quantize][kernels]") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> code(-127, 127), weight(-32767, 32767), byte(0, 255);
  GuardedArea area(1 << 20);
  for (size_t pairs : {1u, 2u, 3u, 7u, 16u, 50u, 51u, 192u, 258u}) {
    for (size_t count : {16u, 32u, 48u, 64u, 80u, 144u}) {
      INFO("pairs " << pairs << ", count " << count);
      std::vector<int8_t> panel(count * pairs * 2);
      for (int8_t& c : panel) c = static_cast<int8_t>(code(rng));
      std::vector<int16_t> w(2 * pairs);
      // Extremes too: 258 pairs of +-127 * +-32767 is the most int32 holds.
      bool extreme = pairs == 258 && count == 16;
      for (int16_t& x : w) x = static_cast<int16_t>(extreme ? 32767 : weight(rng));
      if (extreme) std::fill(panel.begin(), panel.end(), int8_t{127});
      std::vector<uint32_t> qp(pairs);
      for (size_t t = 0; t < pairs; ++t)
        qp[t] = uint32_t{static_cast<uint16_t>(w[2 * t])} | uint32_t{static_cast<uint16_t>(w[2 * t + 1])} << 16;
      // Brute force from the layout's definition.
      std::vector<int32_t> expected(count);
      for (size_t j = 0; j < count; ++j) {
        int64_t s = 0;
        for (size_t t = 0; t < 2 * pairs; ++t)
          s += int64_t{panel[(j / kPanelWidth * pairs + t / 2) * 2 * kPanelWidth + 2 * (j % kPanelWidth) + t % 2]} *
               w[t];
        expected[j] = static_cast<int32_t>(s);
      }
      const int8_t* guarded =
          static_cast<const int8_t*>(area.place_at_end(panel.data(), panel.size(), 1, 0));
      for (const Family& f : runnable_families()) {
        INFO("family " << isa_name(f.isa));
        std::vector<int32_t> out(count, -1);
        f.kernels->i8_code_panel(qp.data(), guarded, pairs, count, out.data());
        CHECK(out == expected);
      }
    }
  }
  for (size_t words : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 17u}) {
    for (size_t count : {1u, 2u, 15u, 16u, 33u}) {
      INFO("words " << words << ", count " << count);
      std::vector<uint64_t> q(words), codes(words * count);
      for (auto* v : {&q, &codes})
        for (uint64_t& x : *v) x = uint64_t(rng()) << 32 ^ rng();
      std::vector<uint32_t> expected(count);
      for (size_t j = 0; j < count; ++j)
        for (size_t b = 0; b < 64 * words; ++b)
          expected[j] += ((q[b / 64] ^ codes[j * words + b / 64]) >> (b % 64)) & 1;
      const uint64_t* guarded =
          static_cast<const uint64_t*>(area.place_at_end(codes.data(), codes.size() * 8, 1, 0));
      for (const Family& f : runnable_families()) {
        INFO("family " << isa_name(f.isa));
        std::vector<uint32_t> out(count, 12345);
        f.kernels->bit_hamming_rows(q.data(), guarded, words, count, out.data());
        CHECK(out == expected);
      }
    }
  }
}

// ---- the quantizer ---------------------------------------------------------------

TEST_CASE("int8 training learns each dimension's range and codes decode within half a step", "[quantize]") {
  std::mt19937 rng(11);
  uint32_t dims = 5;
  std::vector<float> sample = clustered(rng, 500, dims, 4);
  for (size_t i = 0; i < 500; ++i) sample[i * dims + 4] = 2.5f;  // a constant dimension
  Quantizer q = train_quantizer(Quantization::Int8, Metric::L2, dims, sample.data(), 500);
  for (uint32_t t = 0; t < dims; ++t) {
    float lo = HUGE_VALF, hi = -HUGE_VALF;
    for (size_t i = 0; i < 500; ++i) lo = std::min(lo, sample[i * dims + t]), hi = std::max(hi, sample[i * dims + t]);
    CHECK(q.offset[t] == Approx((double{lo} + hi) / 2).epsilon(1e-6));
    CHECK(q.scale[t] == Approx((double{hi} - lo) / 254).epsilon(1e-6));
  }
  CHECK(q.scale[4] == 0.0f);
  CHECK(q.offset[4] == 2.5f);
  std::vector<int8_t> code(dims);
  float norm, residual, code_norm;
  for (size_t i = 0; i < 500; ++i) {
    const float* x = sample.data() + i * dims;
    REQUIRE(encode_int8(q, x, code.data(), &norm, &residual, &code_norm));
    double rr = 0, cc = 0, xx = 0;
    for (uint32_t t = 0; t < dims; ++t) {
      double decoded = double{q.offset[t]} + double{q.scale[t]} * code[t];
      CHECK(std::fabs(decoded - x[t]) <= q.scale[t] * 0.5 * (1 + 1e-6) + 1e-7);
      rr += (decoded - x[t]) * (decoded - x[t]);
      cc += static_cast<double>(code[t]) * code[t];
      xx += double{x[t]} * x[t];
    }
    CHECK(code[4] == 0);
    CHECK(residual >= std::sqrt(rr));
    CHECK(residual <= std::sqrt(rr) * (1 + 1e-6) + 1e-30);
    CHECK(code_norm >= std::sqrt(cc));
    CHECK(norm >= std::sqrt(xx));
  }
  // Beyond the range: clamped to +-127, the residual says how far off.
  std::vector<float> far(dims, 100.0f);
  encode_int8(q, far.data(), code.data(), &norm, &residual, &code_norm);
  for (uint32_t t = 0; t < 4; ++t) CHECK(code[t] == 127);
  CHECK(residual > 90);
}

TEST_CASE("int8 quantile training clips the tails and cosine codes unit vectors", "[quantize]") {
  std::vector<float> sample;
  for (int i = 0; i <= 1000; ++i) sample.push_back(static_cast<float>(i));  // one dimension, 0..1000
  Quantizer q = train_quantizer(Quantization::Int8, Metric::L2, 1, sample.data(), sample.size(), 0.01);
  CHECK(q.offset[0] == Approx(500));
  CHECK(q.scale[0] == Approx(980.0 / 254));  // [10, 990]
  std::vector<float> pairs = {3, 4, 0, 0, -6, 8};  // a zero row has no direction and is left out
  Quantizer c = train_quantizer(Quantization::Int8, Metric::Cosine, 2, pairs.data(), 3);
  CHECK(c.offset[0] == Approx((-0.6 + 0.6) / 2).margin(1e-7));
  CHECK(c.offset[1] == Approx(0.8));
  CHECK(c.scale[1] == 0.0f);
  int8_t code[2];
  float norm, residual, code_norm;
  CHECK_FALSE(encode_int8(c, pairs.data() + 2, code, &norm, &residual, &code_norm));
  CHECK(encode_int8(c, pairs.data(), code, &norm, &residual, &code_norm));
  CHECK(norm == Approx(1));
}

TEST_CASE("bit codes are signs after centring on the sample's mean", "[quantize]") {
  std::vector<float> sample = {1, 10, -3, 3, 12, -1};  // two rows of 3: means 2, 11, -2
  Quantizer q = train_quantizer(Quantization::Bit, Metric::Dot, 3, sample.data(), 2);
  REQUIRE(q.offset.size() == 3);
  CHECK(q.offset[0] == 2.0f);
  CHECK(q.offset[1] == 11.0f);
  CHECK(q.offset[2] == -2.0f);
  CHECK(q.code_words() == 1);
  uint64_t code = 0;
  encode_bits(q, sample.data(), &code);
  CHECK(code == 0u);  // 1 < 2, 10 < 11, -3 < -2
  encode_bits(q, sample.data() + 3, &code);
  CHECK(code == 7u);
  std::vector<float> wide(130, 1.0f);
  Quantizer w = train_quantizer(Quantization::Bit, Metric::Cosine, 130, nullptr, 0);
  std::vector<uint64_t> codes(w.code_words());
  REQUIRE(codes.size() == 3);
  encode_bits(w, wide.data(), codes.data());
  CHECK(codes[0] == ~uint64_t{0});
  CHECK(codes[1] == ~uint64_t{0});
  CHECK(codes[2] == 3u);
}

TEST_CASE("quantization fits float columns and bit codes refuse L2", "[quantize]") {
  CHECK(quantization_error(Quantization::Int8, ElementType::Float32, Metric::L2) == "");
  CHECK(quantization_error(Quantization::Int8, ElementType::BFloat16, Metric::Dot) == "");
  CHECK(quantization_error(Quantization::Bit, ElementType::Float16, Metric::Cosine) == "");
  CHECK(quantization_error(Quantization::Bit, ElementType::Float32, Metric::L2) ==
        "quantize=bit needs distance=cosine or dot");
  CHECK(quantization_error(Quantization::Int8, ElementType::Int8, Metric::L2) ==
        "quantize=int8 needs a float, float16 or bfloat16 column");
  CHECK(quantization_error(Quantization::Bit, ElementType::Bit, Metric::Hamming) ==
        "quantize=bit needs a float, float16 or bfloat16 column");
  CHECK(std::string(quantization_name(Quantization::Int8)) == "int8");
  CHECK(std::string(quantization_name(Quantization::Bit)) == "bit");
}

TEST_CASE("a quantizer serializes byte for byte and refuses damaged bytes", "[quantize]") {
  std::mt19937 rng(5);
  std::vector<float> sample = clustered(rng, 50, 3, 2);
  for (Quantization kind : {Quantization::Int8, Quantization::Bit}) {
    Quantizer q = train_quantizer(kind, Metric::Dot, 3, sample.data(), 50);
    std::string bytes = serialize_quantizer(q);
    REQUIRE(bytes.size() == 7 + (kind == Quantization::Int8 ? 24u : 12u));
    CHECK(bytes[0] == 1);
    CHECK(bytes[1] == static_cast<char>(kind));
    CHECK(bytes[2] == static_cast<char>(Metric::Dot));
    CHECK(std::memcmp(bytes.data() + 3, "\x03\x00\x00\x00", 4) == 0);
    CHECK(std::memcmp(bytes.data() + 7, q.offset.data(), 12) == 0);
    Quantizer back;
    REQUIRE(deserialize_quantizer(bytes.data(), bytes.size(), &back).ok());
    CHECK(back.kind == kind);
    CHECK(back.metric == Metric::Dot);
    CHECK(back.dims == 3);
    CHECK(back.offset == q.offset);
    CHECK(back.scale == q.scale);
    CHECK(deserialize_quantizer(bytes.data(), bytes.size() - 1, &back).message() ==
          "quantizer of " + std::to_string(bytes.size() - 1) + " bytes does not match its dimensions");
    std::string bad = bytes;
    bad[0] = 2;
    CHECK(deserialize_quantizer(bad.data(), bad.size(), &back).message() == "unknown quantizer format");
    bad = bytes;
    bad[1] = 9;
    CHECK(deserialize_quantizer(bad.data(), bad.size(), &back).message() == "unknown quantizer kind 9");
    bad = bytes;
    float nan = NAN;
    std::memcpy(&bad[7], &nan, 4);
    CHECK(deserialize_quantizer(bad.data(), bad.size(), &back).message() == "quantizer holds a value that is not finite");
  }
}

// ---- the bound -------------------------------------------------------------------

TEST_CASE("the int8 error bound holds on every row, clipped ones included", "[quantize][bounds]") {
  std::mt19937 rng(23);
  uint32_t dims = 37;  // odd: a padded pair
  std::vector<float> values = clustered(rng, 1500, dims, 12);
  // A few rows far outside the training sample's range.
  for (size_t t = 0; t < dims; ++t) values[t] = 40.0f, values[dims + t] = -25.0f * (t % 2 ? 1 : -1);
  for (ElementType type : {ElementType::Float32, ElementType::Float16, ElementType::BFloat16}) {
    for (Metric metric : {Metric::Cosine, Metric::Dot, Metric::L2}) {
      INFO(element_type_name(type) << " " << name(metric));
      // Trained on every 7th row with 1% clipped at each end: many codes clamp.
      Table t = make_table(values, dims, metric, Quantization::Int8, type, 256, 0.01, 7);
      double worst = 0, tightness = 0;
      for (size_t qi = 0; qi < 20; ++qi) {
        std::vector<float> qv = clustered(rng, 1, dims, 1, 1.0f);
        std::vector<unsigned char> qb = make_query(t, qv.data());
        VectorView q = query_view(t, qb);
        Scorer scorer(metric, q, active_kernels(), query_norm2(q));
        CodeScorer codes(t.quantizer, q, active_kernels());
        REQUIRE(codes.bounded());
        for (size_t b = 0; b < t.blocks.size(); ++b) {
          std::vector<double> exact(t.blocks[b].count + kPanelWidth), approx(t.codes[b].count);
          std::vector<float> scratch(exact.size());
          std::vector<int32_t> sums;
          scorer.score_block(t.blocks[b], scratch.data(), exact.data());
          codes.score(t.codes[b], &sums, approx.data());
          for (size_t j = 0; j < approx.size(); ++j) {
            double e = codes.error(t.codes[b], j);
            REQUIRE(std::fabs(exact[j] - approx[j]) <= e);
            worst = std::max(worst, std::fabs(exact[j] - approx[j]));
            tightness = std::max(tightness, std::fabs(exact[j] - approx[j]) / e);
          }
        }
      }
      CHECK(worst > 0);
      // Not vacuous: the bound is within a small factor of the worst error.
      CHECK(tightness > 0.05);
    }
  }
}

// ---- the two-stage scan ----------------------------------------------------------

TEST_CASE("int8 + rescore finds the nearest neighbours with exact distances", "[quantize][scan]") {
  std::mt19937 rng(31);
  uint32_t dims = 48;
  std::vector<float> values = clustered(rng, 6000, dims, 40);
  for (ElementType type : {ElementType::Float32, ElementType::Float16, ElementType::BFloat16}) {
    for (Metric metric : {Metric::Cosine, Metric::Dot, Metric::L2}) {
      INFO(element_type_name(type) << " " << name(metric));
      Table t = make_table(values, dims, metric, Quantization::Int8, type);
      double r1 = 0, r4 = 0;
      const size_t queries = 40, k = 10;
      for (size_t qi = 0; qi < queries; ++qi) {
        std::vector<float> qv = clustered(rng, 1, dims, 1, 1.0f);
        // Queries near stored rows, as real ones are.
        const float* near = values.data() + (qi * 131 % 6000) * dims;
        for (size_t d = 0; d < dims; ++d) qv[d] = near[d] + 0.1f * qv[d];
        std::vector<unsigned char> qb = make_query(t, qv.data());
        VectorView q = query_view(t, qb);
        std::vector<Hit> truth = plain_scan(t, q, k, HUGE_VAL, false);
        std::vector<Hit> all = plain_scan(t, q, 6000, HUGE_VAL, false);
        std::vector<Hit> h1 = two_stage(t, q, k, 1, HUGE_VAL, false);
        std::vector<Hit> h4 = two_stage(t, q, k, 4, HUGE_VAL, false);
        REQUIRE(h4.size() == k);
        r1 += recall_of(h1, truth) / queries;
        r4 += recall_of(h4, truth) / queries;
        // Every reported score is the plain scan's for that row, in order.
        for (const std::vector<Hit>* hits : {&h1, &h4}) {
          for (size_t i = 0; i < hits->size(); ++i) {
            auto it = std::find_if(all.begin(), all.end(), [&](const Hit& a) { return a.rowid == (*hits)[i].rowid; });
            REQUIRE(it != all.end());
            CHECK(it->score == (*hits)[i].score);
            if (i > 0) CHECK((*hits)[i - 1] < (*hits)[i]);
          }
        }
        // The exact mode is the plain scan, hit for hit.
        CHECK(same_hits(two_stage(t, q, k, 0, HUGE_VAL, false), truth));
      }
      CHECK(r4 >= 0.97);
      CHECK(r4 >= r1);
    }
  }
}

TEST_CASE("bit + rescore: recall grows with rescore, exact mode is the plain scan", "[quantize][scan]") {
  std::mt19937 rng(37);
  uint32_t dims = 128;
  std::vector<float> values = clustered(rng, 5000, dims, 30);
  for (Metric metric : {Metric::Cosine, Metric::Dot}) {
    INFO(name(metric));
    Table t = make_table(values, dims, metric, Quantization::Bit);
    double r2 = 0, r16 = 0;
    const size_t queries = 30, k = 10;
    for (size_t qi = 0; qi < queries; ++qi) {
      std::vector<float> qv(values.begin() + static_cast<std::ptrdiff_t>(qi * 97 * dims),
                            values.begin() + static_cast<std::ptrdiff_t>((qi * 97 + 1) * dims));
      for (float& x : qv) x += 0.05f;
      std::vector<unsigned char> qb = make_query(t, qv.data());
      VectorView q = query_view(t, qb);
      std::vector<Hit> truth = plain_scan(t, q, k, HUGE_VAL, false);
      r2 += recall_of(two_stage(t, q, k, 2, HUGE_VAL, false), truth) / queries;
      r16 += recall_of(two_stage(t, q, k, 16, HUGE_VAL, false), truth) / queries;
      CHECK(same_hits(two_stage(t, q, k, 0, HUGE_VAL, false), truth));
      double bound = truth.back().score;
      CHECK(same_hits(two_stage(t, q, 1000, 4, bound, true), plain_scan(t, q, 1000, bound, true)));
    }
    CHECK(r16 >= 0.9);
    CHECK(r16 > r2);
  }
}

TEST_CASE("distance bounds never miss a row on quantized scans", "[quantize][bounds]") {
  std::mt19937 rng(41);
  uint32_t dims = 24;
  std::vector<float> values = clustered(rng, 3000, dims, 20);
  for (Metric metric : {Metric::Cosine, Metric::Dot, Metric::L2}) {
    INFO(name(metric));
    Table t = make_table(values, dims, metric, Quantization::Int8, ElementType::Float32, 200, 0.02, 5);
    for (size_t qi = 0; qi < 15; ++qi) {
      std::vector<float> qv = clustered(rng, 1, dims, 1, 1.0f);
      std::vector<unsigned char> qb = make_query(t, qv.data());
      VectorView q = query_view(t, qb);
      std::vector<Hit> all = plain_scan(t, q, 3000, HUGE_VAL, false);
      for (size_t at : {0u, 1u, 50u, 400u, 2999u}) {
        double distance = score_to_distance(metric, all[at].score);
        for (bool inclusive : {false, true}) {
          INFO("bound at row " << at << (inclusive ? " <=" : " <"));
          double bound = score_bound(metric, distance, inclusive);
          std::vector<Hit> expected = plain_scan(t, q, kUnlimitedRows, bound, true);
          // Any rescore: a range keeps every row within the bound.
          CHECK(same_hits(two_stage(t, q, kUnlimitedRows, 1, bound, true), expected));
          CHECK(same_hits(two_stage(t, q, kUnlimitedRows, 0, bound, true), expected));
          // k with a bound: the exact mode is exact; rescore finds a subset.
          std::vector<Hit> top5 = plain_scan(t, q, 5, bound, true);
          CHECK(same_hits(two_stage(t, q, 5, 0, bound, true), top5));
          for (const Hit& h : two_stage(t, q, 5, 2, bound, true)) CHECK(h.score <= bound);
        }
      }
      // A bound below every distance admits nothing.
      CHECK(two_stage(t, q, 10, 4, -HUGE_VAL, false).empty());
    }
  }
}

TEST_CASE("streams and filters on quantized scans are the plain scan's", "[quantize][scan]") {
  std::mt19937 rng(43);
  uint32_t dims = 20;
  std::vector<float> values = clustered(rng, 2000, dims, 10);
  for (Quantization kind : {Quantization::Int8, Quantization::Bit}) {
    Table t = make_table(values, dims, Metric::Cosine, kind, ElementType::Float32, 300);
    INFO(quantization_name(kind));
    std::vector<float> qv = clustered(rng, 1, dims, 1, 1.0f);
    std::vector<unsigned char> qb = make_query(t, qv.data());
    VectorView q = query_view(t, qb);
    // Paging through a stream: batches after the last hit, exact mode.
    Hit last{0, 0};
    bool started = false;
    size_t seen = 0;
    for (size_t batch = 32; seen < 2000; batch *= 2) {
      std::vector<Hit> expected = plain_scan(t, q, batch, HUGE_VAL, false, started ? &last : nullptr);
      std::vector<Hit> got = two_stage(t, q, batch, 0, HUGE_VAL, false, started ? &last : nullptr);
      REQUIRE(same_hits(got, expected));
      if (got.empty()) break;
      seen += got.size();
      last = got.back();
      started = true;
    }
    CHECK(seen == 2000);
    // A filter: every third slot of each chunk.
    std::vector<SlotMask> masks;
    for (const Block& b : t.blocks) {
      SlotMask m((static_cast<size_t>(b.count) + 63) / 64, 0);
      for (int64_t s = 0; s < b.count; s += 3) m[static_cast<size_t>(s) / 64] |= uint64_t{1} << (s % 64);
      masks.push_back(m);
    }
    std::vector<Hit> filtered = plain_scan(t, q, 10, HUGE_VAL, false, nullptr, &masks);
    CHECK(same_hits(two_stage(t, q, 10, 0, HUGE_VAL, false, nullptr, &masks), filtered));
    std::set<int64_t> allowed;
    for (size_t b = 0; b < t.blocks.size(); ++b)
      for (int64_t s = 0; s < t.blocks[b].count; s += 3) allowed.insert(t.blocks[b].rowids[static_cast<size_t>(s)]);
    std::vector<Hit> approx = two_stage(t, q, 10, 4, HUGE_VAL, false, nullptr, &masks);
    CHECK(approx.size() == 10);
    for (const Hit& h : approx) CHECK(allowed.count(h.rowid) == 1);
  }
}

TEST_CASE("a zero vector never ranks under cosine, by code or exactly", "[quantize][scan]") {
  std::mt19937 rng(47);
  uint32_t dims = 16;
  std::vector<float> values = clustered(rng, 100, dims, 3);
  std::fill(values.begin() + 5 * dims, values.begin() + 6 * dims, 0.0f);
  for (Quantization kind : {Quantization::Int8, Quantization::Bit}) {
    Table t = make_table(values, dims, Metric::Cosine, kind);
    std::vector<unsigned char> qb = make_query(t, values.data());
    VectorView q = query_view(t, qb);
    for (size_t rescore : {0u, 1u, 8u}) {
      std::vector<Hit> hits = two_stage(t, q, 200, rescore, HUGE_VAL, false);
      CHECK(hits.size() == 99);
      for (const Hit& h : hits) CHECK(h.rowid != t.rowids[5]);
    }
  }
}
