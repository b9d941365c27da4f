// SSE4.2 kernels (compiled with -msse4.2 -mpopcnt).
#include "kernels_simd.h"

namespace quiver {
namespace {

using Arch = xsimd::sse4_2;

struct Pairs {
  static constexpr size_t kStep = 8;
  static __m128i widen(const int8_t* p) { return _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))); }
  static xsimd::batch<int32_t, Arch> dot(const int8_t* x, const int8_t* y) { return _mm_madd_epi16(widen(x), widen(y)); }
  static xsimd::batch<int32_t, Arch> sqdiff(const int8_t* x, const int8_t* y) {
    __m128i d = _mm_sub_epi16(widen(x), widen(y));
    return _mm_madd_epi16(d, d);
  }
};

}  // namespace

const Kernels& sse42_kernels() {
  static const Kernels k = simd::make_kernels<Arch, Pairs>("sse4.2");
  return k;
}

}  // namespace quiver
