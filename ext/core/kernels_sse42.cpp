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
  static xsimd::batch<int32_t, Arch> pair_dot(const int8_t* x, uint32_t w) {
    return _mm_madd_epi16(widen(x), _mm_set1_epi32(static_cast<int>(w)));
  }
};

// bfloat16 widens by a shift; SSE has no float16 conversion (the float16
// entries are the scalar ones).
struct Halves {
  using B = xsimd::batch<float, Arch>;
  static constexpr bool kF16 = false;
  static B bf16(const uint16_t* p) {
    return _mm_castsi128_ps(_mm_slli_epi32(_mm_cvtepu16_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))), 16));
  }
  static void bf16_store(uint16_t* p, B x) {
    __m128i b = _mm_castps_si128(x);
    __m128i odd = _mm_and_si128(_mm_srli_epi32(b, 16), _mm_set1_epi32(1));
    __m128i r = _mm_srli_epi32(_mm_add_epi32(b, _mm_add_epi32(_mm_set1_epi32(0x7fff), odd)), 16);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_packus_epi32(r, r));
  }
};

}  // namespace

const Kernels& sse42_kernels() {
  static const Kernels k = simd::make_kernels<Arch, Pairs, Halves>("sse4.2");
  return k;
}

}  // namespace quiver
