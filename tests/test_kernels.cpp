// The distance kernels (ext/core/kernels.h). Every kernel family this machine can
// run is forced in turn and compared with the scalar reference; the scalar
// reference itself is compared with a brute-force computation. Vectors sit
// against PROT_NONE guard pages, so a kernel that reads one byte too many (or
// too early) crashes the test instead of passing by luck.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kernels.h"
#include "quiver.h"
#include "support/kernel_families.h"

using namespace quiver;

namespace {

using quiver_test::Family;
using quiver_test::GuardedArea;
using quiver_test::kMaxTestLength;
using quiver_test::runnable_families;
using quiver_test::test_lengths;

std::vector<float> random_floats(std::mt19937& rng, size_t n) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<int8_t> random_int8(std::mt19937& rng, size_t n) {
  std::uniform_int_distribution<int> dist(-128, 127);
  std::vector<int8_t> v(n);
  for (int8_t& x : v) x = static_cast<int8_t>(dist(rng));
  return v;
}

std::vector<unsigned char> random_bytes(std::mt19937& rng, size_t n) {
  std::uniform_int_distribution<int> dist(0, 255);
  std::vector<unsigned char> v(n);
  for (unsigned char& x : v) x = static_cast<unsigned char>(dist(rng));
  return v;
}

// sum |a_i b_i| and the norms, in long double: the scale of float error.
struct Magnitudes {
  double abs_dot = 0;
  double norm_a = 0;
  double norm_b = 0;
};

Magnitudes magnitudes(const float* a, const float* b, size_t n) {
  long double s = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; ++i) {
    s += std::fabs(static_cast<long double>(a[i]) * b[i]);
    aa += static_cast<long double>(a[i]) * a[i];
    bb += static_cast<long double>(b[i]) * b[i];
  }
  return {static_cast<double>(s), static_cast<double>(std::sqrt(aa)), static_cast<double>(std::sqrt(bb))};
}

// Float kernels accumulate in float32 lanes: allow a relative error of 1e-5
// of the sum of absolute terms, plus a tiny absolute slack.
constexpr double kRelTol = 1e-5;
constexpr double kAbsTol = 1e-30;

}  // namespace

// ---- the dispatch table ----------------------------------------------------------

TEST_CASE("isa_name spells the names quiver_simd reports", "[kernels]") {
  CHECK(std::string(isa_name(Isa::Scalar)) == "scalar");
  CHECK(std::string(isa_name(Isa::Sse42)) == "sse4.2");
  CHECK(std::string(isa_name(Isa::Avx2)) == "avx2");
  CHECK(std::string(isa_name(Isa::Avx512)) == "avx512");
  CHECK(std::string(isa_name(Isa::Neon)) == "neon");
}

TEST_CASE("kernels_for gives nullptr or a complete table named after the isa", "[kernels]") {
  REQUIRE(kernels_for(Isa::Scalar) == &scalar_kernels());
  CHECK(std::string(scalar_kernels().name) == "scalar");
  for (Isa isa : kAllIsas) {
    INFO("isa " << isa_name(isa));
    const Kernels* k = kernels_for(isa);
    if (!k) continue;
    CHECK(std::string(k->name) == isa_name(isa));
    CHECK(k->f32_dot);
    CHECK(k->f32_l2sq);
    CHECK(k->f32_cosine);
    CHECK(k->i8_dot);
    CHECK(k->i8_l2sq);
    CHECK(k->i8_cosine);
    CHECK(k->bit_hamming);
    CHECK(k->f32_dot_panel);
    CHECK(k->f32_l2sq_panel);
    CHECK(kernels_for(isa) == k);  // a stable table, not a fresh copy per call
  }
#if defined(__x86_64__)
  CHECK(kernels_for(Isa::Neon) == nullptr);
#elif defined(__aarch64__)
  CHECK(kernels_for(Isa::Sse42) == nullptr);
  CHECK(kernels_for(Isa::Avx2) == nullptr);
  CHECK(kernels_for(Isa::Avx512) == nullptr);
#endif
}

TEST_CASE("active_kernels is one of the runnable tables", "[kernels]") {
  const Kernels& active = active_kernels();
  bool found = false;
  for (const Family& f : runnable_families()) {
    if (&active == f.kernels) {
      found = true;
      CHECK(std::string(active.name) == isa_name(f.isa));
    }
  }
  CHECK(found);
  CHECK(&active_kernels() == &active);  // chosen once
}

TEST_CASE("QUIVER_SIMD selects a runnable family, and any other value refuses to load", "[kernels][simd-env]") {
  // ctest runs this again with QUIVER_SIMD=scalar, sse4.2 and an unknown name.
  std::vector<Family> families = runnable_families();
  REQUIRE_FALSE(families.empty());
  const Kernels* expected = families.back().kernels;  // best last
  const char* forced = std::getenv("QUIVER_SIMD");
  bool runnable = !forced;
  std::string runs;
  for (const Family& f : families) {
    runs += std::string(runs.empty() ? "" : ", ") + isa_name(f.isa);
    if (forced && std::string(forced) == isa_name(f.isa)) expected = f.kernels, runnable = true;
  }
  INFO("QUIVER_SIMD=" << (forced ? forced : "(unset)"));
  CHECK(std::string(active_kernels().name) == expected->name);
  CHECK(&active_kernels() == expected);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK);
  char* message = nullptr;
  int rc = sqlite3_quiver_init(db, &message, nullptr);
  std::string error = message ? message : "";
  sqlite3_free(message);
  int registered = quiver_register(db);
  sqlite3_close(db);
  if (runnable) {
    CHECK(simd_setting_error().empty());
    CHECK(rc == SQLITE_OK);
    CHECK(registered == SQLITE_OK);
    return;
  }
  bool known = false;
  for (Isa isa : kAllIsas) known = known || std::string(forced) == isa_name(isa);
  std::string expected_error =
      known ? "QUIVER_SIMD=" + std::string(forced) + " cannot run on this machine (it runs " + runs + ")"
            : "QUIVER_SIMD=\"" + std::string(forced) +
                  "\" is not a kernel family (expected scalar, sse4.2, avx2, avx512, neon; this machine runs " + runs +
                  ")";
  CHECK(simd_setting_error() == expected_error);
  CHECK(rc == SQLITE_ERROR);
  CHECK(error == "quiver: " + expected_error);
  CHECK(registered == SQLITE_ERROR);
}

// ---- the reference -----------------------------------------------------------------

TEST_CASE("the scalar reference matches a brute-force computation", "[kernels]") {
  const Kernels& k = scalar_kernels();
  std::mt19937 rng(101);
  for (size_t n : {1u, 2u, 3u, 17u, 100u, 1536u}) {
    INFO("n " << n);
    std::vector<float> a = random_floats(rng, n), b = random_floats(rng, n);
    long double dot = 0, l2 = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < n; ++i) {
      dot += static_cast<long double>(a[i]) * b[i];
      long double d = static_cast<long double>(a[i]) - b[i];
      l2 += d * d;
      aa += static_cast<long double>(a[i]) * a[i];
      bb += static_cast<long double>(b[i]) * b[i];
    }
    double scale = magnitudes(a.data(), b.data(), n).abs_dot;
    CHECK(std::fabs(k.f32_dot(a.data(), b.data(), n) - static_cast<double>(dot)) <= 1e-12 * scale);
    CHECK(k.f32_l2sq(a.data(), b.data(), n) == Approx(static_cast<double>(l2)).epsilon(1e-12));
    double cosine = 1 - static_cast<double>(dot / std::sqrt(aa * bb));
    CHECK(k.f32_cosine(a.data(), b.data(), n) == Approx(cosine).margin(1e-12));

    std::vector<int8_t> x = random_int8(rng, n), y = random_int8(rng, n);
    int64_t idot = 0, il2 = 0, ixx = 0, iyy = 0;
    for (size_t i = 0; i < n; ++i) {
      idot += x[i] * y[i];
      il2 += (x[i] - y[i]) * (x[i] - y[i]);
      ixx += x[i] * x[i];
      iyy += y[i] * y[i];
    }
    CHECK(k.i8_dot(x.data(), y.data(), n) == static_cast<double>(idot));
    CHECK(k.i8_l2sq(x.data(), y.data(), n) == static_cast<double>(il2));
    double icos = 1 - static_cast<double>(idot) / std::sqrt(static_cast<double>(ixx) * static_cast<double>(iyy));
    CHECK(k.i8_cosine(x.data(), y.data(), n) == Approx(icos).margin(1e-12));

    std::vector<unsigned char> p = random_bytes(rng, n), q = random_bytes(rng, n);
    int64_t differing = 0;
    for (size_t i = 0; i < n; ++i)
      for (int bit = 0; bit < 8; ++bit) differing += ((p[i] >> bit) & 1) != ((q[i] >> bit) & 1);
    CHECK(k.bit_hamming(p.data(), q.data(), n) == static_cast<double>(differing));
  }
}

TEST_CASE("cosine_from_sums clamps rounding and gives NaN for a zero norm", "[kernels]") {
  CHECK(cosine_from_sums(4, 2, 8) == Approx(0.0).margin(1e-15));
  CHECK(cosine_from_sums(1.0000001, 1, 1) == 0.0);   // similarity clamped to 1
  CHECK(cosine_from_sums(-1.0000001, 1, 1) == 2.0);  // clamped to -1
  CHECK(cosine_from_sums(0, 1, 1) == 1.0);
  CHECK(std::isnan(cosine_from_sums(0, 0, 1)));
  CHECK(std::isnan(cosine_from_sums(0, 1, 0)));
  CHECK(std::isnan(cosine_from_sums(0, 0, 0)));
}

// ---- every family against the reference -----------------------------------------

TEST_CASE("the guard pages fault on a read one byte out of bounds", "[kernels][guard][fork]") {
  // The out-of-bounds checks below are only as good as the guard pages:
  // prove that a read just past a placed vector, or just before it, faults.
  GuardedArea area(64);
  const unsigned char bytes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  for (bool at_end : {true, false}) {
    INFO((at_end ? "one byte after the end" : "one byte before the start"));
    const unsigned char* p = static_cast<const unsigned char*>(at_end ? area.place_at_end(bytes, 8, 1, 0)
                                                                      : area.place_at_start(bytes, 8, 0));
    CHECK(p[0] == 1);  // the vector itself is readable
    CHECK(p[7] == 8);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // Die of the fault itself, not through Catch's or a sanitizer's handler.
      std::signal(SIGSEGV, SIG_DFL);
      volatile const unsigned char* q = p;
      volatile unsigned char sink = at_end ? q[8] : q[-1];
      (void)sink;
      _exit(0);  // reached only if the read did not fault
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    CHECK(WIFSIGNALED(status));
    if (WIFSIGNALED(status)) CHECK(WTERMSIG(status) == SIGSEGV);
  }
  // A misaligned float32 vector ends less than one element before the guard.
  const float values[2] = {1, 2};
  for (unsigned misalign = 0; misalign < 4; ++misalign) {
    auto p = reinterpret_cast<uintptr_t>(area.place_at_end(values, 8, 4, misalign));
    CHECK(p % 4 == misalign);
    CHECK(reinterpret_cast<uintptr_t>(area.data_end()) - (p + 8) < 4);
    CHECK(reinterpret_cast<uintptr_t>(area.place_at_start(values, 8, misalign)) % 4 == misalign);
  }
}

TEST_CASE("every kernel family matches the scalar reference, never reading out of bounds", "[kernels][guard]") {
  const Kernels& ref = scalar_kernels();
  const std::vector<size_t> lengths = test_lengths();
  GuardedArea area_a(kMaxTestLength * 4), area_b(kMaxTestLength * 4);

  for (const Family& family : runnable_families()) {
    DYNAMIC_SECTION("isa " << isa_name(family.isa)) {
      const Kernels& k = *family.kernels;
      std::mt19937 rng(4242);  // the same vectors for every family
      for (size_t n : lengths) {
        std::vector<float> fa = random_floats(rng, n), fb = random_floats(rng, n);
        std::vector<int8_t> ia = random_int8(rng, n), ib = random_int8(rng, n);
        std::vector<unsigned char> ba = random_bytes(rng, n), bb = random_bytes(rng, n);
        Magnitudes mag = magnitudes(fa.data(), fb.data(), n);

        for (unsigned misalign = 0; misalign < 4; ++misalign) {
          for (bool at_end : {true, false}) {
            // b is misaligned differently from a, so both orders are covered.
            unsigned misalign_b = (misalign + 1) % 4;
            INFO("n " << n << ", misalign a " << misalign << " b " << misalign_b << ", "
                      << (at_end ? "ending at" : "starting after") << " a guard page");
            auto place = [&](GuardedArea& area, const void* src, size_t bytes, size_t element_size, unsigned m) {
              return at_end ? area.place_at_end(src, bytes, element_size, m) : area.place_at_start(src, bytes, m);
            };

            const void* a = place(area_a, fa.data(), 4 * n, 4, misalign);
            const void* b = place(area_b, fb.data(), 4 * n, 4, misalign_b);
            double dot = ref.f32_dot(a, b, n);
            double l2 = ref.f32_l2sq(a, b, n);
            double cosine = ref.f32_cosine(a, b, n);
            CHECK(std::fabs(k.f32_dot(a, b, n) - dot) <= kRelTol * mag.abs_dot + kAbsTol);
            CHECK(std::fabs(k.f32_l2sq(a, b, n) - l2) <= kRelTol * l2 + kAbsTol);
            // A sum error of kRelTol*abs_dot moves the similarity by at most
            // kRelTol*abs_dot/(|a||b|); the norms' errors add kRelTol*|sim|.
            double cos_tol = kRelTol * (mag.abs_dot / (mag.norm_a * mag.norm_b) + std::fabs(1 - cosine)) + 1e-12;
            REQUIRE(std::fabs(k.f32_cosine(a, b, n) - cosine) <= cos_tol);

            a = place(area_a, ia.data(), n, 1, misalign);
            b = place(area_b, ib.data(), n, 1, misalign_b);
            REQUIRE(k.i8_dot(a, b, n) == ref.i8_dot(a, b, n));
            REQUIRE(k.i8_l2sq(a, b, n) == ref.i8_l2sq(a, b, n));
            // Integer sums are exact; only the final division may round.
            REQUIRE(k.i8_cosine(a, b, n) == Approx(ref.i8_cosine(a, b, n)).margin(1e-12));

            a = place(area_a, ba.data(), n, 1, misalign);
            b = place(area_b, bb.data(), n, 1, misalign_b);
            REQUIRE(k.bit_hamming(a, b, n) == ref.bit_hamming(a, b, n));
          }
        }
      }
    }
  }
}

TEST_CASE("int8 kernels are exact at the extremes of 65536 dimensions", "[kernels]") {
  const size_t n = 65536;
  const std::vector<int8_t> lows(n, -128), highs(n, 127);
  std::mt19937 rng(65536);
  std::uniform_int_distribution<int> coin(0, 1);
  std::vector<int8_t> mixed(n);
  for (int8_t& x : mixed) x = coin(rng) ? int8_t{127} : int8_t{-128};

  for (const Family& family : runnable_families()) {
    const Kernels& k = *family.kernels;
    INFO("isa " << isa_name(family.isa));
    // Sums far beyond what int16 lanes hold, close to int32's limit.
    CHECK(k.i8_dot(lows.data(), lows.data(), n) == 65536.0 * 16384);
    CHECK(k.i8_dot(lows.data(), highs.data(), n) == -65536.0 * 128 * 127);
    CHECK(k.i8_dot(highs.data(), highs.data(), n) == 65536.0 * 127 * 127);
    CHECK(k.i8_l2sq(lows.data(), lows.data(), n) == 0.0);
    CHECK(k.i8_l2sq(lows.data(), highs.data(), n) == 65536.0 * 255 * 255);  // > INT32_MAX
    CHECK(k.i8_l2sq(highs.data(), lows.data(), n) == 65536.0 * 255 * 255);
    CHECK(k.i8_cosine(lows.data(), lows.data(), n) == Approx(0.0).margin(1e-12));
    CHECK(k.i8_cosine(lows.data(), highs.data(), n) == Approx(2.0).margin(1e-12));

    // Random extremes against exact int64 sums, at lengths around the
    // kernels' internal 16384-element blocks.
    for (size_t len : {16383u, 16384u, 16385u, 32768u, 49153u, 65535u, 65536u}) {
      INFO("length " << len);
      int64_t dot = 0, l2 = 0, aa = 0;
      for (size_t i = 0; i < len; ++i) {
        dot += mixed[i] * -128;
        l2 += (mixed[i] + 128) * (mixed[i] + 128);
        aa += mixed[i] * mixed[i];
      }
      CHECK(k.i8_dot(mixed.data(), lows.data(), len) == static_cast<double>(dot));
      CHECK(k.i8_l2sq(mixed.data(), lows.data(), len) == static_cast<double>(l2));
      CHECK(k.i8_l2sq(lows.data(), mixed.data(), len) == static_cast<double>(l2));
      double cosine = 1 - dot / std::sqrt(static_cast<double>(aa) * 16384.0 * static_cast<double>(len));
      CHECK(k.i8_cosine(mixed.data(), lows.data(), len) == Approx(cosine).margin(1e-12));
    }
  }
}

TEST_CASE("hamming distance counts every bit at 65536 dimensions", "[kernels]") {
  const size_t bytes = 65536 / 8;
  const std::vector<unsigned char> zeros(bytes, 0x00), ones(bytes, 0xff), fives(bytes, 0x55);
  for (const Family& family : runnable_families()) {
    const Kernels& k = *family.kernels;
    INFO("isa " << isa_name(family.isa));
    CHECK(k.bit_hamming(zeros.data(), ones.data(), bytes) == 65536.0);
    CHECK(k.bit_hamming(ones.data(), ones.data(), bytes) == 0.0);
    CHECK(k.bit_hamming(fives.data(), ones.data(), bytes) == 32768.0);
    CHECK(k.bit_hamming(zeros.data(), ones.data(), 1) == 8.0);
  }
}

TEST_CASE("cosine of a zero vector is NaN in every family", "[kernels]") {
  std::mt19937 rng(9);
  for (const Family& family : runnable_families()) {
    const Kernels& k = *family.kernels;
    for (size_t n : {1u, 3u, 4u, 7u, 8u, 15u, 16u, 17u, 31u, 32u, 33u, 64u, 65u, 100u, 1536u}) {
      INFO("isa " << isa_name(family.isa) << ", n " << n);
      std::vector<float> zero(n, 0.0f), neg_zero(n, -0.0f), v = random_floats(rng, n);
      CHECK(std::isnan(k.f32_cosine(zero.data(), v.data(), n)));
      CHECK(std::isnan(k.f32_cosine(v.data(), zero.data(), n)));
      CHECK(std::isnan(k.f32_cosine(zero.data(), zero.data(), n)));
      CHECK(std::isnan(k.f32_cosine(neg_zero.data(), v.data(), n)));
      // Zero dot and l2 are still ordinary numbers.
      CHECK(k.f32_dot(zero.data(), v.data(), n) == 0.0);
      CHECK(k.f32_l2sq(zero.data(), zero.data(), n) == 0.0);

      std::vector<int8_t> izero(n, 0), iv = random_int8(rng, n);
      iv[0] = 1;  // never all zero
      CHECK(std::isnan(k.i8_cosine(izero.data(), iv.data(), n)));
      CHECK(std::isnan(k.i8_cosine(iv.data(), izero.data(), n)));
      CHECK(std::isnan(k.i8_cosine(izero.data(), izero.data(), n)));
    }
  }
}

TEST_CASE("identical vectors are at cosine distance 0, opposite ones at 2", "[kernels]") {
  std::mt19937 rng(10);
  for (const Family& family : runnable_families()) {
    const Kernels& k = *family.kernels;
    for (size_t n : {1u, 2u, 5u, 16u, 31u, 384u, 1536u, 4097u}) {
      INFO("isa " << isa_name(family.isa) << ", n " << n);
      std::vector<float> v = random_floats(rng, n), neg(n);
      for (size_t i = 0; i < n; ++i) neg[i] = -v[i];
      std::vector<float> copy = v;
      CHECK(k.f32_cosine(v.data(), copy.data(), n) == Approx(0.0).margin(1e-6));
      CHECK(k.f32_cosine(v.data(), neg.data(), n) == Approx(2.0).margin(1e-6));
      CHECK(k.f32_cosine(v.data(), copy.data(), n) >= 0.0);  // clamped, never negative
      CHECK(k.f32_l2sq(v.data(), copy.data(), n) == 0.0);

      std::vector<int8_t> iv = random_int8(rng, n), ineg(n);
      iv[0] = 5;
      for (size_t i = 0; i < n; ++i) ineg[i] = static_cast<int8_t>(iv[i] == -128 ? 127 : -iv[i]);
      CHECK(k.i8_cosine(iv.data(), iv.data(), n) == Approx(0.0).margin(1e-12));
      CHECK(k.i8_cosine(iv.data(), iv.data(), n) >= 0.0);
      CHECK(k.i8_l2sq(iv.data(), iv.data(), n) == 0.0);
      CHECK(k.i8_cosine(iv.data(), ineg.data(), n) > 1.99);
    }
  }
}

TEST_CASE("float kernels handle any finite float32, not only values near 1", "[kernels]") {
  // Every finite float32 is a valid vector element (ext/core/vector.h). Products
  // of large or tiny elements leave float32's range but not double's, which
  // the reference accumulates in: every family must agree with it.
  for (const Family& family : runnable_families()) {
    const Kernels& k = *family.kernels;
    for (float magnitude : {1e20f, 1e-25f, 1e38f, 1e-40f, 1.4e-45f}) {  // up to FLT_MAX / 2, subnormals
      for (size_t n : {1u, 2u, 16u, 100u}) {
        INFO("isa " << isa_name(family.isa) << ", elements " << magnitude << ", n " << n);
        std::vector<float> a(n, magnitude), b(n, magnitude);
        b[0] = 2 * magnitude;
        const double m = magnitude;
        double dot = m * m * static_cast<double>(n + 1);
        double l2 = m * m;
        CHECK(k.f32_dot(a.data(), b.data(), n) == Approx(dot).epsilon(1e-6));
        CHECK(k.f32_l2sq(a.data(), b.data(), n) == Approx(l2).epsilon(1e-6));
        double cosine = 1 - (n + 1) / std::sqrt(static_cast<double>(n) * (n + 3));
        double got = k.f32_cosine(a.data(), b.data(), n);
        CHECK_FALSE(std::isnan(got));
        CHECK(got == Approx(cosine).margin(1e-6));
      }
    }
  }
}

// ---- panel kernels ------------------------------------------------------------

namespace {

// Transposes `count` vectors of `dim` floats into the panel layout of
// kernels.h, padding to a multiple of kPanelWidth with zero vectors.
std::vector<float> to_panel(const std::vector<float>& rows, size_t count, size_t dim) {
  size_t padded = (count + kPanelWidth - 1) / kPanelWidth * kPanelWidth;
  std::vector<float> panel(padded * dim, 0.0f);
  for (size_t j = 0; j < count; ++j)
    for (size_t t = 0; t < dim; ++t) panel[(j / kPanelWidth * dim + t) * kPanelWidth + j % kPanelWidth] = rows[j * dim + t];
  return panel;
}

}  // namespace

TEST_CASE("panel kernels match per-pair brute force in every family", "[kernels][panel]") {
  std::mt19937 rng(77);
  for (const Family& family : runnable_families()) {
    INFO("family " << family.kernels->name);
    for (size_t dim : {1, 3, 16, 100, 129, 384}) {
      for (size_t count : {1, 15, 16, 17, 64, 100, 128, 300}) {
        for (size_t points : {1, 2, 3, 5, 9}) {
          INFO("dim " << dim << " count " << count << " points " << points);
          std::vector<float> rows = random_floats(rng, count * dim);
          std::vector<float> xs = random_floats(rng, points * dim);
          std::vector<float> panel = to_panel(rows, count, dim);
          size_t padded = panel.size() / dim;
          // Poison the output so a skipped lane is noticed.
          std::vector<float> dots(points * padded, 1e30f), l2(points * padded, 1e30f);
          family.kernels->f32_dot_panel(xs.data(), points, panel.data(), dim, padded, dots.data());
          family.kernels->f32_l2sq_panel(xs.data(), points, panel.data(), dim, padded, l2.data());
          for (size_t p = 0; p < points; ++p) {
            const float* x = xs.data() + p * dim;
            for (size_t j = 0; j < padded; ++j) {
              double dot = 0, sq = 0, mag = 0, xx = 0;
              for (size_t t = 0; t < dim; ++t) {
                double v = j < count ? rows[j * dim + t] : 0.0;
                dot += x[t] * v;
                sq += (x[t] - v) * (x[t] - v);
                mag += std::fabs(x[t] * v);
                xx += double{x[t]} * x[t];
              }
              CHECK(std::fabs(dots[p * padded + j] - dot) <= 1e-5 * mag + 1e-6);
              CHECK(std::fabs(l2[p * padded + j] - sq) <= 1e-5 * (sq + xx) + 1e-6);
            }
            // Points and blocks are computed side by side in tiles; one
            // point against one block alone gives the same bits.
            for (size_t block = 0; block < padded / kPanelWidth; ++block) {
              float alone[kPanelWidth];
              const float* b = panel.data() + block * dim * kPanelWidth;
              family.kernels->f32_dot_panel(x, 1, b, dim, kPanelWidth, alone);
              CHECK(std::memcmp(alone, dots.data() + p * padded + block * kPanelWidth, sizeof alone) == 0);
              family.kernels->f32_l2sq_panel(x, 1, b, dim, kPanelWidth, alone);
              CHECK(std::memcmp(alone, l2.data() + p * padded + block * kPanelWidth, sizeof alone) == 0);
            }
          }
        }
      }
    }
  }
}
