// The SIMD kernels, written once over xsimd batches and instantiated by each
// kernels_<isa>.cpp, which is compiled with that ISA's flags. Include nowhere
// else: everything here is a template on the architecture, so the copies
// compiled with different flags never collide at link time.
//
// Each ISA file supplies a Widen policy: Widen::load(p) reads exactly
// batch<int32_t, Arch>::size int8 values at p and sign-extends them
// (xsimd 8.1 converts int8 element by element, which is slow).
#pragma once

#include <xsimd/xsimd.hpp>

#include <cstdint>
#include <cstring>

#include "kernels.h"

namespace quiver {
namespace simd {

template <class Arch>
inline float tail_f32(const void* p, size_t i) {
  float x;
  std::memcpy(&x, static_cast<const float*>(p) + i, 4);
  return x;
}

template <class Arch>
double f32_dot(const void* a, const void* b, size_t n) {
  using B = xsimd::batch<float, Arch>;
  constexpr size_t W = B::size;
  const float* x = static_cast<const float*>(a);
  const float* y = static_cast<const float*>(b);
  B s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
  size_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    s0 = xsimd::fma(B::load_unaligned(x + i), B::load_unaligned(y + i), s0);
    s1 = xsimd::fma(B::load_unaligned(x + i + W), B::load_unaligned(y + i + W), s1);
    s2 = xsimd::fma(B::load_unaligned(x + i + 2 * W), B::load_unaligned(y + i + 2 * W), s2);
    s3 = xsimd::fma(B::load_unaligned(x + i + 3 * W), B::load_unaligned(y + i + 3 * W), s3);
  }
  for (; i + W <= n; i += W) s0 = xsimd::fma(B::load_unaligned(x + i), B::load_unaligned(y + i), s0);
  float s = xsimd::hadd((s0 + s1) + (s2 + s3));
  for (; i < n; ++i) s += tail_f32<Arch>(x, i) * tail_f32<Arch>(y, i);
  return s;
}

template <class Arch>
double f32_l2sq(const void* a, const void* b, size_t n) {
  using B = xsimd::batch<float, Arch>;
  constexpr size_t W = B::size;
  const float* x = static_cast<const float*>(a);
  const float* y = static_cast<const float*>(b);
  B s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
  size_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    B d0 = B::load_unaligned(x + i) - B::load_unaligned(y + i);
    B d1 = B::load_unaligned(x + i + W) - B::load_unaligned(y + i + W);
    B d2 = B::load_unaligned(x + i + 2 * W) - B::load_unaligned(y + i + 2 * W);
    B d3 = B::load_unaligned(x + i + 3 * W) - B::load_unaligned(y + i + 3 * W);
    s0 = xsimd::fma(d0, d0, s0);
    s1 = xsimd::fma(d1, d1, s1);
    s2 = xsimd::fma(d2, d2, s2);
    s3 = xsimd::fma(d3, d3, s3);
  }
  for (; i + W <= n; i += W) {
    B d = B::load_unaligned(x + i) - B::load_unaligned(y + i);
    s0 = xsimd::fma(d, d, s0);
  }
  float s = xsimd::hadd((s0 + s1) + (s2 + s3));
  for (; i < n; ++i) {
    float d = tail_f32<Arch>(x, i) - tail_f32<Arch>(y, i);
    s += d * d;
  }
  return s;
}

template <class Arch>
double f32_cosine(const void* a, const void* b, size_t n) {
  using B = xsimd::batch<float, Arch>;
  constexpr size_t W = B::size;
  const float* x = static_cast<const float*>(a);
  const float* y = static_cast<const float*>(b);
  B ab0(0.0f), aa0(0.0f), bb0(0.0f), ab1(0.0f), aa1(0.0f), bb1(0.0f);
  size_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    B x0 = B::load_unaligned(x + i), y0 = B::load_unaligned(y + i);
    B x1 = B::load_unaligned(x + i + W), y1 = B::load_unaligned(y + i + W);
    ab0 = xsimd::fma(x0, y0, ab0);
    aa0 = xsimd::fma(x0, x0, aa0);
    bb0 = xsimd::fma(y0, y0, bb0);
    ab1 = xsimd::fma(x1, y1, ab1);
    aa1 = xsimd::fma(x1, x1, aa1);
    bb1 = xsimd::fma(y1, y1, bb1);
  }
  for (; i + W <= n; i += W) {
    B x0 = B::load_unaligned(x + i), y0 = B::load_unaligned(y + i);
    ab0 = xsimd::fma(x0, y0, ab0);
    aa0 = xsimd::fma(x0, x0, aa0);
    bb0 = xsimd::fma(y0, y0, bb0);
  }
  float ab = xsimd::hadd(ab0 + ab1), aa = xsimd::hadd(aa0 + aa1), bb = xsimd::hadd(bb0 + bb1);
  for (; i < n; ++i) {
    float u = tail_f32<Arch>(x, i), v = tail_f32<Arch>(y, i);
    ab += u * v;
    aa += u * u;
    bb += v * v;
  }
  return cosine_from_sums(ab, aa, bb);
}

// int8 kernels accumulate exactly in int32 lanes. |x*y| <= 2^14, so a dot
// product or norm of up to 2^16 elements fits; squared differences reach
// 255^2, so L2 folds its lanes into 64 bits every kBlock elements.
template <class Arch, class Widen>
double i8_dot(const void* a, const void* b, size_t n) {
  using I = xsimd::batch<int32_t, Arch>;
  constexpr size_t W = I::size;
  const int8_t* x = static_cast<const int8_t*>(a);
  const int8_t* y = static_cast<const int8_t*>(b);
  I s0(0), s1(0);
  size_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    s0 += Widen::load(x + i) * Widen::load(y + i);
    s1 += Widen::load(x + i + W) * Widen::load(y + i + W);
  }
  for (; i + W <= n; i += W) s0 += Widen::load(x + i) * Widen::load(y + i);
  int64_t s = xsimd::hadd(s0 + s1);
  for (; i < n; ++i) s += int{x[i]} * y[i];
  return static_cast<double>(s);
}

template <class Arch, class Widen>
double i8_l2sq(const void* a, const void* b, size_t n) {
  using I = xsimd::batch<int32_t, Arch>;
  constexpr size_t W = I::size;
  constexpr size_t kBlock = 16384;  // 16384 * 255^2 < 2^31
  const int8_t* x = static_cast<const int8_t*>(a);
  const int8_t* y = static_cast<const int8_t*>(b);
  int64_t s = 0;
  size_t i = 0;
  while (i + W <= n) {
    size_t block_end = i + kBlock < n ? i + kBlock : n;
    I s0(0);
    for (; i + W <= block_end; i += W) {
      I d = Widen::load(x + i) - Widen::load(y + i);
      s0 += d * d;
    }
    s += xsimd::hadd(s0);
  }
  for (; i < n; ++i) {
    int d = int{x[i]} - y[i];
    s += d * d;
  }
  return static_cast<double>(s);
}

template <class Arch, class Widen>
double i8_cosine(const void* a, const void* b, size_t n) {
  using I = xsimd::batch<int32_t, Arch>;
  constexpr size_t W = I::size;
  const int8_t* x = static_cast<const int8_t*>(a);
  const int8_t* y = static_cast<const int8_t*>(b);
  I ab(0), aa(0), bb(0);
  size_t i = 0;
  for (; i + W <= n; i += W) {
    I u = Widen::load(x + i), v = Widen::load(y + i);
    ab += u * v;
    aa += u * u;
    bb += v * v;
  }
  int64_t sab = xsimd::hadd(ab), saa = xsimd::hadd(aa), sbb = xsimd::hadd(bb);
  for (; i < n; ++i) {
    sab += int{x[i]} * y[i];
    saa += int{x[i]} * x[i];
    sbb += int{y[i]} * y[i];
  }
  return cosine_from_sums(static_cast<double>(sab), static_cast<double>(saa), static_cast<double>(sbb));
}

// Hamming distance with the ISA's population count (popcnt on x86, cnt on
// NEON), four independent accumulators over 64-bit words.
template <class Arch>
double bit_hamming(const void* a, const void* b, size_t n) {
  const unsigned char* x = static_cast<const unsigned char*>(a);
  const unsigned char* y = static_cast<const unsigned char*>(b);
  uint64_t c[4] = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int k = 0; k < 4; ++k) {
      uint64_t u, v;
      std::memcpy(&u, x + i + 8 * k, 8);
      std::memcpy(&v, y + i + 8 * k, 8);
      c[k] += static_cast<uint64_t>(__builtin_popcountll(u ^ v));
    }
  }
  for (; i + 8 <= n; i += 8) {
    uint64_t u, v;
    std::memcpy(&u, x + i, 8);
    std::memcpy(&v, y + i, 8);
    c[0] += static_cast<uint64_t>(__builtin_popcountll(u ^ v));
  }
  for (; i < n; ++i) c[1] += static_cast<uint64_t>(__builtin_popcount(unsigned{x[i]} ^ y[i]));
  return static_cast<double>(c[0] + c[1] + c[2] + c[3]);
}

template <class Arch, class Widen>
Kernels make_kernels(const char* name) {
  return Kernels{name,
                 f32_dot<Arch>,
                 f32_l2sq<Arch>,
                 f32_cosine<Arch>,
                 i8_dot<Arch, Widen>,
                 i8_l2sq<Arch, Widen>,
                 i8_cosine<Arch, Widen>,
                 bit_hamming<Arch>};
}

}  // namespace simd
}  // namespace quiver
