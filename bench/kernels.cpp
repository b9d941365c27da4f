// In-cache throughput of the distance kernels, per kernel family.
//
// For every kernel family this CPU runs (the scalar reference included), every
// d in {100, 384, 768, 1536} and every kernel, the benchmark calls the kernel
// over a small working set of vector pairs many times and reports, over
// several trials, the median time per call, the input bandwidth (bytes of both
// vectors per call / time) and the speedup over the scalar reference for the
// same kernel and d. The working set is ~24 KiB by default (at least two
// pairs), so it stays in a 32 KiB L1 data cache; --working-set 512 measures
// from L2 instead.
//
// Trials of the families are interleaved (trial 1 of every family, then
// trial 2, ...) so that a slow spell of a shared machine hits all of them
// alike and the ratios stay fair.
//
//   quiver_bench_kernels [--csv FILE] [--trials N] [--trial-ms MS] [--working-set KIB] [--isa NAME]...
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "half.h"
#include "kernels.h"

namespace {

using quiver::DistanceKernel;
using quiver::Isa;
using quiver::Kernels;
using Clock = std::chrono::steady_clock;

volatile double g_sink;  // every result ends up here, so no call is dead code

enum class Elem { F32, F16, BF16, I8, Bit };

struct KernelSpec {
  const char* name;
  Elem elem;
  DistanceKernel Kernels::*member;
};

const KernelSpec kKernels[] = {
    {"f32_dot", Elem::F32, &Kernels::f32_dot},
    {"f32_cosine", Elem::F32, &Kernels::f32_cosine},
    {"f32_l2sq", Elem::F32, &Kernels::f32_l2sq},
    {"f16_dot", Elem::F16, &Kernels::f16_dot},
    {"f16_cosine", Elem::F16, &Kernels::f16_cosine},
    {"f16_l2sq", Elem::F16, &Kernels::f16_l2sq},
    {"bf16_dot", Elem::BF16, &Kernels::bf16_dot},
    {"bf16_cosine", Elem::BF16, &Kernels::bf16_cosine},
    {"bf16_l2sq", Elem::BF16, &Kernels::bf16_l2sq},
    {"i8_dot", Elem::I8, &Kernels::i8_dot},
    {"i8_cosine", Elem::I8, &Kernels::i8_cosine},
    {"i8_l2sq", Elem::I8, &Kernels::i8_l2sq},
    {"bit_hamming", Elem::Bit, &Kernels::bit_hamming},
};

const size_t kDims[] = {100, 384, 768, 1536};

// The kernels' n: elements for f32 and int8, bytes for bit vectors (d bits,
// rounded up to whole bytes: d = 100 is measured as 13 bytes = 104 bits).
size_t kernel_n(Elem e, size_t d) { return e == Elem::Bit ? (d + 7) / 8 : d; }
size_t vector_bytes(Elem e, size_t d) {
  return e == Elem::F32 ? 4 * d : e == Elem::F16 || e == Elem::BF16 ? 2 * d : kernel_n(e, d);
}

// A working set of `pairs` vector pairs, each vector 64-byte aligned.
struct WorkingSet {
  size_t n = 0, stride = 0, pairs = 0;
  std::vector<unsigned char> storage;
  unsigned char* base = nullptr;
  const void* a(size_t p) const { return base + (2 * p) * stride; }
  const void* b(size_t p) const { return base + (2 * p + 1) * stride; }
};

WorkingSet make_working_set(Elem e, size_t d, size_t working_set_bytes, uint32_t seed) {
  WorkingSet ws;
  ws.n = kernel_n(e, d);
  size_t bytes = vector_bytes(e, d);
  ws.stride = (bytes + 63) / 64 * 64;
  ws.pairs = std::clamp<size_t>(working_set_bytes / (2 * ws.stride), 2, 64);
  ws.storage.resize(2 * ws.pairs * ws.stride + 64);
  ws.base = ws.storage.data() + (64 - reinterpret_cast<uintptr_t>(ws.storage.data()) % 64) % 64;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::uniform_int_distribution<int> i8(-127, 127);
  std::uniform_int_distribution<int> byte(0, 255);
  for (size_t v = 0; v < 2 * ws.pairs; ++v) {
    unsigned char* p = ws.base + v * ws.stride;
    for (size_t i = 0; i < ws.n; ++i) {
      switch (e) {
        case Elem::F32: {
          float x = unit(rng);
          std::memcpy(p + 4 * i, &x, 4);
          break;
        }
        case Elem::F16:
        case Elem::BF16: {
          uint16_t h = e == Elem::F16 ? quiver::f32_to_f16(unit(rng)) : quiver::f32_to_bf16(unit(rng));
          std::memcpy(p + 2 * i, &h, 2);
          break;
        }
        case Elem::I8: p[i] = static_cast<unsigned char>(static_cast<int8_t>(i8(rng))); break;
        case Elem::Bit: p[i] = static_cast<unsigned char>(byte(rng)); break;
      }
    }
  }
  return ws;
}

// One timed run: `reps` passes over the working set. Returns seconds.
double run(DistanceKernel k, const WorkingSet& ws, size_t reps) {
  double acc = 0;
  auto t0 = Clock::now();
  for (size_t r = 0; r < reps; ++r)
    for (size_t p = 0; p < ws.pairs; ++p) acc += k(ws.a(p), ws.b(p), ws.n);
  auto t1 = Clock::now();
  g_sink = g_sink + acc;
  return std::chrono::duration<double>(t1 - t0).count();
}

// Passes over the working set that take about `target` seconds.
size_t calibrate(DistanceKernel k, const WorkingSet& ws, double target) {
  run(k, ws, 1);  // warm the caches and the branch predictors
  size_t reps = 1;
  for (;;) {
    double t = run(k, ws, reps);
    if (t >= target / 8 || reps >= (size_t{1} << 30)) {
      double scaled = reps * target / std::max(t, 1e-9);
      return std::max<size_t>(1, static_cast<size_t>(scaled));
    }
    reps *= 2;
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  for (const char* key : {"model name", "Hardware", "CPU part"}) {
    in.clear();
    in.seekg(0);
    while (std::getline(in, line)) {
      if (line.compare(0, std::strlen(key), key) != 0) continue;
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      size_t start = line.find_first_not_of(" \t", colon + 1);
      return start == std::string::npos ? std::string() : line.substr(start);
    }
  }
  return "unknown";
}

struct Result {
  Isa isa;
  const KernelSpec* kernel;
  size_t d;
  size_t bytes_per_call;
  size_t pairs;
  size_t reps;
  double median_ns, min_ns, max_ns;
  double gbps;
  double speedup;  // scalar median / this median, same kernel and d
  bool agrees;     // results match the scalar reference on the working set
};

// SIMD sums may be ordered differently from the reference's double sums.
bool agrees_with_reference(DistanceKernel k, DistanceKernel ref, const WorkingSet& ws, Elem e) {
  for (size_t p = 0; p < ws.pairs; ++p) {
    double x = k(ws.a(p), ws.b(p), ws.n), y = ref(ws.a(p), ws.b(p), ws.n);
    double tol = e == Elem::F32 || e == Elem::F16 || e == Elem::BF16 ? 1e-4 * (1 + std::fabs(y)) : 1e-9 * (1 + std::fabs(y));
    if (!(std::fabs(x - y) <= tol)) return false;
  }
  return true;
}

void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--csv FILE] [--trials N] [--trial-ms MS] [--working-set KIB] [--isa NAME]...\n"
               "  --csv FILE    CSV output (default kernels.csv)\n"
               "  --trials N    trials per measurement, median reported (default 11, at least 7)\n"
               "  --trial-ms MS target duration of one trial (default 8)\n"
               "  --working-set KIB  bytes of vector pairs cycled through (default 24, at least 2 pairs)\n"
               "  --isa NAME    measure only this family (repeatable; scalar is always measured)\n",
               argv0);
}

}  // namespace

int main(int argc, char** argv) {
  std::string csv_path = "kernels.csv";
  int trials = 11;
  double trial_ms = 8;
  size_t working_set_kib = 24;
  std::vector<std::string> only;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--csv" && has_value) {
      csv_path = argv[++i];
    } else if (arg == "--trials" && has_value) {
      trials = std::atoi(argv[++i]);
    } else if (arg == "--trial-ms" && has_value) {
      trial_ms = std::atof(argv[++i]);
    } else if (arg == "--working-set" && has_value) {
      working_set_kib = static_cast<size_t>(std::atol(argv[++i]));
    } else if (arg == "--isa" && has_value) {
      only.push_back(argv[++i]);
    } else {
      usage(argv[0]);
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  if (trials < 7 || trial_ms <= 0) {
    std::fprintf(stderr, "quiver_bench_kernels: need --trials >= 7 and --trial-ms > 0\n");
    return 2;
  }

  // The families to measure: scalar first (the reference), then the rest.
  std::vector<Isa> isas;
  std::string runnable;
  for (Isa isa : quiver::kAllIsas) {
    if (!quiver::kernels_for(isa)) continue;
    runnable += std::string(runnable.empty() ? "" : ", ") + quiver::isa_name(isa);
    bool wanted = isa == Isa::Scalar || only.empty() ||
                  std::find(only.begin(), only.end(), quiver::isa_name(isa)) != only.end();
    if (wanted) isas.push_back(isa);
  }

  for (const std::string& name : only) {
    bool known = false;
    for (Isa isa : isas) known = known || name == quiver::isa_name(isa);
    if (!known) std::fprintf(stderr, "quiver_bench_kernels: --isa %s: not runnable here, skipped\n", name.c_str());
  }

  const char* forced = std::getenv("QUIVER_SIMD");
  std::printf("Quiver kernel benchmark (in cache)\n");
  std::printf("  cpu:             %s\n", cpu_model().c_str());
  std::printf("  cores:           %u\n", std::thread::hardware_concurrency());
  std::string active = quiver::active_kernels().name;
  if (forced) active += std::string(" (QUIVER_SIMD=") + forced + ")";
  std::printf("  active kernels:  %s\n", active.c_str());
  std::printf("  runnable:        %s\n", runnable.c_str());
#if defined(__VERSION__)
  std::printf("  compiler:        %s\n", __VERSION__);
#endif
  std::printf("  method:          ~%zu KiB working set of vector pairs, median of %d trials of ~%g ms\n\n",
              working_set_kib, trials, trial_ms);

  std::vector<Result> results;
  auto started = Clock::now();
  for (const KernelSpec& ks : kKernels) {
    for (size_t d : kDims) {
      uint32_t seed = static_cast<uint32_t>(1000 * d + (&ks - kKernels));
      WorkingSet ws = make_working_set(ks.elem, d, working_set_kib * 1024, seed);
      DistanceKernel ref = quiver::scalar_kernels().*ks.member;
      std::vector<DistanceKernel> fns;
      std::vector<size_t> reps;
      for (Isa isa : isas) {
        DistanceKernel k = quiver::kernels_for(isa)->*ks.member;
        fns.push_back(k);
        reps.push_back(calibrate(k, ws, trial_ms / 1e3));
      }
      std::vector<std::vector<double>> ns(isas.size());
      for (int t = 0; t < trials; ++t)
        for (size_t j = 0; j < isas.size(); ++j)
          ns[j].push_back(run(fns[j], ws, reps[j]) * 1e9 / (double(reps[j]) * ws.pairs));
      double scalar_ns = median(ns[0]);
      for (size_t j = 0; j < isas.size(); ++j) {
        Result r;
        r.isa = isas[j];
        r.kernel = &ks;
        r.d = d;
        r.bytes_per_call = 2 * vector_bytes(ks.elem, d);
        r.pairs = ws.pairs;
        r.reps = reps[j];
        r.median_ns = median(ns[j]);
        r.min_ns = *std::min_element(ns[j].begin(), ns[j].end());
        r.max_ns = *std::max_element(ns[j].begin(), ns[j].end());
        r.gbps = r.bytes_per_call / r.median_ns;  // bytes per ns = GB/s
        r.speedup = scalar_ns / r.median_ns;
        r.agrees = agrees_with_reference(fns[j], ref, ws, ks.elem);
        results.push_back(r);
      }
    }
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - started).count();

  // One table per kernel: rows d, a column group per family.
  bool all_agree = true;
  for (const KernelSpec& ks : kKernels) {
    std::printf("%s%s\n", ks.name, ks.elem == Elem::Bit ? " (d bits, rounded up to whole bytes)" : "");
    std::printf("  %5s %7s", "d", "bytes");
    for (Isa isa : isas) std::printf(" | %-26s", quiver::isa_name(isa));
    std::printf("\n  %5s %7s", "", "");
    for (size_t j = 0; j < isas.size(); ++j) std::printf(" | %8s %8s %7s", "ns/call", "GB/s", "x scal");
    std::printf("\n");
    for (size_t d : kDims) {
      bool first = true;
      for (const Result& r : results) {
        if (r.kernel != &ks || r.d != d) continue;
        if (first) std::printf("  %5zu %7zu", d, r.bytes_per_call);
        first = false;
        std::printf(" | %8.1f %8.2f %6.2fx%s", r.median_ns, r.gbps, r.speedup, r.agrees ? "" : "!");
        all_agree = all_agree && r.agrees;
      }
      std::printf("\n");
    }
    std::printf("\n");
  }
  if (!all_agree) std::printf("! marks a family whose results differ from the scalar reference\n\n");

  // The project's goal: AVX2 at least 4x the scalar reference at d = 384.
  bool have_avx2 = false, goal_met = true;
  for (const Result& r : results) {
    if (r.isa != Isa::Avx2 || r.d != 384) continue;
    if (!have_avx2) std::printf("goal: avx2 >= 4x scalar at d = 384\n");
    have_avx2 = true;
    std::printf("  %-12s %6.2fx  %s\n", r.kernel->name, r.speedup, r.speedup >= 4 ? "met" : "NOT met");
    goal_met = goal_met && r.speedup >= 4;
  }
  if (have_avx2) std::printf("  overall: %s\n\n", goal_met ? "met" : "NOT met");

  std::FILE* csv = std::fopen(csv_path.c_str(), "w");
  if (!csv) {
    std::fprintf(stderr, "quiver_bench_kernels: cannot write %s\n", csv_path.c_str());
    return 1;
  }
  std::fprintf(csv,
               "isa,kernel,d,bytes_per_call,pairs,reps_per_trial,trials,median_ns,min_ns,max_ns,gb_per_s,"
               "speedup_vs_scalar,agrees_with_scalar\n");
  for (const Result& r : results)
    std::fprintf(csv, "%s,%s,%zu,%zu,%zu,%zu,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%d\n", quiver::isa_name(r.isa),
                 r.kernel->name, r.d, r.bytes_per_call, r.pairs, r.reps, trials, r.median_ns, r.min_ns, r.max_ns,
                 r.gbps, r.speedup, r.agrees ? 1 : 0);
  std::fclose(csv);
  std::printf("measured in %.1f s; wrote %s\n", elapsed, csv_path.c_str());
  return all_agree ? 0 : 1;
}
