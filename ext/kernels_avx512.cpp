// AVX-512 kernels (compiled with -mavx512f -mavx512dq -mfma -mpopcnt; xsimd
// 8.1 reduces AVX-512 batches with a DQ instruction).
#include "kernels_simd.h"

namespace quiver {
namespace {

using Arch = xsimd::avx512f;

struct Widen {
  static xsimd::batch<int32_t, Arch> load(const int8_t* p) {
    return _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
};

}  // namespace

const Kernels& avx512_kernels() {
  static const Kernels k = simd::make_kernels<Arch, Widen>("avx512");
  return k;
}

}  // namespace quiver
