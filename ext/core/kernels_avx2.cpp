// AVX2 + FMA kernels (compiled with -mavx2 -mfma -mpopcnt).
#include "kernels_simd.h"

namespace quiver {
namespace {

using Arch = xsimd::fma3<xsimd::avx2>;

struct Pairs {
  static constexpr size_t kStep = 16;
  static __m256i widen(const int8_t* p) { return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static xsimd::batch<int32_t, Arch> dot(const int8_t* x, const int8_t* y) { return _mm256_madd_epi16(widen(x), widen(y)); }
  static xsimd::batch<int32_t, Arch> sqdiff(const int8_t* x, const int8_t* y) {
    __m256i d = _mm256_sub_epi16(widen(x), widen(y));
    return _mm256_madd_epi16(d, d);
  }
};

}  // namespace

const Kernels& avx2_kernels() {
  static const Kernels k = simd::make_kernels<Arch, Pairs>("avx2");
  return k;
}

}  // namespace quiver
