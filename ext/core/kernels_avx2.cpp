// AVX2 + FMA + F16C kernels (compiled with -mavx2 -mfma -mf16c -mpopcnt).
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
  static xsimd::batch<int32_t, Arch> pair_dot(const int8_t* x, uint32_t w) {
    return _mm256_madd_epi16(widen(x), _mm256_set1_epi32(static_cast<int>(w)));
  }
};

// F16C converts float16 (the avx2 family requires it); bfloat16 widens by a
// shift and narrows by integer rounding.
struct Halves {
  using B = xsimd::batch<float, Arch>;
  static constexpr bool kF16 = true;
  static __m128i load8(const uint16_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
  static void store8(uint16_t* p, __m128i v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }
  static B f16(const uint16_t* p) { return _mm256_cvtph_ps(load8(p)); }
  static B bf16(const uint16_t* p) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(load8(p)), 16)); }
  static void f16_store(uint16_t* p, B x) { store8(p, _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT)); }
  static void bf16_store(uint16_t* p, B x) {
    __m256i b = _mm256_castps_si256(x);
    __m256i odd = _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(b, _mm256_add_epi32(_mm256_set1_epi32(0x7fff), odd)), 16);
    // packus works within 128-bit lanes: gather the two halves' results.
    store8(p, _mm256_castsi256_si128(_mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08)));
  }
};

}  // namespace

const Kernels& avx2_kernels() {
  static const Kernels k = simd::make_kernels<Arch, Pairs, Halves>("avx2");
  return k;
}

}  // namespace quiver
