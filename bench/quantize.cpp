// Quantized scans against the exact float32 scan, in one process, on the
// vectors of an ordinary table (GloVe: 341,479 x 100, cmake/glove-db.sh).
//
// The rows are held in memory as a quantized table holds them: chunks of
// --chunk rows prepared for scanning (core/block.h), and for each chunk its
// int8 or bit codes (core/code_block.h). --queries rows drawn with a fixed
// seed are held out as queries. For each query, one thread:
//
//   float32   the exact scan (core/scan.h), the ground truth and the baseline
//   int8 R    the two-stage scan (core/quantized_scan.h): R * k candidates by
//             int8 code, re-ranked exactly; R = 0 is its exact mode
//   bit R     the same with bit codes
//
// Reported per configuration: queries/s (the median of --passes passes over
// all queries, configurations taking turns within each pass), the ratio to
// float32's, and recall@k against the exact scan (ties broken by rowid, as
// the scans break them). A second table compares int8 training ranges,
// min/max against per-dimension quantiles, by recall at small R. Every
// reported distance is checked against the exact scan's for the same row.
//
//   quiver_bench_quantize --db FILE [--table words] [--column embedding]
//       [--metric cosine|dot|l2] [--queries 200] [--k 10] [--passes 3]
//       [--chunk 640] [--sample 65536]
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "block.h"
#include "code_block.h"
#include "kernels.h"
#include "quantize.h"
#include "quantized_scan.h"
#include "scan.h"

using namespace quiver;

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "quiver_bench_quantize: %s\n", message.c_str());
  std::exit(1);
}

struct Rows {
  std::vector<int64_t> rowids;
  std::vector<float> values;
  size_t dims = 0;
};

Rows load(sqlite3* db, const std::string& table, const std::string& column) {
  std::string sql = "SELECT rowid, \"" + column + "\" FROM \"" + table + "\" ORDER BY rowid";
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) die(sqlite3_errmsg(db));
  Rows out;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    size_t n = static_cast<size_t>(sqlite3_column_bytes(stmt, 1));
    if (out.dims == 0) {
      if (n == 0 || n % 4) die(table + ": first row is not a float32 blob");
      out.dims = n / 4;
    }
    if (n != out.dims * 4) die(table + ": rows of different sizes");
    size_t at = out.values.size();
    out.values.resize(at + out.dims);
    std::memcpy(out.values.data() + at, sqlite3_column_blob(stmt, 1), n);
    out.rowids.push_back(sqlite3_column_int64(stmt, 0));
  }
  if (rc != SQLITE_DONE) die(sqlite3_errmsg(db));
  sqlite3_finalize(stmt);
  return out;
}

struct Chunk {
  Block block;
  CodeBlock codes;
};

Metric parse_metric(const std::string& s) {
  if (s == "cosine") return Metric::Cosine;
  if (s == "dot") return Metric::Dot;
  if (s == "l2") return Metric::L2;
  die("unknown metric " + s);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string db_path, table = "words", column = "embedding", metric_name_arg = "cosine";
  size_t queries = 200, k = 10, chunk_rows = 640, sample_rows = 65536;
  int passes = 3;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value after " + a);
      return argv[++i];
    };
    if (a == "--db") db_path = next();
    else if (a == "--table") table = next();
    else if (a == "--column") column = next();
    else if (a == "--metric") metric_name_arg = next();
    else if (a == "--queries") queries = std::strtoul(next().c_str(), nullptr, 10);
    else if (a == "--k") k = std::strtoul(next().c_str(), nullptr, 10);
    else if (a == "--passes") passes = std::atoi(next().c_str());
    else if (a == "--chunk") chunk_rows = std::strtoul(next().c_str(), nullptr, 10);
    else if (a == "--sample") sample_rows = std::strtoul(next().c_str(), nullptr, 10);
    else die("unknown argument " + a);
  }
  if (db_path.empty()) die("usage: quiver_bench_quantize --db FILE [options, see bench/quantize.cpp]");
  if (queries < 1 || k < 1 || passes < 1 || chunk_rows < 1) die("bad --queries, --k, --passes or --chunk");
  Metric metric = parse_metric(metric_name_arg);

  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) die("cannot open " + db_path);
  Rows all = load(db, table, column);
  sqlite3_close(db);
  size_t dims = all.dims, total = all.rowids.size();
  if (total <= queries) die(table + " has too few rows");

  // Held-out queries; the rest is the table.
  std::mt19937 rng(20240611);
  std::vector<size_t> order(total);
  for (size_t i = 0; i < total; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::set<size_t> held(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(queries));
  std::vector<float> query_values, base_values;
  std::vector<int64_t> base_rowids;
  for (size_t i = 0; i < total; ++i) {
    const float* v = all.values.data() + i * dims;
    if (held.count(i)) {
      query_values.insert(query_values.end(), v, v + dims);
    } else {
      base_values.insert(base_values.end(), v, v + dims);
      base_rowids.push_back(all.rowids[i]);
    }
  }
  std::vector<float>().swap(all.values);
  size_t rows = base_rowids.size();

  // Training samples: evenly spaced rows of the table.
  size_t step = std::max<size_t>(1, rows / sample_rows);
  std::vector<float> sample;
  for (size_t i = 0; i < rows; i += step)
    sample.insert(sample.end(), base_values.begin() + static_cast<std::ptrdiff_t>(i * dims),
                  base_values.begin() + static_cast<std::ptrdiff_t>((i + 1) * dims));
  size_t sampled = sample.size() / dims;

  const Kernels& kernels = active_kernels();
  auto make_chunks = [&](const Quantizer* q) {
    std::vector<Chunk> chunks;
    for (size_t first = 0; first < rows; first += chunk_rows) {
      size_t n = std::min(chunk_rows, rows - first);
      const unsigned char* src = reinterpret_cast<const unsigned char*>(base_values.data() + first * dims);
      Chunk c;
      prepare_block(ElementType::Float32, static_cast<uint32_t>(dims), metric, src, base_rowids.data() + first,
                    static_cast<int64_t>(n), &c.block);
      if (q) prepare_code_block(*q, ElementType::Float32, src, static_cast<int64_t>(n), &c.codes);
      chunks.push_back(std::move(c));
    }
    return chunks;
  };

  Quantizer int8 = train_quantizer(Quantization::Int8, metric, static_cast<uint32_t>(dims), sample.data(), sampled);
  std::vector<Chunk> int8_chunks = make_chunks(&int8);
  std::vector<Chunk> bit_chunks;
  Quantizer bit;
  if (metric != Metric::L2) {
    bit = train_quantizer(Quantization::Bit, metric, static_cast<uint32_t>(dims), sample.data(), sampled);
    bit_chunks = make_chunks(&bit);
  }
  std::printf("rows %zu\ndims %zu\nqueries %zu\nk %zu\nmetric %s\nkernels %s\nchunk_rows %zu\ntrain_sample %zu\n",
              rows, dims, queries, k, metric_name(metric), kernels.name, chunk_rows, sampled);

  auto query_view = [&](size_t qi) {
    return VectorView{ElementType::Float32, static_cast<uint32_t>(dims), query_values.data() + qi * dims};
  };
  auto exact_scan = [&](size_t qi) {
    VectorView q = query_view(qi);
    Scorer scorer(metric, q, kernels, query_norm2(q));
    TopK top(k, HUGE_VAL, false, nullptr);
    ScanScratch scratch;
    for (const Chunk& c : int8_chunks) scan_block(scorer, c.block, nullptr, &scratch, &top);
    return top.take_sorted();
  };
  auto two_stage = [&](const Quantizer& quant, const std::vector<Chunk>& chunks, size_t rescore, size_t qi) {
    VectorView q = query_view(qi);
    Scorer scorer(metric, q, kernels, query_norm2(q));
    CodeScorer codes(quant, q, kernels);
    RescoreTopK top(k, rescore, HUGE_VAL, false, nullptr);
    RescoreScratch scratch;
    for (size_t i = 0; i < chunks.size(); ++i)
      scan_quantized_block(codes, scorer, chunks[i].codes, chunks[i].block, i, nullptr, &scratch, &top);
    rescore_all(scorer, &top, &scratch, [&](size_t i) -> const Block& { return chunks[i].block; });
    return top.take_sorted();
  };

  std::vector<std::vector<Hit>> truth(queries);
  for (size_t qi = 0; qi < queries; ++qi) truth[qi] = exact_scan(qi);

  struct Config {
    std::string name;
    size_t rescore;
    std::function<std::vector<Hit>(size_t)> run;
    std::vector<double> pass_seconds;
    double recall = 0;
    bool exact_distances = true;
  };
  std::vector<Config> configs;
  configs.push_back({"float32", 0, exact_scan, {}});
  const size_t rescores[] = {1, 2, 4, 8, 16};
  for (size_t r : rescores)
    configs.push_back({"int8", r, [&, r](size_t qi) { return two_stage(int8, int8_chunks, r, qi); }, {}});
  configs.push_back({"int8", 0, [&](size_t qi) { return two_stage(int8, int8_chunks, 0, qi); }, {}});
  if (!bit_chunks.empty())
    for (size_t r : {size_t{2}, size_t{4}, size_t{8}, size_t{16}, size_t{32}, size_t{64}})
      configs.push_back({"bit", r, [&, r](size_t qi) { return two_stage(bit, bit_chunks, r, qi); }, {}});

  // Recall and exact distances, untimed.
  for (Config& c : configs) {
    size_t found = 0;
    for (size_t qi = 0; qi < queries; ++qi) {
      std::vector<Hit> hits = c.run(qi);
      std::unordered_map<int64_t, double> exact;
      for (const Hit& h : truth[qi]) exact[h.rowid] = h.score;
      for (const Hit& h : hits) {
        auto it = exact.find(h.rowid);
        if (it != exact.end()) {
          ++found;
          if (it->second != h.score) c.exact_distances = false;
        }
      }
    }
    c.recall = static_cast<double>(found) / static_cast<double>(queries * k);
  }
  volatile double sink = 0;
  for (int p = 0; p < passes; ++p)
    for (Config& c : configs) {
      auto t0 = Clock::now();
      for (size_t qi = 0; qi < queries; ++qi) sink = sink + c.run(qi).size();
      c.pass_seconds.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
  double base_qps = static_cast<double>(queries) / median(configs[0].pass_seconds);
  std::printf("\n| scan | rescore | queries/s | vs float32 | recall@%zu | distances |\n|---|--:|--:|--:|--:|---|\n", k);
  for (const Config& c : configs) {
    double qps = static_cast<double>(queries) / median(c.pass_seconds);
    std::string r = c.name == "float32" ? "-" : c.rescore == 0 ? "exact" : std::to_string(c.rescore);
    std::printf("| %s | %s | %.1f | %.2fx | %.4f | %s |\n", c.name.c_str(), r.c_str(), qps, qps / base_qps, c.recall,
                c.exact_distances ? "exact" : "DIFFER");
  }

  // int8 training ranges: min/max against quantiles, recall only.
  std::printf("\n| int8 range | recall@%zu R=1 | R=2 | R=4 |\n|---|--:|--:|--:|\n", k);
  for (double clip : {0.0, 1e-4, 1e-3, 1e-2}) {
    Quantizer q = train_quantizer(Quantization::Int8, metric, static_cast<uint32_t>(dims), sample.data(), sampled, clip);
    std::vector<Chunk> chunks = make_chunks(&q);
    std::printf("| %s |", clip == 0 ? "min/max" : ("quantiles " + std::to_string(clip)).c_str());
    for (size_t r : {size_t{1}, size_t{2}, size_t{4}}) {
      size_t found = 0;
      for (size_t qi = 0; qi < queries; ++qi) {
        std::set<int64_t> want;
        for (const Hit& h : truth[qi]) want.insert(h.rowid);
        for (const Hit& h : two_stage(q, chunks, r, qi)) found += want.count(h.rowid);
      }
      std::printf(" %.4f |", static_cast<double>(found) / static_cast<double>(queries * k));
    }
    std::printf("\n");
  }
  return 0;
}
