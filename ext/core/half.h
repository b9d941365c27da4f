// The two 16-bit element types and their scalar conversions to and from
// float32 (no SQLite). These are the reference the SIMD conversions of
// kernels.h are tested against, bit for bit.
//
//   float16   IEEE-754 binary16: 1 sign, 5 exponent, 10 fraction bits.
//             Largest finite 65504, smallest normal 2^-14, smallest
//             subnormal 2^-24.
//   bfloat16  the upper 16 bits of a float32: 1 sign, 8 exponent, 7 fraction
//             bits. Float32's range, largest finite 0x1.fep127.
//
// Narrowing rounds to nearest, ties to even, as IEEE-754 does by default and
// as the F16C and NEON conversion instructions do. A finite float32 that
// rounds beyond the target's largest finite value becomes infinity, which
// callers reject (vector.h makes it an error). Values below the smallest
// subnormal round, like any other, to the nearest representable value: a
// subnormal, or a zero of the same sign (gradual underflow, no error).
//
// Everything here has internal linkage: the kernel files compiled with
// different ISA flags each get their own copy (see kernels.h).
#pragma once

#include <cstdint>
#include <cstring>

namespace quiver {

static inline uint32_t float_bits(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  return b;
}

static inline float bits_float(uint32_t b) {
  float x;
  std::memcpy(&x, &b, 4);
  return x;
}

static inline bool f16_is_finite(uint16_t h) { return (h & 0x7c00u) != 0x7c00u; }
static inline bool bf16_is_finite(uint16_t h) { return (h & 0x7f80u) != 0x7f80u; }

// Exact: every float16 is a float32. Infinities stay infinite, NaNs become
// quiet NaNs (as F16C's vcvtph2ps does).
static inline float f16_to_f32(uint16_t h) {
  uint32_t sign = uint32_t{h & 0x8000u} << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t fraction = h & 0x3ffu;
  if (exponent == 0x1f) return bits_float(sign | 0x7f800000u | (fraction << 13) | (fraction ? 0x400000u : 0));
  if (exponent == 0) {
    if (fraction == 0) return bits_float(sign);
    // A subnormal, fraction * 2^-24: shift its leading 1 into the implicit bit.
    exponent = 1;
    while (!(fraction & 0x400u)) {
      fraction <<= 1;
      --exponent;
    }
    fraction &= 0x3ffu;
  }
  return bits_float(sign | ((exponent + 112) << 23) | (fraction << 13));
}

static inline uint16_t f32_to_f16(float x) {
  uint32_t b = float_bits(x);
  uint16_t sign = static_cast<uint16_t>((b >> 16) & 0x8000u);
  b &= 0x7fffffffu;
  if (b > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u | ((b >> 13) & 0x3ffu));  // NaN stays NaN
  if (b >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // 65520 and up round to infinity
  if (b >= 0x38800000u) {  // a normal float16: rebias the exponent, round away 13 fraction bits
    b -= 112u << 23;
    return static_cast<uint16_t>(sign | ((b + 0xfffu + ((b >> 13) & 1u)) >> 13));
  }
  if (b <= 0x33000000u) return sign;  // at most half the smallest subnormal: zero (a tie goes to even, zero)
  // A subnormal: the 24-bit significand shifted right by 14..24 places, rounded.
  uint32_t significand = (b & 0x7fffffu) | 0x800000u;
  uint32_t shift = 126 - (b >> 23);
  uint32_t result = significand >> shift;
  uint32_t rest = significand & ((1u << shift) - 1), half = 1u << (shift - 1);
  if (rest > half || (rest == half && (result & 1u))) ++result;  // may carry into the smallest normal, correctly
  return static_cast<uint16_t>(sign | result);
}

static inline float bf16_to_f32(uint16_t h) { return bits_float(uint32_t{h} << 16); }

static inline uint16_t f32_to_bf16(float x) {
  uint32_t b = float_bits(x);
  if ((b & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((b >> 16) | 0x40u);  // NaN stays NaN
  return static_cast<uint16_t>((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);  // a carry into the exponent is right
}

}  // namespace quiver
