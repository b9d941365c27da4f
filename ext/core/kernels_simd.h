// The SIMD kernels, written once over xsimd batches and instantiated by each
// kernels_<isa>.cpp, which is compiled with that ISA's flags. Include nowhere
// else: everything here is a template on the architecture, so the copies
// compiled with different flags never collide at link time (an ordinary
// inline function would exist once per flag set, and the linker keeps any
// one of them).
//
// Each ISA file supplies the int8 Pairs policy described below: xsimd 8.1
// has no widening multiply, and converts int8 element by element.
#pragma once

#include <xsimd/xsimd.hpp>

#include <cmath>
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

// float32 accumulators are exact enough for embeddings, but overflow past
// 3.4e38 and underflow below 1e-38. Results near either edge are recomputed
// by the double-precision reference, so every finite input gets a finite,
// accurate answer.
template <class Arch>
inline bool needs_wide(float x) { return !(std::fabs(x) >= 1e-30f && std::fabs(x) <= 1e30f); }

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
  return needs_wide<Arch>(s) ? scalar_kernels().f32_dot(a, b, n) : s;
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
  return needs_wide<Arch>(s) ? scalar_kernels().f32_l2sq(a, b, n) : s;
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
  if (needs_wide<Arch>(aa) || needs_wide<Arch>(bb) || !std::isfinite(ab)) return scalar_kernels().f32_cosine(a, b, n);
  return cosine_from_sums(ab, aa, bb);
}

// int8 kernels accumulate exactly in int32 lanes. Each ISA file supplies a
// Pairs policy that reads Pairs::kStep int8 values from x and y, widens them
// to 16 bits and returns, per int32 lane, the sum of two adjacent products
// (pmaddwd on x86, widening multiply-accumulate on NEON):
//   Pairs::dot(x, y)     lanes of x[i]*y[i] + x[i+1]*y[i+1]
//   Pairs::sqdiff(x, y)  the same for (x[i]-y[i])^2
// |x*y| <= 2^14, so dot products and norms of up to 2^16 elements fit in
// int32; squared differences reach 255^2, so L2 folds its lanes into 64 bits
// every kBlock elements.
template <class Arch, class Pairs>
double i8_dot(const void* a, const void* b, size_t n) {
  using I = xsimd::batch<int32_t, Arch>;
  constexpr size_t S = Pairs::kStep;
  const int8_t* x = static_cast<const int8_t*>(a);
  const int8_t* y = static_cast<const int8_t*>(b);
  I s0(0), s1(0);
  size_t i = 0;
  for (; i + 2 * S <= n; i += 2 * S) {
    s0 += Pairs::dot(x + i, y + i);
    s1 += Pairs::dot(x + i + S, y + i + S);
  }
  for (; i + S <= n; i += S) s0 += Pairs::dot(x + i, y + i);
  int64_t s = xsimd::hadd(s0 + s1);
  for (; i < n; ++i) s += int{x[i]} * y[i];
  return static_cast<double>(s);
}

template <class Arch, class Pairs>
double i8_l2sq(const void* a, const void* b, size_t n) {
  using I = xsimd::batch<int32_t, Arch>;
  constexpr size_t S = Pairs::kStep;
  constexpr size_t kBlock = 16384;  // 16384 * 255^2 < 2^31
  const int8_t* x = static_cast<const int8_t*>(a);
  const int8_t* y = static_cast<const int8_t*>(b);
  int64_t s = 0;
  size_t i = 0;
  while (i + S <= n) {
    size_t block_end = i + kBlock < n ? i + kBlock : n;
    I s0(0);
    for (; i + S <= block_end; i += S) s0 += Pairs::sqdiff(x + i, y + i);
    s += xsimd::hadd(s0);
  }
  for (; i < n; ++i) {
    int d = int{x[i]} - y[i];
    s += d * d;
  }
  return static_cast<double>(s);
}

template <class Arch, class Pairs>
double i8_cosine(const void* a, const void* b, size_t n) {
  using I = xsimd::batch<int32_t, Arch>;
  constexpr size_t S = Pairs::kStep;
  const int8_t* x = static_cast<const int8_t*>(a);
  const int8_t* y = static_cast<const int8_t*>(b);
  I ab(0), aa(0), bb(0);
  size_t i = 0;
  for (; i + S <= n; i += S) {
    ab += Pairs::dot(x + i, y + i);
    aa += Pairs::dot(x + i, x + i);
    bb += Pairs::dot(y + i, y + i);
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

// A tile of P points against G consecutive blocks of a panel: each panel
// load feeds P FMAs and each broadcast G * R, so a tile keeps eight
// accumulators busy (enough to hide the FMA latency) and reads the panel,
// which for k-means is larger than the L1 cache, once per P points. Every
// lane sums over t in order, so tiling never changes a result.
template <class Arch, size_t P, size_t G, class Step>
void panel_tile(const float* xs, const float* panel, size_t dim, size_t count, float* out, Step step) {
  using B = xsimd::batch<float, Arch>;
  constexpr size_t W = B::size;
  static_assert(kPanelWidth % W == 0, "panel width must be a multiple of the batch");
  constexpr size_t R = kPanelWidth / W;
  const size_t stride = dim * kPanelWidth;
  B acc[P][G * R];
  for (size_t p = 0; p < P; ++p)
    for (size_t a = 0; a < G * R; ++a) acc[p][a] = B(0.0f);
  for (size_t t = 0; t < dim; ++t) {
    B v[G * R];
    for (size_t g = 0; g < G; ++g)
      for (size_t r = 0; r < R; ++r) v[g * R + r] = B::load_unaligned(panel + g * stride + t * kPanelWidth + r * W);
    for (size_t p = 0; p < P; ++p) {
      B xt(xs[p * dim + t]);
      for (size_t a = 0; a < G * R; ++a) acc[p][a] = step(xt, v[a], acc[p][a]);
    }
  }
  for (size_t p = 0; p < P; ++p)
    for (size_t a = 0; a < G * R; ++a) acc[p][a].store_unaligned(out + p * count + a * W);
}

// P points against the whole panel, G blocks at a time, then one by one.
template <class Arch, size_t P, size_t G, class Step>
void panel_rows(const float* xs, const float* panel, size_t dim, size_t count, float* out, Step step) {
  size_t blocks = count / kPanelWidth, block = 0;
  for (; block + G <= blocks; block += G)
    panel_tile<Arch, P, G>(xs, panel + block * dim * kPanelWidth, dim, count, out + block * kPanelWidth, step);
  for (; block < blocks; ++block)
    panel_tile<Arch, P, 1>(xs, panel + block * dim * kPanelWidth, dim, count, out + block * kPanelWidth, step);
}

// Tiles of eight accumulators: P points x G blocks x R batches per block.
template <class Arch, class Step>
void panel_kernel(const float* xs, size_t points, const float* panel, size_t dim, size_t count, float* out,
                  Step step) {
  constexpr size_t R = kPanelWidth / xsimd::batch<float, Arch>::size;
  constexpr size_t P = R >= 4 ? 2 : 4;
  constexpr size_t G = P * R >= 8 ? 1 : 8 / (P * R);
  constexpr size_t G1 = R >= 8 ? 1 : 8 / R;  // a point alone: more blocks side by side
  size_t p = 0;
  for (; p + P <= points; p += P) panel_rows<Arch, P, G>(xs + p * dim, panel, dim, count, out + p * count, step);
  for (; p < points; ++p) panel_rows<Arch, 1, G1>(xs + p * dim, panel, dim, count, out + p * count, step);
}

template <class Arch>
void f32_dot_panel(const float* xs, size_t points, const float* panel, size_t dim, size_t count, float* out) {
  using B = xsimd::batch<float, Arch>;
  panel_kernel<Arch>(xs, points, panel, dim, count, out, [](B xt, B p, B acc) { return xsimd::fma(xt, p, acc); });
}

template <class Arch>
void f32_l2sq_panel(const float* xs, size_t points, const float* panel, size_t dim, size_t count, float* out) {
  using B = xsimd::batch<float, Arch>;
  panel_kernel<Arch>(xs, points, panel, dim, count, out, [](B xt, B p, B acc) {
    B d = p - xt;
    return xsimd::fma(d, d, acc);
  });
}

template <class Arch, class Pairs>
Kernels make_kernels(const char* name) {
  return Kernels{name,
                 f32_dot<Arch>,
                 f32_l2sq<Arch>,
                 f32_cosine<Arch>,
                 i8_dot<Arch, Pairs>,
                 i8_l2sq<Arch, Pairs>,
                 i8_cosine<Arch, Pairs>,
                 bit_hamming<Arch>,
                 f32_dot_panel<Arch>,
                 f32_l2sq_panel<Arch>};
}

}  // namespace simd
}  // namespace quiver
