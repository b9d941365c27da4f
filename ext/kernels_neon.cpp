// NEON kernels for aarch64 (NEON is part of the base architecture).
#include "kernels_simd.h"

namespace quiver {
namespace {

using Arch = xsimd::neon64;

struct Widen {
  static xsimd::batch<int32_t, Arch> load(const int8_t* p) {
    int32_t four;
    std::memcpy(&four, p, 4);
    int8x8_t bytes = vreinterpret_s8_s32(vdup_n_s32(four));
    return vmovl_s16(vget_low_s16(vmovl_s8(bytes)));
  }
};

}  // namespace

const Kernels& neon_kernels() {
  static const Kernels k = simd::make_kernels<Arch, Widen>("neon");
  return k;
}

}  // namespace quiver
