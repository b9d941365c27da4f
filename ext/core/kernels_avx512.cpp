// AVX-512 kernels (compiled with -mavx512f -mavx512dq -mavx512bw -mfma
// -mpopcnt: xsimd 8.1 reduces AVX-512 batches with a DQ instruction, and the
// int8 kernels widen to 16 bits with BW).
#include "kernels_simd.h"

namespace quiver {
namespace {

using Arch = xsimd::avx512f;

struct Pairs {
  static constexpr size_t kStep = 32;
  static __m512i widen(const int8_t* p) { return _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  static xsimd::batch<int32_t, Arch> dot(const int8_t* x, const int8_t* y) { return _mm512_madd_epi16(widen(x), widen(y)); }
  static xsimd::batch<int32_t, Arch> sqdiff(const int8_t* x, const int8_t* y) {
    __m512i d = _mm512_sub_epi16(widen(x), widen(y));
    return _mm512_madd_epi16(d, d);
  }
  static xsimd::batch<int32_t, Arch> pair_dot(const int8_t* x, uint32_t w) {
    return _mm512_madd_epi16(widen(x), _mm512_set1_epi32(static_cast<int>(w)));
  }
};

// AVX-512F converts float16 itself; bfloat16 widens by a shift and narrows
// by integer rounding (AVX512_BF16's conversion flushes subnormals).
struct Halves {
  using B = xsimd::batch<float, Arch>;
  static constexpr bool kF16 = true;
  static __m256i load16(const uint16_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static void store16(uint16_t* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
  static B f16(const uint16_t* p) { return _mm512_cvtph_ps(load16(p)); }
  static B bf16(const uint16_t* p) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(load16(p)), 16)); }
  static void f16_store(uint16_t* p, B x) { store16(p, _mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT)); }
  static void bf16_store(uint16_t* p, B x) {
    __m512i b = _mm512_castps_si512(x);
    __m512i odd = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(b, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), odd)), 16);
    store16(p, _mm512_cvtepi32_epi16(r));
  }
};

}  // namespace

const Kernels& avx512_kernels() {
  static const Kernels k = simd::make_kernels<Arch, Pairs, Halves>("avx512");
  return k;
}

}  // namespace quiver
