// The floor under an exact scan of float32 vectors held in RAM.
//
// Loads every vector of an ordinary table (one float32 blob per row, all of
// the same size) into one contiguous array, then measures:
//
//   pass   one read of the whole array: Quiver's f32_dot kernel (x . x)
//          over it in pieces of 4,096 floats, so the loop is limited by
//          memory bandwidth, not by arithmetic. The figure is the least time
//          any exact scan of the array can take. (A plain C++ sum loop was
//          not: GCC vectorized it badly and it ran at the same speed from
//          L2 as from RAM.) The same pass over the first 512 KiB, which
//          stays in L2, is printed too: when it is much faster per byte, the full
//          pass is bound by memory.
//   scan   an exact cosine top-k over the array for one query, the least
//          arithmetic an exact scan needs: the vectors' inverse norms are
//          computed once at load (untimed), then per vector one call of
//          Quiver's f32_dot kernel (the family quiver_simd() reports), a
//          multiply, and a compare against the current k-th best; a small
//          sorted array keeps the k best. No SQLite, no chunks.
//
// Both are timed several times and reported as medians. The queries of the
// scan are the vectors of a second table (the benchmark's held-out queries),
// taken in rowid order.
//
//   quiver_bench_floor --db FILE [--table base] [--column embedding]
//                      [--queries TABLE] [--passes N] [--scans N] [--k N]
//
// Prints `key value` lines (times in ms); bench/knn.py reads them.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "kernels.h"

namespace {

using Clock = std::chrono::steady_clock;

volatile double g_sink;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "quiver_bench_floor: %s\n", message.c_str());
  std::exit(1);
}

// Rows of `table`.`column` in rowid order, as one array; *dims from the first row.
std::vector<float> load(sqlite3* db, const std::string& table, const std::string& column, size_t* dims,
                        std::vector<int64_t>* rowids) {
  std::string sql = "SELECT rowid, \"" + column + "\" FROM \"" + table + "\" ORDER BY rowid";
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) die(sqlite3_errmsg(db));
  std::vector<float> out;
  size_t bytes = 0;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    int n = sqlite3_column_bytes(stmt, 1);
    const void* blob = sqlite3_column_blob(stmt, 1);
    if (bytes == 0) {
      if (n <= 0 || n % 4 != 0) die(table + ": first row is not a float32 blob");
      bytes = static_cast<size_t>(n);
    }
    if (static_cast<size_t>(n) != bytes) die(table + ": rows of different sizes");
    size_t at = out.size();
    out.resize(at + bytes / 4);
    std::memcpy(out.data() + at, blob, bytes);
    if (rowids) rowids->push_back(sqlite3_column_int64(stmt, 0));
  }
  if (rc != SQLITE_DONE) die(sqlite3_errmsg(db));
  sqlite3_finalize(stmt);
  *dims = bytes / 4;
  return out;
}

// One read of x[0, n): the sum of x[i]^2, with the SIMD dot kernel.
double read_pass(const quiver::Kernels& kernels, const float* x, size_t n) {
  constexpr size_t kPiece = 4096;
  double s = 0;
  for (size_t i = 0; i < n; i += kPiece) {
    size_t m = std::min(kPiece, n - i);
    s += kernels.f32_dot(x + i, x + i, m);
  }
  return s;
}

// Median ms of `passes` read passes over x[0, n), after one untimed pass.
std::vector<double> time_passes(const quiver::Kernels& kernels, const float* x, size_t n, int passes) {
  g_sink = read_pass(kernels, x, n);
  std::vector<double> out;
  for (int p = 0; p < passes; ++p) {
    auto t0 = Clock::now();
    g_sink = g_sink + read_pass(kernels, x, n);
    out.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// The k best (distance, row) pairs seen so far, ascending; ties by row.
class Best {
 public:
  explicit Best(size_t k) : k_(k) { items_.reserve(k + 1); }
  float worst() const { return items_.size() < k_ ? std::numeric_limits<float>::infinity() : items_.back().first; }
  void offer(float d, size_t row) {
    if (items_.size() == k_ && !(d < items_.back().first)) return;
    auto at = std::upper_bound(items_.begin(), items_.end(), std::make_pair(d, row));
    items_.insert(at, std::make_pair(d, row));
    if (items_.size() > k_) items_.pop_back();
  }
  const std::vector<std::pair<float, size_t>>& items() const { return items_; }

 private:
  size_t k_;
  std::vector<std::pair<float, size_t>> items_;
};

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string db_path, table = "base", column = "embedding", queries_table;
  int passes = 21, scans = 50;
  size_t k = 10;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value after " + a);
      return argv[++i];
    };
    if (a == "--db") db_path = next();
    else if (a == "--table") table = next();
    else if (a == "--column") column = next();
    else if (a == "--queries") queries_table = next();
    else if (a == "--passes") passes = std::atoi(next().c_str());
    else if (a == "--scans") scans = std::atoi(next().c_str());
    else if (a == "--k") k = static_cast<size_t>(std::atoi(next().c_str()));
    else die("unknown argument " + a);
  }
  if (db_path.empty()) die("usage: quiver_bench_floor --db FILE [--table T] [--queries T] [--passes N] [--scans N]");
  if (passes < 1 || scans < 0 || k < 1) die("bad --passes, --scans or --k");

  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) die("cannot open " + db_path);
  size_t dims = 0;
  std::vector<int64_t> rowids;
  std::vector<float> data = load(db, table, column, &dims, &rowids);
  std::vector<float> queries;
  size_t qdims = 0;
  if (!queries_table.empty()) queries = load(db, queries_table, column, &qdims, nullptr);
  sqlite3_close(db);
  size_t rows = rowids.size();
  if (rows == 0) die(table + " is empty");
  if (!queries.empty() && qdims != dims) die("queries and rows differ in dimensions");
  size_t nq = queries.empty() ? 0 : queries.size() / dims;
  double mb = static_cast<double>(data.size()) * 4 / 1e6;

  const quiver::Kernels& kernels = quiver::active_kernels();
  std::printf("rows %zu\ndims %zu\nbytes %zu\nkernels %s\n", rows, dims, data.size() * 4, kernels.name);

  std::vector<double> pass_ms = time_passes(kernels, data.data(), data.size(), passes);
  double pass = median(pass_ms);
  std::printf("pass_ms %.4f\npass_min_ms %.4f\npass_gb_per_s %.2f\npasses %d\n", pass,
              *std::min_element(pass_ms.begin(), pass_ms.end()), mb / pass, passes);
  // The same over 512 KiB, repeated to take about as long as one full pass.
  size_t small = std::min(data.size(), size_t{1} << 17);
  int repeat = static_cast<int>(std::max<size_t>(1, data.size() / small));
  std::vector<double> small_ms;
  for (int p = 0; p < passes; ++p) {
    auto t0 = Clock::now();
    for (int r = 0; r < repeat; ++r) g_sink = g_sink + read_pass(kernels, data.data(), small);
    small_ms.push_back(ms_since(t0) / repeat);
  }
  std::printf("pass_cached_gb_per_s %.2f\n", static_cast<double>(small) * 4 / 1e6 / median(small_ms));

  if (nq > 0 && scans > 0) {
    std::vector<float> inv_norms(rows);
    for (size_t r = 0; r < rows; ++r) {
      double nn = kernels.f32_dot(data.data() + r * dims, data.data() + r * dims, dims);
      inv_norms[r] = nn > 0 ? static_cast<float>(1 / std::sqrt(nn)) : 0.0f;
    }
    std::vector<double> scan_ms;
    std::string first_top;
    for (int s = 0; s < scans; ++s) {
      const float* q = queries.data() + (static_cast<size_t>(s) % nq) * dims;
      auto t0 = Clock::now();
      double qq = kernels.f32_dot(q, q, dims);
      float inv_q = qq > 0 ? static_cast<float>(1 / std::sqrt(qq)) : 0.0f;
      Best best(k);
      const float* x = data.data();
      for (size_t r = 0; r < rows; ++r, x += dims) {
        float d = 1.0f - static_cast<float>(kernels.f32_dot(q, x, dims)) * inv_q * inv_norms[r];
        if (d < best.worst()) best.offer(d, r);
      }
      scan_ms.push_back(ms_since(t0));
      if (s == 0)
        for (const auto& item : best.items())
          first_top += (first_top.empty() ? "" : ",") + std::to_string(rowids[item.second]);
    }
    double scan = median(scan_ms);
    std::printf("scan_ms %.4f\nscan_min_ms %.4f\nscan_gb_per_s %.2f\nscans %d\nscan_top0 %s\n", scan,
                *std::min_element(scan_ms.begin(), scan_ms.end()), mb / scan, scans, first_top.c_str());
  }
  return 0;
}
