// NEON kernels for aarch64 (NEON is part of the base architecture).
#include "kernels_simd.h"

namespace quiver {
namespace {

using Arch = xsimd::neon64;

struct Pairs {
  static constexpr size_t kStep = 8;
  static xsimd::batch<int32_t, Arch> dot(const int8_t* x, const int8_t* y) {
    return vpaddlq_s16(vmull_s8(vld1_s8(x), vld1_s8(y)));
  }
  static xsimd::batch<int32_t, Arch> sqdiff(const int8_t* x, const int8_t* y) {
    int16x8_t d = vsubl_s8(vld1_s8(x), vld1_s8(y));
    return vaddq_s32(vmull_s16(vget_low_s16(d), vget_low_s16(d)), vmull_s16(vget_high_s16(d), vget_high_s16(d)));
  }
};

}  // namespace

const Kernels& neon_kernels() {
  static const Kernels k = simd::make_kernels<Arch, Pairs>("neon");
  return k;
}

}  // namespace quiver
