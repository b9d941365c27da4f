// A quiver table with a mirror of its rows kept in the test, on seeded
// synthetic data, for the table-function suites (test_pairs.cpp,
// test_clusters.cpp): vector layouts, random and clustered points, the
// table's writes applied to both, and every pair's distance by the shared
// reference (reference.h).
#pragma once

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "db.h"
#include "reference.h"
#include "sql.h"

namespace quiver_test {

// ---- vectors ------------------------------------------------------------------------

enum class Kind { F32, I8, Bit };

struct Layout {
  Kind kind;
  const char* metric;  // as in CREATE VIRTUAL TABLE
  size_t dims;
  const char* name() const {
    static const char* names[] = {"float", "int8", "bit"};
    return names[static_cast<int>(kind)];
  }
  // Scores are exact integers: the brute force and the table agree exactly.
  bool integral() const { return kind == Kind::Bit || (kind == Kind::I8 && std::strcmp(metric, "cosine") != 0); }
  // The scalar SQL function for the table's distance.
  std::string sql_distance(const std::string& a, const std::string& b) const {
    std::string m = metric;
    if (m == "cosine") return "cosine_distance(" + a + ", " + b + ")";
    if (m == "l2") return "l2_distance(" + a + ", " + b + ")";
    if (m == "dot") return "-dot_product(" + a + ", " + b + ")";
    return "hamming_distance(" + a + ", " + b + ")";
  }
};

// The element type of a layout's vectors.
inline quiver::ElementType element_type(Kind kind) {
  return kind == Kind::F32 ? quiver::ElementType::Float32 : kind == Kind::I8 ? quiver::ElementType::Int8 : quiver::ElementType::Bit;
}

// The elements of a vector of the table's type (bits as 0/1), as the shared
// reference takes them.
inline std::vector<float> elements(const Layout& layout, const Bytes& v) {
  return quiver_test::elements(element_type(layout.kind), v.data(), layout.dims);
}

// The same in double, for centroid arithmetic.
inline std::vector<double> widen(const Layout& layout, const Bytes& v) {
  std::vector<float> f = elements(layout, v);
  return std::vector<double>(f.begin(), f.end());
}

inline Bytes encode(Kind kind, const std::vector<float>& v) {
  if (kind == Kind::F32) {
    Bytes b(v.size() * 4);
    std::memcpy(b.data(), v.data(), b.size());
    return b;
  }
  if (kind == Kind::I8) {
    Bytes b(v.size());
    for (size_t t = 0; t < v.size(); ++t)
      b[t] = static_cast<unsigned char>(static_cast<int8_t>(std::max(-127L, std::min(127L, std::lround(v[t] * 40)))));
    return b;
  }
  Bytes b((v.size() + 7) / 8, 0);
  for (size_t t = 0; t < v.size(); ++t)
    if (v[t] > 0) b[t / 8] |= static_cast<unsigned char>(1u << (t % 8));
  return b;
}

// Points: N(0, 1) per coordinate ("random"), or around `centres` centres
// drawn N(0, 1), at N(0, sigma) from their centre ("clustered").
struct Source {
  size_t dims;
  std::vector<std::vector<float>> centres;  // none: random
  float sigma = 1;

  static Source random(size_t dims) { return Source{dims, {}, 1}; }
  static Source clustered(std::mt19937& rng, size_t dims, size_t count, float sigma) {
    Source s{dims, std::vector<std::vector<float>>(count, std::vector<float>(dims)), sigma};
    std::normal_distribution<float> g(0, 1);
    for (auto& c : s.centres)
      for (float& x : c) x = g(rng);
    return s;
  }
  std::vector<float> point(std::mt19937& rng) const {
    std::normal_distribution<float> g(0, sigma);
    std::vector<float> v(dims);
    const std::vector<float>* c = centres.empty() ? nullptr : &centres[rng() % centres.size()];
    for (size_t t = 0; t < dims; ++t) v[t] = (c ? (*c)[t] : 0.0f) + g(rng);
    return v;
  }
};

// ---- a quiver table and a mirror of its rows ---------------------------------------

using PairKey = std::pair<int64_t, int64_t>;
using PairSet = std::map<PairKey, double>;  // (a, b) -> distance

struct PairDistance {
  int64_t a, b;
  double distance;
};

struct Entry {
  Bytes vector;
  std::string tag;
};

class Table {
 public:
  // A quiver table `name` (embedding, tag text); `options` such as
  // "index=ivf, lists=8".
  Table(const Db& db, std::string name, Layout layout, const std::string& options = "")
      : db_(db), name_(std::move(name)), layout_(layout) {
    db.exec("CREATE VIRTUAL TABLE " + name_ + " USING quiver(embedding " + layout.name() + "[" +
            std::to_string(layout.dims) + "] distance=" + layout.metric + ", tag text" +
            (options.empty() ? "" : ", " + options) + ")");
  }
  const std::string& name() const { return name_; }
  const Layout& layout() const { return layout_; }
  const std::map<int64_t, Entry>& rows() const { return rows_; }

  // Rows with rowids first, first + step, ...; tags cycle through "t0".."t3".
  void fill(std::mt19937& rng, const Source& source, int64_t first, int64_t count, int64_t step = 1) {
    db_.exec("BEGIN");
    for (int64_t i = 0; i < count; ++i) {
      int64_t id = first + i * step;
      put(id, Entry{encode(layout_.kind, source.point(rng)), "t" + std::to_string(id % 4)});
    }
    db_.exec("COMMIT");
  }
  void put(int64_t id, const Entry& e) {
    all_.clear();
    db_.exec("INSERT OR REPLACE INTO " + name_ + "(rowid, embedding, tag) VALUES (?1, ?2, ?3)",
             {Value::integer(id), Value::blob(e.vector), Value::text(e.tag)});
    rows_[id] = e;
  }
  void remove(int64_t id) {
    all_.clear();
    db_.exec("DELETE FROM " + name_ + " WHERE rowid = ?1", {Value::integer(id)});
    rows_.erase(id);
  }
  void set_vector(int64_t id, const Bytes& v) {
    all_.clear();
    db_.exec("UPDATE " + name_ + " SET embedding = ?2 WHERE rowid = ?1", {Value::integer(id), Value::blob(v)});
    rows_[id].vector = v;
  }
  void rebuild() const { db_.exec("INSERT INTO " + name_ + "(" + name_ + ") VALUES ('rebuild')"); }
  void check() const {
    db_.exec("INSERT INTO " + name_ + "(" + name_ + ") VALUES ('integrity-check')");
    REQUIRE(db_.integer("SELECT count(*) FROM " + name_) == static_cast<int64_t>(rows_.size()));
  }

  // Every pair (a < b) within the bound, by brute force over the mirror.
  PairSet brute(double bound, const std::function<bool(const Entry&, const Entry&)>& pass = nullptr) const {
    PairSet out;
    for (const PairDistance& p : all_pairs())
      if (p.distance <= bound && (!pass || pass(rows_.at(p.a), rows_.at(p.b)))) out[{p.a, p.b}] = p.distance;
    return out;
  }
  std::vector<double> all_distances() const {
    std::vector<double> out;
    for (const PairDistance& p : all_pairs()) out.push_back(p.distance);
    return out;
  }
  // Every pair of rows with its distance, computed once per state.
  const std::vector<PairDistance>& all_pairs() const {
    if (!all_.empty() || rows_.size() < 2) return all_;
    std::vector<int64_t> ids;
    std::vector<std::vector<float>> wide;
    for (const auto& r : rows_) {
      ids.push_back(r.first);
      wide.push_back(elements(layout_, r.second.vector));
    }
    Metric metric = metric_named(layout_.metric);
    all_.reserve(ids.size() * (ids.size() - 1) / 2);
    for (size_t i = 0; i < ids.size(); ++i)
      for (size_t j = i + 1; j < ids.size(); ++j) all_.push_back({ids[i], ids[j], reference_distance(metric, wide[i], wide[j])});
    return all_;
  }

 private:
  const Db& db_;
  std::string name_;
  Layout layout_;
  std::map<int64_t, Entry> rows_;
  mutable std::vector<PairDistance> all_;
};


inline std::string describe(const Layout& l) { return std::string(l.name()) + "[" + std::to_string(l.dims) + "] " + l.metric; }

inline double l2sq(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t t = 0; t < a.size(); ++t) s += (a[t] - b[t]) * (a[t] - b[t]);
  return s;
}

// A float32 vector blob as doubles.
inline std::vector<double> centroid_of(const Value& v) {
  std::vector<double> out(v.s.size() / 4);
  for (size_t t = 0; t < out.size(); ++t) {
    float f;
    std::memcpy(&f, v.s.data() + 4 * t, 4);
    out[t] = f;
  }
  return out;
}

}  // namespace quiver_test
