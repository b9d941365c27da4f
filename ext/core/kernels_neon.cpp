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
  static xsimd::batch<int32_t, Arch> pair_dot(const int8_t* x, uint32_t w) {
    int16x8_t c = vmovl_s8(vld1_s8(x));
    int16x8_t q = vreinterpretq_s16_u32(vdupq_n_u32(w));
    return vpaddq_s32(vmull_s16(vget_low_s16(c), vget_low_s16(q)), vmull_s16(vget_high_s16(c), vget_high_s16(q)));
  }
};

// float16 conversion is part of base aarch64; bfloat16 widens by a shift.
struct Halves {
  using B = xsimd::batch<float, Arch>;
  static constexpr bool kF16 = true;
  static B f16(const uint16_t* p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }
  static B bf16(const uint16_t* p) { return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16)); }
  static void f16_store(uint16_t* p, B x) { vst1_u16(p, vreinterpret_u16_f16(vcvt_f16_f32(x))); }
  static void bf16_store(uint16_t* p, B x) {
    uint32x4_t b = vreinterpretq_u32_f32(x);
    uint32x4_t odd = vandq_u32(vshrq_n_u32(b, 16), vdupq_n_u32(1));
    vst1_u16(p, vshrn_n_u32(vaddq_u32(b, vaddq_u32(vdupq_n_u32(0x7fff), odd)), 16));
  }
};

}  // namespace

const Kernels& neon_kernels() {
  static const Kernels k = simd::make_kernels<Arch, Pairs, Halves>("neon");
  return k;
}

}  // namespace quiver
