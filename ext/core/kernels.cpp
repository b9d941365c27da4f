// Kernel dispatch: which families were built, which this CPU runs, and the
// one chosen for the process.
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <cstdlib>
#include <cstring>
#include <string>

#include "kernels.h"

namespace quiver {

#if defined(QUIVER_KERNELS_X86)
// F16C (float16 conversion), which clang's __builtin_cpu_supports does not
// know: CPUID leaf 1, ECX bit 29. It uses the AVX registers, whose OS
// support the avx2 check below covers.
static bool cpu_has_f16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C);
}

const Kernels& sse42_kernels();
const Kernels& avx2_kernels();
const Kernels& avx512_kernels();
#endif
#if defined(QUIVER_KERNELS_NEON)
const Kernels& neon_kernels();
#endif

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return "scalar";
    case Isa::Sse42: return "sse4.2";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
    case Isa::Neon: return "neon";
  }
  return "?";
}

const Kernels* kernels_for(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return &scalar_kernels();
#if defined(QUIVER_KERNELS_X86)
    // libgcc's CPU model checks both CPUID and that the OS saves the wider
    // registers (XGETBV), so an AVX-512 CPU under an OS without it is refused.
    case Isa::Sse42:
      return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt") ? &sse42_kernels() : nullptr;
    case Isa::Avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c() &&
                     __builtin_cpu_supports("popcnt")
                 ? &avx2_kernels()
                 : nullptr;
    case Isa::Avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                     __builtin_cpu_supports("avx512bw") &&
                     __builtin_cpu_supports("fma") && __builtin_cpu_supports("popcnt")
                 ? &avx512_kernels()
                 : nullptr;
#endif
#if defined(QUIVER_KERNELS_NEON)
    case Isa::Neon: return &neon_kernels();
#endif
    default: return nullptr;
  }
}

namespace {

const Kernels& choose_kernels() {
  if (const char* forced = std::getenv("QUIVER_SIMD")) {
    for (Isa isa : kAllIsas)
      if (std::strcmp(forced, isa_name(isa)) == 0)
        if (const Kernels* k = kernels_for(isa)) return *k;
  }
  const Kernels* best = &scalar_kernels();
  for (Isa isa : kAllIsas)
    if (const Kernels* k = kernels_for(isa)) best = k;
  return *best;
}

}  // namespace

std::string simd_setting_error() {
  const char* forced = std::getenv("QUIVER_SIMD");
  if (!forced) return "";
  std::string runnable, known;
  for (Isa isa : kAllIsas) {
    if (std::strcmp(forced, isa_name(isa)) == 0 && kernels_for(isa)) return "";
    known += std::string(known.empty() ? "" : ", ") + isa_name(isa);
    if (kernels_for(isa)) runnable += std::string(runnable.empty() ? "" : ", ") + isa_name(isa);
  }
  for (Isa isa : kAllIsas)
    if (std::strcmp(forced, isa_name(isa)) == 0)
      return std::string("QUIVER_SIMD=") + forced + " cannot run on this machine (it runs " + runnable + ")";
  return std::string("QUIVER_SIMD=\"") + forced + "\" is not a kernel family (expected " + known +
         "; this machine runs " + runnable + ")";
}

const Kernels& active_kernels() {
  static const Kernels& chosen = choose_kernels();
  return chosen;
}

}  // namespace quiver
