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
};

}  // namespace

const Kernels& avx512_kernels() {
  static const Kernels k = simd::make_kernels<Arch, Pairs>("avx512");
  return k;
}

}  // namespace quiver
