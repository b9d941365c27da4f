// The SQL functions on float16 and bfloat16 vectors: byte-exact blobs
// against the scalar conversions (ext/core/half.h), subtypes, JSON round trips of
// every value, distances against brute force in double on the widened
// values, and the pinned error messages. Tagged [functions], so ctest runs
// them again under each forced kernel family.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "half.h"
#include "support/db.h"
#include "support/sql.h"

namespace {

using quiver_test::Result;
using quiver_test::Value;

struct Type {
  const char* name;      // vector_type()
  const char* function;  // the constructor
  int subtype;
  uint16_t (*narrow)(float);
  float (*widen)(uint16_t);
};
const Type kF16{"float16", "vector_f16", 226, quiver::f32_to_f16, quiver::f16_to_f32};
const Type kBF16{"bfloat16", "vector_bf16", 227, quiver::f32_to_bf16, quiver::bf16_to_f32};

std::string json_of(const std::vector<float>& v) {
  std::string s = "[";
  char buf[32];
  for (size_t i = 0; i < v.size(); ++i) {
    auto r = std::to_chars(buf, buf + sizeof buf, v[i]);
    s += (i ? "," : "") + std::string(buf, r.ptr);
  }
  return s + "]";
}

std::string bytes_of(const std::vector<uint16_t>& h) {
  return std::string(reinterpret_cast<const char*>(h.data()), 2 * h.size());
}
std::string bytes_of(const std::vector<float>& f) {
  return std::string(reinterpret_cast<const char*>(f.data()), 4 * f.size());
}

std::vector<uint16_t> narrowed(const Type& t, const std::vector<float>& v) {
  std::vector<uint16_t> out;
  for (float x : v) out.push_back(t.narrow(x));
  return out;
}
std::vector<float> widened(const Type& t, const std::vector<uint16_t>& h) {
  std::vector<float> out;
  for (uint16_t x : h) out.push_back(t.widen(x));
  return out;
}

std::vector<float> random_floats(std::mt19937& rng, size_t n) {
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

class Db : public quiver_test::Db {
 public:
  Value one(const std::string& sql, const std::vector<Value>& params = {}) const {
    Result r = run(sql, params);
    INFO("sql: " << sql << "\nerror: " << r.error);
    REQUIRE(r.ok());
    REQUIRE(r.rows.size() == 1);
    return r.rows[0][0];
  }
  std::string blob(const std::string& sql, const std::vector<Value>& params = {}) const {
    Value v = one(sql, params);
    REQUIRE(v.type == SQLITE_BLOB);
    return v.s;
  }
  double real(const std::string& sql, const std::vector<Value>& params = {}) const {
    Value v = one(sql, params);
    REQUIRE(v.type == SQLITE_FLOAT);
    return v.d;
  }
};

}  // namespace

TEST_CASE("vector_f16 and vector_bf16 are registered like the other constructors", "[functions][half]") {
  Db db;
  for (const Type* t : {&kF16, &kBF16}) {
    Result r = db.run("SELECT flags FROM pragma_function_list WHERE name = ? AND narg = 1",
                      {Value::text(t->function)});
    REQUIRE(r.ok());
    REQUIRE(r.rows.size() == 1);
    int64_t flags = r.rows[0][0].i;
    CHECK((flags & SQLITE_DETERMINISTIC) != 0);
    CHECK((flags & SQLITE_INNOCUOUS) != 0);
    CHECK((flags & SQLITE_SUBTYPE) != 0);
  }
}

TEST_CASE("vector_f16 and vector_bf16 round JSON and float32 vectors to nearest even, byte for byte",
          "[functions][half]") {
  Db db;
  std::mt19937 rng(226);
  for (const Type* t : {&kF16, &kBF16}) {
    INFO(t->name);
    for (size_t n : {1u, 3u, 8u, 17u, 100u, 384u}) {
      std::vector<float> v = random_floats(rng, n);
      std::string expected = bytes_of(narrowed(*t, v));
      std::string f = t->function;
      CHECK(db.blob("SELECT " + f + "(?)", {Value::text(json_of(v))}) == expected);
      CHECK(db.blob("SELECT " + f + "(vector(?))", {Value::blob(bytes_of(v))}) == expected);
      // A bare blob is already of the type; a subtyped one of the same type is kept.
      CHECK(db.blob("SELECT " + f + "(?)", {Value::blob(expected)}) == expected);
      CHECK(db.blob("SELECT " + f + "(" + f + "(?))", {Value::text(json_of(v))}) == expected);
      CHECK(db.one("SELECT subtype(" + f + "(?))", {Value::text(json_of(v))}).i == t->subtype);
      CHECK(db.one("SELECT vector_type(" + f + "(?))", {Value::text(json_of(v))}).s == t->name);
      CHECK(db.one("SELECT vector_dims(" + f + "(?))", {Value::text(json_of(v))}).i == static_cast<int64_t>(n));
      // vector() widens exactly.
      CHECK(db.blob("SELECT vector(" + f + "(?))", {Value::text(json_of(v))}) ==
            bytes_of(widened(*t, narrowed(*t, v))));
    }
    // int8 converts exactly, and so does the other 16-bit type where it fits.
    CHECK(db.blob(std::string("SELECT ") + t->function + "(vector_int8('[-128, 0, 127]'))") ==
          bytes_of(narrowed(*t, {-128, 0, 127})));
    const Type& other = t == &kF16 ? kBF16 : kF16;
    CHECK(db.blob(std::string("SELECT ") + t->function + "(" + other.function + "('[1.5, -0.25]'))") ==
          bytes_of(narrowed(*t, {1.5f, -0.25f})));
  }
}

TEST_CASE("vector_to_json of every float16 and bfloat16 value reads back to the same bits", "[functions][half]") {
  Db db;
  for (const Type* t : {&kF16, &kBF16}) {
    INFO(t->name);
    uint16_t infinity = t == &kF16 ? 0x7c00 : 0x7f80;
    std::vector<uint16_t> all;
    for (uint32_t i = 0; i < 65536; ++i)
      if ((i & infinity) != infinity) all.push_back(static_cast<uint16_t>(i));
    for (size_t from = 0; from < all.size(); from += 8192) {
      std::vector<uint16_t> part(all.begin() + from, all.begin() + std::min(all.size(), from + 8192));
      std::string blob = bytes_of(part);
      std::string f = t->function;
      std::string json = db.one("SELECT vector_to_json(" + f + "(?))", {Value::blob(blob)}).s;
      CHECK(db.blob("SELECT " + f + "(?)", {Value::text(json)}) == blob);
    }
  }
  // The shortest text that does it.
  CHECK(db.one("SELECT vector_to_json(vector_f16('[0.1, 1, -2.5, 65504, 0.000061035156, 1e-7]'))").s ==
        "[0.1,1,-2.5,65500,6.104e-05,1e-07]");
  CHECK(db.one("SELECT vector_to_json(vector_bf16('[0.1, 1, 3.3895314e38, 1e-40]'))").s ==
        "[0.1,1,3.39e+38,9e-41]");
}

TEST_CASE("float16 and bfloat16 distances are the float32 distances of the widened values", "[functions][half]") {
  Db db;
  std::mt19937 rng(227);
  for (const Type* t : {&kF16, &kBF16}) {
    for (size_t n : {1u, 5u, 16u, 31u, 100u, 768u}) {
      INFO(t->name << " n " << n);
      std::vector<uint16_t> a = narrowed(*t, random_floats(rng, n)), b = narrowed(*t, random_floats(rng, n));
      std::vector<float> x = widened(*t, a), y = widened(*t, b);
      double dot = 0, abs_dot = 0, xx = 0, yy = 0, l2 = 0;
      for (size_t i = 0; i < n; ++i) {
        dot += double{x[i]} * y[i];
        abs_dot += std::fabs(double{x[i]} * y[i]);
        xx += double{x[i]} * x[i];
        yy += double{y[i]} * y[i];
        l2 += (double{x[i]} - y[i]) * (double{x[i]} - y[i]);
      }
      std::string f = t->function;
      std::vector<Value> p = {Value::blob(bytes_of(a)), Value::blob(bytes_of(b))};
      auto call = [&](const std::string& fn) { return db.real("SELECT " + fn + "(" + f + "(?), " + f + "(?))", p); };
      CHECK(std::fabs(call("dot_product") - dot) <= 1e-5 * abs_dot);
      CHECK(call("l2_distance") == Approx(std::sqrt(l2)).epsilon(1e-5));
      double similarity = dot / std::sqrt(xx * yy);
      CHECK(call("cosine_similarity") == Approx(similarity).margin(1e-5 * abs_dot / std::sqrt(xx * yy) + 1e-12));
      CHECK(call("cosine_distance") == Approx(1 - similarity).margin(1e-5 * abs_dot / std::sqrt(xx * yy) + 1e-12));
      CHECK(db.real("SELECT vector_norm(" + f + "(?))", {p[0]}) == Approx(std::sqrt(xx)).epsilon(1e-5));
    }
  }
}

TEST_CASE("arithmetic on float16 and bfloat16 gives float32, slices keep the type", "[functions][half]") {
  Db db;
  for (const Type* t : {&kF16, &kBF16}) {
    INFO(t->name);
    std::string f = t->function;
    std::vector<float> a = widened(*t, narrowed(*t, {0.1f, -1.5f, 3.0f, 0.3f}));
    std::vector<float> b = widened(*t, narrowed(*t, {2.0f, 0.7f, -4.0f, 1e-3f}));
    std::string qa = f + "('" + json_of(a) + "')", qb = f + "('" + json_of(b) + "')";
    std::vector<float> sum, diff, scaled, mean;
    for (size_t i = 0; i < a.size(); ++i) {
      sum.push_back(static_cast<float>(double{a[i]} + b[i]));
      diff.push_back(static_cast<float>(double{a[i]} - b[i]));
      scaled.push_back(static_cast<float>(double{a[i]} * 0.5));
      mean.push_back(static_cast<float>((double{a[i]} + b[i]) / 2));
    }
    CHECK(db.blob("SELECT vector_add(" + qa + ", " + qb + ")") == bytes_of(sum));
    CHECK(db.blob("SELECT vector_sub(" + qa + ", " + qb + ")") == bytes_of(diff));
    CHECK(db.blob("SELECT vector_scale(" + qa + ", 0.5)") == bytes_of(scaled));
    CHECK(db.one("SELECT vector_type(vector_normalize(" + qa + "))").s == "float32");
    // The function is applied in the aggregate's argument: subtypes do not
    // survive a subquery's result set.
    CHECK(db.blob("SELECT vector_mean(" + f + "(j)) FROM (SELECT ? AS j UNION ALL SELECT ?)",
                  {Value::text(json_of(a)), Value::text(json_of(b))}) == bytes_of(mean));
    CHECK(db.blob("SELECT vector_slice(" + qa + ", 1, 3)") == bytes_of(narrowed(*t, {a[1], a[2]})));
    CHECK(db.one("SELECT vector_type(vector_slice(" + qa + ", 1, 3))").s == t->name);
    // By sign: elements 0, 2, 3, 6, and 7 but in float16, where 1e-8 underflows to zero.
    CHECK(db.blob("SELECT vector_bit(" + f + "('[0.1, -1, 3, 0.3, 0, -0.5, 2, 1e-8]'))") ==
          std::string(1, t == &kF16 ? '\x4d' : '\xcd'));
  }
}

TEST_CASE("float16 and bfloat16 errors name the problem", "[functions][half]") {
  Db db;
  CHECK(db.error("SELECT vector_f16('[1, 65520]')") == "vector_f16: element 1 (65520) is out of float16 range");
  CHECK(db.error("SELECT vector_f16(vector('[-1e5]'))") == "vector_f16: element 0 (-1e+05) is out of float16 range");
  CHECK(db.error("SELECT vector_bf16('[3.4028235e38]')") ==
        "vector_bf16: element 0 (3.4028235e+38) is out of bfloat16 range");
  CHECK(db.error("SELECT vector_f16(x'0000003c007c')") == "vector_f16: element 2 is infinite");
  CHECK(db.error("SELECT vector_f16(x'017c')") == "vector_f16: element 0 is NaN");
  CHECK(db.error("SELECT vector_bf16(x'c0ff')") == "vector_bf16: element 0 is NaN");
  CHECK(db.error("SELECT vector_bf16(x'80ff')") == "vector_bf16: element 0 is infinite");
  CHECK(db.error("SELECT vector_f16(x'000000')") ==
        "vector_f16: blob of 3 bytes is not a float16 vector (length must be a multiple of 2)");
  CHECK(db.error("SELECT vector_f16(vector_bit(x'ff'))") == "vector_f16: not defined for bit vectors");
  CHECK(db.error("SELECT vector_bf16(12)") ==
        "vector_bf16: expected a vector (a BLOB or JSON array text), got integer");
  CHECK(db.error("SELECT cosine_distance(vector_f16('[1, 2]'), '[1, 2]')") ==
        "cosine_distance: type mismatch: float16 vs float32");
  CHECK(db.error("SELECT dot_product(vector_f16('[1, 2]'), vector_bf16('[1, 2]'))") ==
        "dot_product: type mismatch: float16 vs bfloat16");
  CHECK(db.error("SELECT l2_distance(vector_bf16('[1, 2]'), vector_int8('[1, 2]'))") ==
        "l2_distance: type mismatch: bfloat16 vs int8");
  CHECK(db.error("SELECT l2_distance(vector_bf16('[1, 2]'), vector_bf16('[1, 2, 3]'))") ==
        "l2_distance: dimension mismatch: expected 2, got 3");
  CHECK(db.error("SELECT cosine_similarity(vector_f16('[0, 0]'), vector_f16('[1, 2]'))") ==
        "cosine_similarity: undefined for a zero vector");
  // Underflow is no error: below half the smallest subnormal is zero.
  CHECK(db.one("SELECT hex(vector_f16('[1e-8, -1e-8, 3e-8]'))").s == "000000800100");
  for (const char* f : {"vector_f16", "vector_bf16"}) {
    CHECK(db.one(std::string("SELECT ") + f + "(NULL)").type == SQLITE_NULL);
    CHECK(db.one(std::string("SELECT dot_product(") + f + "('[1]'), NULL)").type == SQLITE_NULL);
  }
}

TEST_CASE("a float16 column read from a table is marked with vector_f16", "[functions][half]") {
  Db db;
  db.exec("CREATE TABLE docs(id INTEGER PRIMARY KEY, embedding BLOB CHECK (vector_dims(vector_f16(embedding)) = 3))");
  db.exec("INSERT INTO docs VALUES (1, vector_f16('[1, 0, 0]')), (2, vector_f16('[0, 1, 0]')), (3, vector_f16('[1, 1, 0]'))");
  quiver_test::Rows rows = db.query(
      "SELECT id FROM docs ORDER BY cosine_distance(vector_f16(embedding), vector_f16('[1, 0.1, 0]')), id");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0][0].i == 1);
  CHECK(rows[1][0].i == 3);
  CHECK(rows[2][0].i == 2);
  CHECK(db.error("INSERT INTO docs VALUES (4, vector_f16('[1, 0]'))") == "CHECK constraint failed: vector_dims(vector_f16(embedding)) = 3");
}
