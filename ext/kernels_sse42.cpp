// SSE4.2 kernels (compiled with -msse4.2 -mpopcnt).
#include "kernels_simd.h"

namespace quiver {
namespace {

using Arch = xsimd::sse4_2;

struct Widen {
  static xsimd::batch<int32_t, Arch> load(const int8_t* p) {
    int32_t four;
    std::memcpy(&four, p, 4);
    return _mm_cvtepi8_epi32(_mm_cvtsi32_si128(four));
  }
};

}  // namespace

const Kernels& sse42_kernels() {
  static const Kernels k = simd::make_kernels<Arch, Widen>("sse4.2");
  return k;
}

}  // namespace quiver
