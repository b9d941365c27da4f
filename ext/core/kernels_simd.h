// The SIMD kernels, written once over xsimd batches and instantiated by each
// kernels_<isa>.cpp, which is compiled with that ISA's flags. Include nowhere
// else: everything here is a template on the architecture, so the copies
// compiled with different flags never collide at link time (an ordinary
// inline function would exist once per flag set, and the linker keeps any
// one of them).
//
// Each ISA file supplies the int8 Pairs policy described below: xsimd 8.1
// has no widening multiply, and converts int8 element by element. It also
// supplies a Halves policy for the 16-bit types, which xsimd 8.1 lacks:
//   Halves::kF16            whether the ISA converts float16 (F16C, NEON);
//                           without it the float16 entries are the scalar ones
//   Halves::f16(p), bf16(p) B::size elements at p widened to a float batch
//   Halves::f16_store(p, x), bf16_store(p, x)
//                           a float batch narrowed to B::size elements at p,
//                           rounded to nearest even, infinity on overflow
#pragma once

#include <xsimd/xsimd.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "half.h"
#include "kernels.h"

namespace quiver {
namespace simd {

// Element readers: the float kernels are written once over them. load()
// reads B::size elements as a float batch, one() a single element, and the
// k* members name the scalar reference a kernel falls back on. The 16-bit
// readers also load a tail of fewer than B::size elements, zero-padded
// (kPadTail), which costs less than converting it one element at a time;
// zeros add nothing to any of the sums.
template <class Arch>
struct ReadF32 {
  using Element = float;
  static constexpr bool kPadTail = false;
  static xsimd::batch<float, Arch> load(const float* p) { return xsimd::batch<float, Arch>::load_unaligned(p); }
  static float one(const float* p) {
    float x;
    std::memcpy(&x, p, 4);
    return x;
  }
  static constexpr DistanceKernel Kernels::*kDot = &Kernels::f32_dot;
  static constexpr DistanceKernel Kernels::*kL2sq = &Kernels::f32_l2sq;
  static constexpr DistanceKernel Kernels::*kCosine = &Kernels::f32_cosine;
};

template <class Arch>
inline uint16_t one_u16(const uint16_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return h;
}

template <class Arch, class Load>
inline xsimd::batch<float, Arch> load_padded(const uint16_t* p, size_t count) {
  uint16_t padded[xsimd::batch<float, Arch>::size] = {};
  std::memcpy(padded, p, 2 * count);
  return Load::load(padded);
}

// One reader for both 16-bit types: Widen converts B::size elements, Scalar one.
template <class Arch, xsimd::batch<float, Arch> (*Widen)(const uint16_t*), float (*Scalar)(uint16_t),
          DistanceKernel Kernels::*Dot, DistanceKernel Kernels::*L2sq, DistanceKernel Kernels::*Cosine>
struct ReadHalf {
  using Element = uint16_t;
  static constexpr bool kPadTail = true;
  static xsimd::batch<float, Arch> load(const uint16_t* p) { return Widen(p); }
  static xsimd::batch<float, Arch> load_tail(const uint16_t* p, size_t count) {
    return load_padded<Arch, ReadHalf>(p, count);
  }
  static float one(const uint16_t* p) { return Scalar(one_u16<Arch>(p)); }
  static constexpr DistanceKernel Kernels::*kDot = Dot;
  static constexpr DistanceKernel Kernels::*kL2sq = L2sq;
  static constexpr DistanceKernel Kernels::*kCosine = Cosine;
};

template <class Arch, class Halves>
using ReadF16 = ReadHalf<Arch, Halves::f16, f16_to_f32, &Kernels::f16_dot, &Kernels::f16_l2sq, &Kernels::f16_cosine>;
template <class Arch, class Halves>
using ReadBF16 =
    ReadHalf<Arch, Halves::bf16, bf16_to_f32, &Kernels::bf16_dot, &Kernels::bf16_l2sq, &Kernels::bf16_cosine>;

// float32 accumulators are exact enough for embeddings, but overflow past
// 3.4e38 and underflow below 1e-38. Results near either edge are recomputed
// by the double-precision reference, so every finite input gets a finite,
// accurate answer.
template <class Arch>
inline bool needs_wide(float x) { return !(std::fabs(x) >= 1e-30f && std::fabs(x) <= 1e30f); }

template <class Arch, class E>
double dot(const void* a, const void* b, size_t n) {
  using B = xsimd::batch<float, Arch>;
  constexpr size_t W = B::size;
  const auto* x = static_cast<const typename E::Element*>(a);
  const auto* y = static_cast<const typename E::Element*>(b);
  B s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
  size_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    s0 = xsimd::fma(E::load(x + i), E::load(y + i), s0);
    s1 = xsimd::fma(E::load(x + i + W), E::load(y + i + W), s1);
    s2 = xsimd::fma(E::load(x + i + 2 * W), E::load(y + i + 2 * W), s2);
    s3 = xsimd::fma(E::load(x + i + 3 * W), E::load(y + i + 3 * W), s3);
  }
  for (; i + W <= n; i += W) s0 = xsimd::fma(E::load(x + i), E::load(y + i), s0);
  if constexpr (E::kPadTail) {
    if (i < n) s1 = xsimd::fma(E::load_tail(x + i, n - i), E::load_tail(y + i, n - i), s1);
    i = n;
  }
  float s = xsimd::hadd((s0 + s1) + (s2 + s3));
  for (; i < n; ++i) s += E::one(x + i) * E::one(y + i);
  return needs_wide<Arch>(s) ? (scalar_kernels().*E::kDot)(a, b, n) : s;
}

template <class Arch, class E>
double l2sq(const void* a, const void* b, size_t n) {
  using B = xsimd::batch<float, Arch>;
  constexpr size_t W = B::size;
  const auto* x = static_cast<const typename E::Element*>(a);
  const auto* y = static_cast<const typename E::Element*>(b);
  B s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
  size_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    B d0 = E::load(x + i) - E::load(y + i);
    B d1 = E::load(x + i + W) - E::load(y + i + W);
    B d2 = E::load(x + i + 2 * W) - E::load(y + i + 2 * W);
    B d3 = E::load(x + i + 3 * W) - E::load(y + i + 3 * W);
    s0 = xsimd::fma(d0, d0, s0);
    s1 = xsimd::fma(d1, d1, s1);
    s2 = xsimd::fma(d2, d2, s2);
    s3 = xsimd::fma(d3, d3, s3);
  }
  for (; i + W <= n; i += W) {
    B d = E::load(x + i) - E::load(y + i);
    s0 = xsimd::fma(d, d, s0);
  }
  if constexpr (E::kPadTail) {
    if (i < n) {
      B d = E::load_tail(x + i, n - i) - E::load_tail(y + i, n - i);
      s1 = xsimd::fma(d, d, s1);
    }
    i = n;
  }
  float s = xsimd::hadd((s0 + s1) + (s2 + s3));
  for (; i < n; ++i) {
    float d = E::one(x + i) - E::one(y + i);
    s += d * d;
  }
  return needs_wide<Arch>(s) ? (scalar_kernels().*E::kL2sq)(a, b, n) : s;
}

template <class Arch, class E>
double cosine(const void* a, const void* b, size_t n) {
  using B = xsimd::batch<float, Arch>;
  constexpr size_t W = B::size;
  const auto* x = static_cast<const typename E::Element*>(a);
  const auto* y = static_cast<const typename E::Element*>(b);
  B ab0(0.0f), aa0(0.0f), bb0(0.0f), ab1(0.0f), aa1(0.0f), bb1(0.0f);
  size_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    B x0 = E::load(x + i), y0 = E::load(y + i);
    B x1 = E::load(x + i + W), y1 = E::load(y + i + W);
    ab0 = xsimd::fma(x0, y0, ab0);
    aa0 = xsimd::fma(x0, x0, aa0);
    bb0 = xsimd::fma(y0, y0, bb0);
    ab1 = xsimd::fma(x1, y1, ab1);
    aa1 = xsimd::fma(x1, x1, aa1);
    bb1 = xsimd::fma(y1, y1, bb1);
  }
  for (; i + W <= n; i += W) {
    B x0 = E::load(x + i), y0 = E::load(y + i);
    ab0 = xsimd::fma(x0, y0, ab0);
    aa0 = xsimd::fma(x0, x0, aa0);
    bb0 = xsimd::fma(y0, y0, bb0);
  }
  if constexpr (E::kPadTail) {
    if (i < n) {
      B x1 = E::load_tail(x + i, n - i), y1 = E::load_tail(y + i, n - i);
      ab1 = xsimd::fma(x1, y1, ab1);
      aa1 = xsimd::fma(x1, x1, aa1);
      bb1 = xsimd::fma(y1, y1, bb1);
    }
    i = n;
  }
  float ab = xsimd::hadd(ab0 + ab1), aa = xsimd::hadd(aa0 + aa1), bb = xsimd::hadd(bb0 + bb1);
  for (; i < n; ++i) {
    float u = E::one(x + i), v = E::one(y + i);
    ab += u * v;
    aa += u * u;
    bb += v * v;
  }
  if (needs_wide<Arch>(aa) || needs_wide<Arch>(bb) || !std::isfinite(ab)) return (scalar_kernels().*E::kCosine)(a, b, n);
  return cosine_from_sums(ab, aa, bb);
}

// 16-bit elements to float32 and back, B::size at a time with the ISA's
// conversions and the scalar ones (half.h) for the tail.
template <class Arch, class E>
void widen(const void* src, float* dst, size_t n) {
  constexpr size_t W = xsimd::batch<float, Arch>::size;
  const auto* x = static_cast<const uint16_t*>(src);
  size_t i = 0;
  for (; i + W <= n; i += W) E::load(x + i).store_unaligned(dst + i);
  if (i < n) {
    float tail[W];
    E::load_tail(x + i, n - i).store_unaligned(tail);
    std::memcpy(dst + i, tail, 4 * (n - i));
  }
}

// `overflow` is the smallest magnitude that rounds to infinity; finite input
// overflows exactly when its largest magnitude reaches it.
template <class Arch, void (*Store)(uint16_t*, xsimd::batch<float, Arch>), uint16_t (*Narrow)(float),
          uint32_t kOverflowBits>
bool narrow(const void* src, void* dst, size_t n) {
  using B = xsimd::batch<float, Arch>;
  constexpr size_t W = B::size;
  const auto* x = static_cast<const float*>(src);
  auto* out = static_cast<uint16_t*>(dst);
  B largest(0.0f);
  size_t i = 0;
  for (; i + W <= n; i += W) {
    B v = B::load_unaligned(x + i);
    largest = xsimd::max(largest, xsimd::abs(v));
    Store(out + i, v);
  }
  const float limit = bits_float(kOverflowBits);
  bool fits = !xsimd::any(largest >= B(limit));
  for (; i < n; ++i) {
    float v = ReadF32<Arch>::one(x + i);
    fits &= std::fabs(v) < limit;
    uint16_t h = Narrow(v);
    std::memcpy(out + i, &h, 2);
  }
  return fits;
}

// int8 kernels accumulate exactly in int32 lanes. Each ISA file supplies a
// Pairs policy that reads Pairs::kStep int8 values from x and y, widens them
// to 16 bits and returns, per int32 lane, the sum of two adjacent products
// (pmaddwd on x86, widening multiply-accumulate on NEON):
//   Pairs::dot(x, y)     lanes of x[i]*y[i] + x[i+1]*y[i+1]
//   Pairs::sqdiff(x, y)  the same for (x[i]-y[i])^2
//   Pairs::pair_dot(x, w) lanes of x[i]*w0 + x[i+1]*w1, w0 and w1 the int16
//                        halves of the 32-bit w (code panels, below)
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

// int8 code panels (kernels.h): each Pairs::pair_dot(codes, pair) reads
// Pairs::kStep code bytes, kStep / 2 codes' elements 2t and 2t + 1, widens
// them to 16 bits and multiplies-adds them with the pair of int16 query
// weights broadcast to every lane: one int32 lane per code. A block row of
// 2 * kPanelWidth bytes takes R calls; U pairs at a time keep at least four
// independent accumulators while the block is read as one stream.
template <class Arch, class Pairs>
void i8_code_panel(const uint32_t* query_pairs, const int8_t* panel, size_t pairs, size_t count, int32_t* out) {
  using I = xsimd::batch<int32_t, Arch>;
  constexpr size_t S = Pairs::kStep;
  constexpr size_t R = 2 * kPanelWidth / S;
  constexpr size_t U = R >= 4 ? 1 : 4 / R;
  static_assert(I::size == S / 2, "one int32 lane per code");
  constexpr size_t kRow = 2 * kPanelWidth;
  for (size_t block = 0; block < count / kPanelWidth; ++block, panel += pairs * kRow, out += kPanelWidth) {
    I acc[U][R];
    for (size_t u = 0; u < U; ++u)
      for (size_t r = 0; r < R; ++r) acc[u][r] = I(0);
    size_t t = 0;
    for (; t + U <= pairs; t += U)
      for (size_t u = 0; u < U; ++u)
        for (size_t r = 0; r < R; ++r)
          acc[u][r] += Pairs::pair_dot(panel + (t + u) * kRow + r * S, query_pairs[t + u]);
    for (; t < pairs; ++t)
      for (size_t r = 0; r < R; ++r) acc[0][r] += Pairs::pair_dot(panel + t * kRow + r * S, query_pairs[t]);
    for (size_t r = 0; r < R; ++r) {
      I sum = acc[0][r];
      for (size_t u = 1; u < U; ++u) sum += acc[u][r];
      sum.store_unaligned(out + r * (S / 2));
    }
  }
}

// Hamming distances of bit codes with the ISA's population count; the
// common short codes (up to 256 bits) get loops the compiler unrolls.
template <size_t W>
inline void hamming_rows_fixed(const uint64_t* query, const uint64_t* codes, size_t count, uint32_t* out) {
  for (size_t j = 0; j < count; ++j, codes += W) {
    uint32_t s = 0;
    for (size_t w = 0; w < W; ++w) s += static_cast<uint32_t>(__builtin_popcountll(query[w] ^ codes[w]));
    out[j] = s;
  }
}

template <class Arch>
void bit_hamming_rows(const uint64_t* query, const uint64_t* codes, size_t words, size_t count, uint32_t* out) {
  switch (words) {
    case 1: return hamming_rows_fixed<1>(query, codes, count, out);
    case 2: return hamming_rows_fixed<2>(query, codes, count, out);
    case 3: return hamming_rows_fixed<3>(query, codes, count, out);
    case 4: return hamming_rows_fixed<4>(query, codes, count, out);
    default: break;
  }
  for (size_t j = 0; j < count; ++j, codes += words) {
    uint64_t s0 = 0, s1 = 0;
    size_t w = 0;
    for (; w + 2 <= words; w += 2) {
      s0 += static_cast<uint64_t>(__builtin_popcountll(query[w] ^ codes[w]));
      s1 += static_cast<uint64_t>(__builtin_popcountll(query[w + 1] ^ codes[w + 1]));
    }
    if (w < words) s0 += static_cast<uint64_t>(__builtin_popcountll(query[w] ^ codes[w]));
    out[j] = static_cast<uint32_t>(s0 + s1);
  }
}

// A tile of P points against G consecutive blocks of a panel: each panel
// load feeds P FMAs and each broadcast G * R, so a tile keeps eight
// accumulators busy (enough to hide the FMA latency) and reads the panel,
// which for k-means is larger than the L1 cache, once per P points. Every
// lane sums over t in order, so tiling never changes a result.
template <class Arch, class E, size_t P, size_t G, class Step>
void panel_tile(const float* xs, const typename E::Element* panel, size_t dim, size_t count, float* out, Step step) {
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
      for (size_t r = 0; r < R; ++r) v[g * R + r] = E::load(panel + g * stride + t * kPanelWidth + r * W);
    for (size_t p = 0; p < P; ++p) {
      B xt(xs[p * dim + t]);
      for (size_t a = 0; a < G * R; ++a) acc[p][a] = step(xt, v[a], acc[p][a]);
    }
  }
  for (size_t p = 0; p < P; ++p)
    for (size_t a = 0; a < G * R; ++a) acc[p][a].store_unaligned(out + p * count + a * W);
}

// P points against the whole panel, G blocks at a time, then one by one.
template <class Arch, class E, size_t P, size_t G, class Step>
void panel_rows(const float* xs, const typename E::Element* panel, size_t dim, size_t count, float* out, Step step) {
  size_t blocks = count / kPanelWidth, block = 0;
  for (; block + G <= blocks; block += G)
    panel_tile<Arch, E, P, G>(xs, panel + block * dim * kPanelWidth, dim, count, out + block * kPanelWidth, step);
  for (; block < blocks; ++block)
    panel_tile<Arch, E, P, 1>(xs, panel + block * dim * kPanelWidth, dim, count, out + block * kPanelWidth, step);
}

// Tiles of eight accumulators: P points x G blocks x R batches per block.
template <class Arch, class E, class Step>
void panel_kernel(const float* xs, size_t points, const typename E::Element* panel, size_t dim, size_t count,
                  float* out, Step step) {
  constexpr size_t R = kPanelWidth / xsimd::batch<float, Arch>::size;
  constexpr size_t P = R >= 4 ? 2 : 4;
  constexpr size_t G = P * R >= 8 ? 1 : 8 / (P * R);
  constexpr size_t G1 = R >= 8 ? 1 : 8 / R;  // a point alone: more blocks side by side
  size_t p = 0;
  for (; p + P <= points; p += P) panel_rows<Arch, E, P, G>(xs + p * dim, panel, dim, count, out + p * count, step);
  for (; p < points; ++p) panel_rows<Arch, E, 1, G1>(xs + p * dim, panel, dim, count, out + p * count, step);
}

template <class Arch, class E>
void dot_panel(const float* xs, size_t points, const typename E::Element* panel, size_t dim, size_t count,
               float* out) {
  using B = xsimd::batch<float, Arch>;
  panel_kernel<Arch, E>(xs, points, panel, dim, count, out, [](B xt, B p, B acc) { return xsimd::fma(xt, p, acc); });
}

template <class Arch, class E>
void l2sq_panel(const float* xs, size_t points, const typename E::Element* panel, size_t dim, size_t count,
                float* out) {
  using B = xsimd::batch<float, Arch>;
  panel_kernel<Arch, E>(xs, points, panel, dim, count, out, [](B xt, B p, B acc) {
    B d = p - xt;
    return xsimd::fma(d, d, acc);
  });
}

template <class Arch, class Pairs, class Halves>
Kernels make_kernels(const char* name) {
  using F32 = ReadF32<Arch>;
  using BF16 = ReadBF16<Arch, Halves>;
  Kernels k = scalar_kernels();
  k.name = name;
  k.f32_dot = dot<Arch, F32>;
  k.f32_l2sq = l2sq<Arch, F32>;
  k.f32_cosine = cosine<Arch, F32>;
  k.i8_dot = i8_dot<Arch, Pairs>;
  k.i8_l2sq = i8_l2sq<Arch, Pairs>;
  k.i8_cosine = i8_cosine<Arch, Pairs>;
  k.bit_hamming = bit_hamming<Arch>;
  k.i8_code_panel = i8_code_panel<Arch, Pairs>;
  k.bit_hamming_rows = bit_hamming_rows<Arch>;
  k.f32_dot_panel = dot_panel<Arch, F32>;
  k.f32_l2sq_panel = l2sq_panel<Arch, F32>;
  k.bf16_dot = dot<Arch, BF16>;
  k.bf16_l2sq = l2sq<Arch, BF16>;
  k.bf16_cosine = cosine<Arch, BF16>;
  k.bf16_dot_panel = dot_panel<Arch, BF16>;
  k.bf16_l2sq_panel = l2sq_panel<Arch, BF16>;
  k.bf16_widen = widen<Arch, BF16>;
  k.bf16_narrow = narrow<Arch, Halves::bf16_store, f32_to_bf16, 0x7f7f8000u>;
  if constexpr (Halves::kF16) {
    using F16 = ReadF16<Arch, Halves>;
    k.f16_dot = dot<Arch, F16>;
    k.f16_l2sq = l2sq<Arch, F16>;
    k.f16_cosine = cosine<Arch, F16>;
    k.f16_dot_panel = dot_panel<Arch, F16>;
    k.f16_l2sq_panel = l2sq_panel<Arch, F16>;
    k.f16_widen = widen<Arch, F16>;
    k.f16_narrow = narrow<Arch, Halves::f16_store, f32_to_f16, 0x477ff000u>;
  }
  return k;
}

}  // namespace simd
}  // namespace quiver
