// float16 and bfloat16: the scalar conversions (ext/core/half.h) against a
// reference built here from the values' definitions, exhaustively over the
// 65,536 bit patterns both ways, ties, subnormals and overflow; every kernel
// family's conversions bit for bit against the scalar ones; and every
// family's distance and panel kernels against the scalar reference, with
// guard pages around the vectors, at every tail length.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "half.h"
#include "kernels.h"
#include "support/kernel_families.h"

using namespace quiver;
using quiver_test::Family;
using quiver_test::GuardedArea;
using quiver_test::runnable_families;

namespace {

enum class Half { F16, BF16 };
const char* name(Half t) { return t == Half::F16 ? "float16" : "bfloat16"; }

// The value of a finite bit pattern, from the format's definition.
double definition(Half t, uint16_t h) {
  int fraction_bits = t == Half::F16 ? 10 : 7, exponent_bits = t == Half::F16 ? 5 : 8;
  int bias = (1 << (exponent_bits - 1)) - 1;
  int exponent = (h >> fraction_bits) & ((1 << exponent_bits) - 1);
  int fraction = h & ((1 << fraction_bits) - 1);
  double magnitude = exponent == 0 ? std::ldexp(fraction, 1 - bias - fraction_bits)
                                   : std::ldexp(fraction + (1 << fraction_bits), exponent - bias - fraction_bits);
  return (h & 0x8000) ? -magnitude : magnitude;
}

uint16_t infinity(Half t) { return t == Half::F16 ? 0x7c00 : 0x7f80; }
bool finite(Half t, uint16_t h) { return (h & infinity(t)) != infinity(t); }
float widen(Half t, uint16_t h) { return t == Half::F16 ? f16_to_f32(h) : bf16_to_f32(h); }
uint16_t narrow(Half t, float x) { return t == Half::F16 ? f32_to_f16(x) : f32_to_bf16(x); }

// Round to nearest, ties to even, from the sorted positive values: the
// positive finite patterns 0 .. infinity-1 increase with their value, and
// the pattern `infinity` stands for the next value the exponent range would
// have (2^16 for float16, 2^128 for bfloat16), so overflow falls out.
uint16_t reference_narrow(Half t, float x) {
  uint16_t sign = std::signbit(x) ? 0x8000 : 0;
  double a = std::fabs(static_cast<double>(x));
  auto value = [&](uint16_t h) { return h == infinity(t) ? (t == Half::F16 ? 65536.0 : std::ldexp(1.0, 128)) : definition(t, h); };
  uint16_t lo = 0, hi = infinity(t);  // value(lo) <= a, find the last such
  if (a >= value(hi)) return sign | hi;
  while (hi - lo > 1) {
    uint16_t mid = static_cast<uint16_t>((lo + hi) / 2);
    (value(mid) <= a ? lo : hi) = mid;
  }
  double below = a - value(lo), above = value(hi) - a;
  uint16_t nearest = below < above ? lo : above < below ? hi : (lo % 2 == 0 ? lo : hi);
  return sign | nearest;
}

// Inputs that probe rounding: for every positive finite pattern h, its value,
// the tie between it and the next, and the floats just either side of that
// tie; the same negated; zeros, the largest floats and float subnormals.
std::vector<float> rounding_probes(Half t) {
  std::vector<float> out;
  for (uint32_t h = 0; h < infinity(t); ++h) {
    double v = definition(t, static_cast<uint16_t>(h));
    double next = h + 1 == infinity(t) ? (t == Half::F16 ? 65536.0 : std::ldexp(1.0, 128)) : definition(t, static_cast<uint16_t>(h + 1));
    float tie = static_cast<float>((v + next) / 2);  // exact: float32 has the bits to spare
    REQUIRE(static_cast<double>(tie) == (v + next) / 2);
    for (float x : {static_cast<float>(v), tie, std::nextafter(tie, 0.0f), std::nextafter(tie, INFINITY)}) {
      if (!std::isfinite(x)) continue;
      out.push_back(x);
      out.push_back(-x);
    }
  }
  for (float x : {0.0f, -0.0f, 3.4028235e38f, -3.4028235e38f, 1e-45f, -1e-45f, 1e-40f, 65504.0f, 65519.996f,
                  65520.0f, -65520.0f, 1e6f})
    out.push_back(x);
  return out;
}

std::vector<uint16_t> bits_of(const std::vector<float>& xs, Half t) {
  std::vector<uint16_t> out;
  for (float x : xs) out.push_back(narrow(t, x));
  return out;
}

std::vector<uint16_t> random_halves(std::mt19937& rng, Half t, size_t n) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<uint16_t> v(n);
  for (uint16_t& h : v) h = narrow(t, dist(rng));
  return v;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, 4) == 0; }

}  // namespace

// ---- the scalar conversions against the definitions --------------------------------

TEST_CASE("widening every float16 and bfloat16 bit pattern gives its defined value", "[half]") {
  for (Half t : {Half::F16, Half::BF16}) {
    INFO(name(t));
    for (uint32_t i = 0; i < 65536; ++i) {
      uint16_t h = static_cast<uint16_t>(i);
      float x = widen(t, h);
      INFO("bits " << i);
      if (finite(t, h)) {
        REQUIRE(static_cast<double>(x) == definition(t, h));
        REQUIRE(std::signbit(x) == ((h & 0x8000) != 0));  // -0 stays -0
      } else if ((h & 0x7fff) == infinity(t)) {
        REQUIRE(std::isinf(x));
        REQUIRE(std::signbit(x) == ((h & 0x8000) != 0));
      } else {
        REQUIRE(std::isnan(x));
      }
    }
  }
  // bfloat16 is the upper half of a float32, by definition.
  for (uint32_t i = 0; i < 65536; ++i) REQUIRE(float_bits(bf16_to_f32(static_cast<uint16_t>(i))) == i << 16);
}

TEST_CASE("narrowing rounds to nearest even, at every tie, subnormal and the overflow edge", "[half]") {
  for (Half t : {Half::F16, Half::BF16}) {
    INFO(name(t));
    for (float x : rounding_probes(t)) {
      INFO("x " << x);
      REQUIRE(narrow(t, x) == reference_narrow(t, x));
    }
    // Every finite pattern reads back through float32 unchanged.
    for (uint32_t i = 0; i < 65536; ++i) {
      uint16_t h = static_cast<uint16_t>(i);
      if (finite(t, h)) REQUIRE(narrow(t, widen(t, h)) == h);
    }
    std::mt19937 rng(16);
    std::uniform_int_distribution<uint32_t> any_bits;
    for (int i = 0; i < 200000; ++i) {
      float x = bits_float(any_bits(rng));
      if (!std::isfinite(x)) continue;
      INFO("x " << x);
      REQUIRE(narrow(t, x) == reference_narrow(t, x));
    }
  }
}

TEST_CASE("the edges of float16: overflow past 65504, gradual underflow to zero", "[half]") {
  CHECK(f32_to_f16(65504.0f) == 0x7bff);
  CHECK(f32_to_f16(65519.996f) == 0x7bff);  // below the tie with 65536
  CHECK(f32_to_f16(65520.0f) == 0x7c00);    // the tie goes to even: infinity
  CHECK(f32_to_f16(-65520.0f) == 0xfc00);
  CHECK(f32_to_f16(0x1p-24f) == 0x0001);                // the smallest subnormal
  CHECK(f32_to_f16(0x1p-25f) == 0x0000);                // half of it: a tie, to even zero
  CHECK(f32_to_f16(std::nextafter(0x1p-25f, 1.0f)) == 0x0001);
  CHECK(f32_to_f16(-0x1p-26f) == 0x8000);               // negative underflow keeps its sign
  CHECK(f32_to_f16(0x1.ff8p-15f) == 0x03ff);            // the largest subnormal
  CHECK(f32_to_f16(0x1.ffcp-15f) == 0x0400);            // its tie with 2^-14 carries into the smallest normal
  CHECK(f32_to_f16(1.0f + 0x1p-11f) == 0x3c00);         // tie, to even
  CHECK(f32_to_f16(1.0f + 3 * 0x1p-11f) == 0x3c02);     // tie, to even (up)
  CHECK(f32_to_bf16(3.3895314e38f) == 0x7f7f);          // bfloat16's largest finite
  CHECK(f32_to_bf16(3.4028235e38f) == 0x7f80);          // float32's largest rounds to infinity
  CHECK(f32_to_bf16(1e-45f) == 0x0000);                 // float32's smallest subnormal: below bfloat16's tie
  CHECK(f32_to_bf16(bits_float(0x00008000)) == 0x0000); // a tie, to even zero
  CHECK(f32_to_bf16(bits_float(0x00018000)) == 0x0002); // a tie, to even (up)
}

// ---- every family's conversions, bit for bit ----------------------------------------

TEST_CASE("every family widens and narrows like the scalar conversions, at every length and alignment",
          "[half][kernels]") {
  std::vector<uint16_t> all(65536);
  for (uint32_t i = 0; i < 65536; ++i) all[i] = static_cast<uint16_t>(i);
  for (const Family& family : runnable_families()) {
    const Kernels& k = *family.kernels;
    for (Half t : {Half::F16, Half::BF16}) {
      INFO("isa " << quiver::isa_name(family.isa) << ", " << name(t));
      auto widen_kernel = t == Half::F16 ? k.f16_widen : k.bf16_widen;
      auto narrow_kernel = t == Half::F16 ? k.f16_narrow : k.bf16_narrow;

      std::vector<float> wide(all.size());
      widen_kernel(all.data(), wide.data(), all.size());
      for (uint32_t i = 0; i < 65536; ++i) {
        INFO("bits " << i);
        float expected = widen(t, all[i]);
        if (finite(t, all[i])) REQUIRE(same_bits(wide[i], expected));
        else REQUIRE(std::isnan(wide[i]) == std::isnan(expected));
      }

      std::vector<float> probes = rounding_probes(t);
      std::vector<float> fitting;
      for (float x : probes)
        if (finite(t, narrow(t, x))) fitting.push_back(x);
      std::vector<uint16_t> out(fitting.size());
      REQUIRE(narrow_kernel(fitting.data(), out.data(), fitting.size()));
      REQUIRE(out == bits_of(fitting, t));

      // Short runs at every offset: the SIMD body, the tail, unaligned ends.
      std::vector<unsigned char> src(4 * 80 + 4), dst(2 * 80 + 2);
      for (size_t n = 1; n <= 70; ++n) {
        for (size_t offset = 0; offset < 4; ++offset) {
          INFO("n " << n << " offset " << offset);
          std::memcpy(src.data() + offset, fitting.data() + 977 * n, 4 * n);
          REQUIRE(narrow_kernel(src.data() + offset, dst.data() + offset % 2, n));
          std::vector<uint16_t> got(n);
          std::memcpy(got.data(), dst.data() + offset % 2, 2 * n);
          REQUIRE(got == bits_of(std::vector<float>(fitting.begin() + 977 * n, fitting.begin() + 977 * n + n), t));
          std::vector<float> back(n);
          widen_kernel(dst.data() + offset % 2, back.data(), n);
          for (size_t i = 0; i < n; ++i) REQUIRE(same_bits(back[i], widen(t, got[i])));
          // One element that overflows, anywhere, is reported.
          float too_big = t == Half::F16 ? 65520.0f : 3.4028235e38f;
          for (size_t bad = 0; bad < n; ++bad) {
            std::vector<float> row(fitting.begin() + 977 * n, fitting.begin() + 977 * n + n);
            row[bad] = bad % 2 ? too_big : -too_big;
            std::memcpy(src.data() + offset, row.data(), 4 * n);
            REQUIRE_FALSE(narrow_kernel(src.data() + offset, dst.data(), n));
          }
        }
      }
    }
  }
}

// ---- every family's distance and panel kernels --------------------------------------

TEST_CASE("every family's float16 and bfloat16 kernels match the scalar reference within bounds",
          "[half][kernels][guard]") {
  const Kernels& ref = scalar_kernels();
  GuardedArea area_a(2 * quiver_test::kMaxTestLength), area_b(2 * quiver_test::kMaxTestLength);
  const double rel = 1e-5;  // float32 accumulation against the double reference
  for (const Family& family : runnable_families()) {
    const Kernels& k = *family.kernels;
    for (Half t : {Half::F16, Half::BF16}) {
      INFO("isa " << quiver::isa_name(family.isa) << ", " << name(t));
      DistanceKernel dot = t == Half::F16 ? k.f16_dot : k.bf16_dot, ref_dot = t == Half::F16 ? ref.f16_dot : ref.bf16_dot;
      DistanceKernel l2 = t == Half::F16 ? k.f16_l2sq : k.bf16_l2sq, ref_l2 = t == Half::F16 ? ref.f16_l2sq : ref.bf16_l2sq;
      DistanceKernel cos = t == Half::F16 ? k.f16_cosine : k.bf16_cosine;
      DistanceKernel ref_cos = t == Half::F16 ? ref.f16_cosine : ref.bf16_cosine;
      std::mt19937 rng(1616);
      for (size_t n : quiver_test::test_lengths()) {
        std::vector<uint16_t> ha = random_halves(rng, t, n), hb = random_halves(rng, t, n);
        double abs_dot = 0, aa = 0, bb = 0;
        for (size_t i = 0; i < n; ++i) {
          double x = widen(t, ha[i]), y = widen(t, hb[i]);
          abs_dot += std::fabs(x * y);
          aa += x * x;
          bb += y * y;
        }
        // Ending at a guard page (even start), or starting after one at an
        // odd or even address, or ending one byte short of it at an odd start.
        for (int placement = 0; placement < 4; ++placement) {
          INFO("n " << n << ", placement " << placement);
          auto place = [&](GuardedArea& area, const std::vector<uint16_t>& v) {
            switch (placement) {
              case 0: return area.place_at_end(v.data(), 2 * n, 1, 0);
              case 1: return area.place_at_start(v.data(), 2 * n, 1);
              case 2: return area.place_at_start(v.data(), 2 * n, 0);
              default: return area.place_at_end(v.data(), 2 * n, 4, 3);
            }
          };
          const void* a = place(area_a, ha);
          const void* b = place(area_b, hb);
          double d = ref_dot(a, b, n), e = ref_l2(a, b, n), c = ref_cos(a, b, n);
          REQUIRE(std::fabs(dot(a, b, n) - d) <= rel * abs_dot + 1e-30);
          REQUIRE(std::fabs(l2(a, b, n) - e) <= rel * e + 1e-30);
          if (aa == 0 || bb == 0) {
            REQUIRE(std::isnan(cos(a, b, n)));
          } else {
            REQUIRE(std::fabs(cos(a, b, n) - c) <= rel * (abs_dot / std::sqrt(aa * bb) + std::fabs(1 - c)) + 1e-12);
          }
        }
      }
    }
  }
}

TEST_CASE("the scalar float16 and bfloat16 kernels are the float32 reference on the widened values", "[half][kernels]") {
  const Kernels& ref = scalar_kernels();
  std::mt19937 rng(32);
  for (Half t : {Half::F16, Half::BF16}) {
    for (size_t n : {1u, 7u, 100u, 385u}) {
      INFO(name(t) << " n " << n);
      std::vector<uint16_t> ha = random_halves(rng, t, n), hb = random_halves(rng, t, n);
      std::vector<float> fa(n), fb(n);
      for (size_t i = 0; i < n; ++i) fa[i] = widen(t, ha[i]), fb[i] = widen(t, hb[i]);
      CHECK((t == Half::F16 ? ref.f16_dot : ref.bf16_dot)(ha.data(), hb.data(), n) == ref.f32_dot(fa.data(), fb.data(), n));
      CHECK((t == Half::F16 ? ref.f16_l2sq : ref.bf16_l2sq)(ha.data(), hb.data(), n) ==
            ref.f32_l2sq(fa.data(), fb.data(), n));
      CHECK((t == Half::F16 ? ref.f16_cosine : ref.bf16_cosine)(ha.data(), hb.data(), n) ==
            ref.f32_cosine(fa.data(), fb.data(), n));
    }
  }
}

TEST_CASE("float16 kernels are finite and accurate at the largest and smallest values", "[half][kernels]") {
  const size_t n = 65536;
  const std::vector<uint16_t> largest(n, 0x7bff), smallest(n, 0x0001), minus_largest(n, 0xfbff);
  for (const Family& family : runnable_families()) {
    const Kernels& k = *family.kernels;
    INFO("isa " << quiver::isa_name(family.isa));
    // 65536 * 65504^2 = 2.8e14: far from float32's limits, and exact enough.
    CHECK(k.f16_dot(largest.data(), largest.data(), n) == Approx(65536.0 * 65504.0 * 65504.0).epsilon(1e-6));
    CHECK(k.f16_l2sq(largest.data(), minus_largest.data(), n) == Approx(65536.0 * 131008.0 * 131008.0).epsilon(1e-6));
    CHECK(k.f16_cosine(largest.data(), minus_largest.data(), n) == Approx(2.0).margin(1e-9));
    // Subnormals: products of 2^-24 are 2^-48, in float32's normal range.
    CHECK(k.f16_dot(smallest.data(), smallest.data(), n) == Approx(65536.0 * 0x1p-48).epsilon(1e-6));
    CHECK(k.f16_cosine(smallest.data(), smallest.data(), n) == Approx(0.0).margin(1e-9));
    // bfloat16 has float32's range: the sums that overflow float32 are
    // recomputed in double, as for float32.
    const std::vector<uint16_t> huge(1000, 0x7f7f);
    double expected = 1000.0 * std::pow(static_cast<double>(bf16_to_f32(0x7f7f)), 2);
    CHECK(k.bf16_dot(huge.data(), huge.data(), huge.size()) == Approx(expected).epsilon(1e-9));
  }
}

TEST_CASE("every family's float16 and bfloat16 panel kernels match the scalar reference", "[half][kernels]") {
  const Kernels& ref = scalar_kernels();
  std::mt19937 rng(1717);
  for (const Family& family : runnable_families()) {
    const Kernels& k = *family.kernels;
    for (Half t : {Half::F16, Half::BF16}) {
      INFO("isa " << quiver::isa_name(family.isa) << ", " << name(t));
      HalfPanelKernel kernels[2] = {t == Half::F16 ? k.f16_dot_panel : k.bf16_dot_panel,
                                    t == Half::F16 ? k.f16_l2sq_panel : k.bf16_l2sq_panel};
      HalfPanelKernel references[2] = {t == Half::F16 ? ref.f16_dot_panel : ref.bf16_dot_panel,
                                       t == Half::F16 ? ref.f16_l2sq_panel : ref.bf16_l2sq_panel};
      for (size_t dim : {1u, 2u, 3u, 7u, 16u, 33u, 100u}) {
        for (size_t count : {16u, 32u, 48u, 80u, 144u}) {
          for (size_t points : {1u, 2u, 3u, 5u}) {
            INFO("dim " << dim << " count " << count << " points " << points);
            std::vector<uint16_t> panel = random_halves(rng, t, dim * count);
            std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
            std::vector<float> xs(points * dim);
            for (float& x : xs) x = dist(rng);
            for (int which = 0; which < 2; ++which) {
              std::vector<float> got(points * count), expected(points * count);
              kernels[which](xs.data(), points, panel.data(), dim, count, got.data());
              references[which](xs.data(), points, panel.data(), dim, count, expected.data());
              for (size_t i = 0; i < got.size(); ++i) {
                // Each sum has dim terms below 4 in magnitude.
                REQUIRE(std::fabs(got[i] - expected[i]) <= 1e-5 * 4 * dim);
              }
              // A row's result does not depend on how many rows come with it.
              std::vector<float> alone(count);
              kernels[which](xs.data() + (points - 1) * dim, 1, panel.data(), dim, count, alone.data());
              for (size_t j = 0; j < count; ++j) REQUIRE(same_bits(alone[j], got[(points - 1) * count + j]));
            }
          }
        }
      }
      // The panel reference reads the layout of kernels.h: element t of
      // vector j of a block at panel[(block * dim + t) * 16 + j % 16].
      const size_t dim = 5, count = 32;
      std::vector<uint16_t> panel = random_halves(rng, t, dim * count);
      std::vector<float> x(dim);
      for (size_t i = 0; i < dim; ++i) x[i] = static_cast<float>(i) - 2.0f;
      std::vector<float> got(count);
      references[0](x.data(), 1, panel.data(), dim, count, got.data());
      for (size_t j = 0; j < count; ++j) {
        double s = 0;
        for (size_t d = 0; d < dim; ++d) s += double{x[d]} * widen(t, panel[((j / 16) * dim + d) * 16 + j % 16]);
        REQUIRE(got[j] == static_cast<float>(s));
      }
    }
  }
}

TEST_CASE("every kernel table has every 16-bit entry", "[half][kernels]") {
  for (const Family& family : runnable_families()) {
    const Kernels& k = *family.kernels;
    INFO("isa " << quiver::isa_name(family.isa));
    for (const void* entry :
         {reinterpret_cast<const void*>(k.f16_dot), reinterpret_cast<const void*>(k.f16_l2sq),
          reinterpret_cast<const void*>(k.f16_cosine), reinterpret_cast<const void*>(k.bf16_dot),
          reinterpret_cast<const void*>(k.bf16_l2sq), reinterpret_cast<const void*>(k.bf16_cosine),
          reinterpret_cast<const void*>(k.f16_dot_panel), reinterpret_cast<const void*>(k.f16_l2sq_panel),
          reinterpret_cast<const void*>(k.bf16_dot_panel), reinterpret_cast<const void*>(k.bf16_l2sq_panel),
          reinterpret_cast<const void*>(k.f16_widen), reinterpret_cast<const void*>(k.f16_narrow),
          reinterpret_cast<const void*>(k.bf16_widen), reinterpret_cast<const void*>(k.bf16_narrow)})
      CHECK(entry != nullptr);
  }
}
