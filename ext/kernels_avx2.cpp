// AVX2 + FMA kernels (compiled with -mavx2 -mfma -mpopcnt).
#include "kernels_simd.h"

namespace quiver {
namespace {

using Arch = xsimd::fma3<xsimd::avx2>;

struct Widen {
  static xsimd::batch<int32_t, Arch> load(const int8_t* p) {
    return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  }
};

}  // namespace

const Kernels& avx2_kernels() {
  static const Kernels k = simd::make_kernels<Arch, Widen>("avx2");
  return k;
}

}  // namespace quiver
