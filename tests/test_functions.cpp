// The SQL functions (README "Functions") through a real in-memory SQLite
// connection: results against brute-force references computed here, NULL
// handling, exact error messages, subtypes, byte-exact blobs, the flags
// SQLite needs to allow the functions in schemas, and the dimension limit.
#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels.h"
#include "quiver.h"
#include "support/db.h"
#include "support/sql.h"
#include "vector.h"

namespace {

using quiver_test::Bytes;
using quiver_test::Result;
using quiver_test::Value;

Bytes bytes_of(const std::vector<float>& v) {
  Bytes b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}
Bytes bytes_of(const std::vector<int8_t>& v) { return Bytes(v.begin(), v.end()); }

std::vector<float> floats_of(const Bytes& b) {
  REQUIRE(b.size() % 4 == 0);
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), b.size());
  return v;
}

std::string hex(const Bytes& b) {
  static const char digits[] = "0123456789ABCDEF";
  std::string s;
  for (unsigned char c : b) {
    s += digits[c >> 4];
    s += digits[c & 15];
  }
  return s;
}

// Shortest round-trip text, so the JSON the test sends is exactly `v`.
std::string json_of(const std::vector<float>& v) {
  std::string s = "[";
  char buf[32];
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ", ";
    auto r = std::to_chars(buf, buf + sizeof buf, v[i]);
    s.append(buf, r.ptr);
  }
  return s + "]";
}

std::string json_of(const std::vector<int8_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(int{v[i]});
  return s + "]";
}

// A function's result is one value: the first column of the first row. Later
// rows are still read, so their errors count. Parameters a statement does not
// use are left unbound: some tests pass one list to several statements.
class Db : public quiver_test::Db {
 public:
  explicit Db(bool register_quiver = true)
      : quiver_test::Db(":memory:", 0, register_quiver, quiver_test::OnBindError::Ignore) {}

  // Each of these requires success and a row of the given type.
  Value ok(const std::string& sql, const std::vector<Value>& params = {}) const {
    Result r = run(sql, params);
    INFO("sql: " << sql);
    REQUIRE(r.error == "");
    REQUIRE(r.ok());
    REQUIRE_FALSE(r.rows.empty());
    return r.rows[0][0];
  }
  Bytes blob(const std::string& sql, const std::vector<Value>& params = {}) const {
    Value v = ok(sql, params);
    INFO("sql: " << sql);
    REQUIRE(v.type == SQLITE_BLOB);
    return Bytes(v.s.begin(), v.s.end());
  }
  std::vector<float> floats(const std::string& sql, const std::vector<Value>& params = {}) const {
    return floats_of(blob(sql, params));
  }
  double real(const std::string& sql, const std::vector<Value>& params = {}) const {
    Value v = ok(sql, params);
    INFO("sql: " << sql);
    REQUIRE(v.type == SQLITE_FLOAT);
    return v.d;
  }
  int64_t integer(const std::string& sql, const std::vector<Value>& params = {}) const {
    Value v = ok(sql, params);
    INFO("sql: " << sql);
    REQUIRE(v.type == SQLITE_INTEGER);
    return v.i;
  }
  std::string text(const std::string& sql, const std::vector<Value>& params = {}) const {
    Value v = ok(sql, params);
    INFO("sql: " << sql);
    REQUIRE(v.type == SQLITE_TEXT);
    return v.s;
  }
  bool is_null(const std::string& sql, const std::vector<Value>& params = {}) const {
    return ok(sql, params).type == SQLITE_NULL;
  }
};

// The first value of a statement's first row; NULL without rows.
Value first(const Result& r) { return r.rows.empty() ? Value::null() : r.rows[0][0]; }

std::vector<float> random_floats(std::mt19937& rng, size_t n, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<int8_t> random_int8(std::mt19937& rng, size_t n) {
  std::uniform_int_distribution<int> dist(-128, 127);
  std::vector<int8_t> v(n);
  for (int8_t& x : v) x = static_cast<int8_t>(dist(rng));
  return v;
}

// Brute-force references in double.
template <class T>
double dot_ref(const std::vector<T>& a, const std::vector<T>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += double(a[i]) * double(b[i]);
  return s;
}
template <class T>
double abs_dot_ref(const std::vector<T>& a, const std::vector<T>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += std::fabs(double(a[i]) * double(b[i]));
  return s;
}
template <class T>
double norm_ref(const std::vector<T>& a) {
  return std::sqrt(dot_ref(a, a));
}
template <class T>
double l2_ref(const std::vector<T>& a, const std::vector<T>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (double(a[i]) - double(b[i])) * (double(a[i]) - double(b[i]));
  return std::sqrt(s);
}

// The kernels may accumulate float32 in float lanes (see test_kernels.cpp).
constexpr double kRelTol = 1e-5;

// The names README "Functions" documents, with their argument counts.
struct Signature {
  const char* name;
  int nargs;
  bool takes_vector;
  bool aggregate;
};
const Signature kSignatures[] = {
    {"vector", 1, true, false},           {"vector_int8", 1, true, false},     {"vector_int8", 2, true, false},
    {"vector_bit", 1, true, false},       {"vector_to_json", 1, true, false},  {"vector_dims", 1, true, false},
    {"vector_type", 1, true, false},      {"vector_norm", 1, true, false},     {"vector_normalize", 1, true, false},
    {"vector_add", 2, true, false},       {"vector_sub", 2, true, false},      {"vector_scale", 2, true, false},
    {"vector_slice", 3, true, false},     {"vector_mean", 1, true, true},      {"cosine_similarity", 2, true, false},
    {"cosine_distance", 2, true, false},  {"dot_product", 2, true, false},     {"l2_distance", 2, true, false},
    {"hamming_distance", 2, true, false}, {"quiver_version", 0, false, false}, {"quiver_simd", 0, false, false},
};

}  // namespace

// ---- registration -------------------------------------------------------------

TEST_CASE("quiver_register adds every documented function with the right flags", "[functions]") {
  Db db;
  // Flag values from sqlite3.h; pragma_function_list reports them in 3.40.
  const int64_t deterministic = SQLITE_DETERMINISTIC, innocuous = SQLITE_INNOCUOUS, subtype = SQLITE_SUBTYPE,
                directonly = SQLITE_DIRECTONLY;
  for (const Signature& s : kSignatures) {
    INFO("function " << s.name << "/" << s.nargs);
    Result r = db.run("SELECT flags, type, enc FROM pragma_function_list WHERE name = ? AND narg = ?",
                      {Value::text(s.name), Value::integer(s.nargs)});
    REQUIRE(r.ok());
    REQUIRE_FALSE(r.rows.empty());
    const int64_t flags = r.rows[0][0].i;
    CHECK((flags & deterministic) != 0);
    CHECK((flags & innocuous) != 0);
    CHECK((flags & directonly) == 0);
    if (s.takes_vector) CHECK((flags & subtype) != 0);
    std::string type = db.text("SELECT type FROM pragma_function_list WHERE name = ? AND narg = ?",
                               {Value::text(s.name), Value::integer(s.nargs)});
    CHECK(type == (s.aggregate ? "a" : "s"));
  }
}

TEST_CASE("quiver_version and quiver_simd describe the build and the kernels", "[functions]") {
  Db db;
  CHECK(db.text("SELECT quiver_version()") == QUIVER_EXPECTED_VERSION);
  std::string simd = db.text("SELECT quiver_simd()");
  CHECK(simd == quiver::active_kernels().name);
  bool known = false;
  for (quiver::Isa isa : quiver::kAllIsas)
    if (simd == quiver::isa_name(isa) && quiver::kernels_for(isa)) known = true;
  CHECK(known);
}

TEST_CASE("sqlite3_quiver_init works as an auto extension", "[functions]") {
  {
    Db plain(false);
    CHECK(plain.error("SELECT vector_dims('[1,2]')") == "no such function: vector_dims");
  }
  REQUIRE(sqlite3_auto_extension(reinterpret_cast<void (*)(void)>(sqlite3_quiver_init)) == SQLITE_OK);
  {
    Db db(false);  // registered by the auto extension alone
    CHECK(db.integer("SELECT vector_dims('[1,2]')") == 2);
  }
  REQUIRE(sqlite3_cancel_auto_extension(reinterpret_cast<void (*)(void)>(sqlite3_quiver_init)) == 1);
  {
    Db plain(false);
    CHECK(plain.error("SELECT vector_dims('[1,2]')") == "no such function: vector_dims");
  }
}

TEST_CASE("registering twice on one connection is harmless", "[functions]") {
  Db db;
  REQUIRE(quiver_register(db.handle()) == SQLITE_OK);
  CHECK(db.integer("SELECT vector_dims('[1,2,3]')") == 3);
}

// ---- vector -----------------------------------------------------------------

TEST_CASE("vector() makes byte-exact little-endian float32 blobs", "[functions]") {
  Db db;
  CHECK(hex(db.blob("SELECT vector('[1,2]')")) == "0000803F00000040");
  CHECK(db.integer("SELECT vector('[1,2]') = X'0000803F00000040'") == 1);
  CHECK(hex(db.blob("SELECT vector('[-0, 0.5, -2]')")) ==
        "00000080"
        "0000003F"
        "000000C0");
  CHECK(hex(db.blob("SELECT vector(' [ 1 ] ')")) == "0000803F");

  // A blob passes through unchanged (validated, not rewritten).
  std::mt19937 rng(1);
  std::vector<float> v = random_floats(rng, 300, -1e6f, 1e6f);
  CHECK(db.blob("SELECT vector(?)", {Value::blob(bytes_of(v))}) == bytes_of(v));
  // JSON text with the shortest round-trip digits gives the same bits.
  CHECK(db.blob("SELECT vector(?)", {Value::text(json_of(v))}) == bytes_of(v));

  // int8 and bit vectors are widened to their values.
  CHECK(db.floats("SELECT vector(vector_int8('[-128, 0, 127]'))") == std::vector<float>{-128, 0, 127});
  CHECK(db.floats("SELECT vector(vector_bit(X'81'))") == std::vector<float>{1, 0, 0, 0, 0, 0, 0, 1});
}

TEST_CASE("vector() rejects what is not a valid vector, with exact messages", "[functions]") {
  Db db;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(db.error("SELECT vector(?)", {Value::blob(bytes_of(std::vector<float>{1, nan, 3}))}) ==
        "vector: element 1 is NaN");
  CHECK(db.error("SELECT vector(?)", {Value::blob(bytes_of(std::vector<float>{-inf}))}) ==
        "vector: element 0 is infinite");
  CHECK(db.error("SELECT vector(X'0000803F00')") ==
        "vector: blob of 5 bytes is not a float32 vector (length must be a multiple of 4)");
  CHECK(db.error("SELECT vector(?)", {Value::blob(Bytes{})}) == "vector: empty vector");
  CHECK(db.error("SELECT vector(X'')") == "vector: empty vector");
  CHECK(db.error("SELECT vector('')") == "vector: malformed JSON vector: expected '[' at offset 0");
  CHECK(db.error("SELECT vector('[]')") == "vector: empty vector");
  CHECK(db.error("SELECT vector('[1,]')") == "vector: malformed JSON vector: expected a number at offset 3");
  CHECK(db.error("SELECT vector('[1, nan]')") == "vector: malformed JSON vector: expected a number at offset 4");
  CHECK(db.error("SELECT vector('[1e39]')") == "vector: element 0 (1e39) is out of float32 range");
  CHECK(db.error("SELECT vector(5)") == "vector: expected a vector (a BLOB or JSON array text), got integer");
  CHECK(db.error("SELECT vector(5.5)") == "vector: expected a vector (a BLOB or JSON array text), got real");
  CHECK(db.is_null("SELECT vector(NULL)"));
}

// ---- vector_int8 ------------------------------------------------------------

TEST_CASE("vector_int8 encodes JSON integers exactly and keeps bare blobs", "[functions]") {
  Db db;
  CHECK(hex(db.blob("SELECT vector_int8('[1, -2, 127, -128, 0]')")) == "01FE7F8000");
  CHECK(hex(db.blob("SELECT vector_int8('[1e2, -0]')")) == "6400");
  // A bare blob is already int8: the bytes are kept, whatever they are.
  CHECK(hex(db.blob("SELECT vector_int8(?)", {Value::blob(Bytes{0x80, 0xff, 0x01, 0x7f, 0x00})})) == "80FF017F00");
  CHECK(hex(db.blob("SELECT vector_int8(X'0102')")) == "0102");
  CHECK(db.text("SELECT vector_type(vector_int8(X'0102'))") == "int8");
  CHECK(db.integer("SELECT vector_dims(vector_int8(X'010203'))") == 3);
  // An int8 vector passes through.
  CHECK(hex(db.blob("SELECT vector_int8(vector_int8('[5, -5]'))")) == "05FB");

  CHECK(db.error("SELECT vector_int8('[1.5]')") == "vector_int8: element 0 (1.5) is not an integer in [-128, 127]");
  CHECK(db.error("SELECT vector_int8('[0, 128]')") == "vector_int8: element 1 (128) is not an integer in [-128, 127]");
  CHECK(db.error("SELECT vector_int8('[-129]')") == "vector_int8: element 0 (-129) is not an integer in [-128, 127]");
  CHECK(db.error("SELECT vector_int8(X'')") == "vector_int8: empty vector");
  CHECK(db.error("SELECT vector_int8(vector_bit(X'FF'))") == "vector_int8: not defined for bit vectors");
  CHECK(db.error("SELECT vector_int8(1)") == "vector_int8: expected a vector (a BLOB or JSON array text), got integer");
}

TEST_CASE("vector_int8 quantizes float32 vectors by 'max' (default) or 'unit'", "[functions]") {
  Db db;
  std::mt19937 rng(2);
  std::vector<float> v = random_floats(rng, 64, -2.0f, 2.0f);
  double max_abs = 0;
  for (float x : v) max_abs = std::max(max_abs, std::fabs(double{x}));
  std::vector<int8_t> expected(v.size());
  for (size_t i = 0; i < v.size(); ++i) expected[i] = static_cast<int8_t>(std::nearbyint(v[i] * (127.0 / max_abs)));

  // A float32 vector (subtyped by vector()) is quantized; 1 and 2 args agree.
  CHECK(db.blob("SELECT vector_int8(vector(?))", {Value::blob(bytes_of(v))}) == bytes_of(expected));
  CHECK(db.blob("SELECT vector_int8(vector(?), 'max')", {Value::blob(bytes_of(v))}) == bytes_of(expected));
  CHECK(db.blob("SELECT vector_int8(?, 'max')", {Value::text(json_of(v))}) == bytes_of(expected));
  CHECK(db.text("SELECT vector_type(vector_int8(vector(?)))", {Value::blob(bytes_of(v))}) == "int8");
  // With a scaling argument a bare blob is float32 to quantize.
  CHECK(db.blob("SELECT vector_int8(?, 'max')", {Value::blob(bytes_of(v))}) == bytes_of(expected));

  std::vector<float> u = random_floats(rng, 64, -1.0f, 1.0f);
  u[0] = 1;
  u[1] = -1;
  std::vector<int8_t> unit(u.size());
  for (size_t i = 0; i < u.size(); ++i) unit[i] = static_cast<int8_t>(std::nearbyint(u[i] * 127.0));
  CHECK(db.blob("SELECT vector_int8(vector(?), 'unit')", {Value::blob(bytes_of(u))}) == bytes_of(unit));
  CHECK(db.blob("SELECT vector_int8(?, 'unit')", {Value::text(json_of(u))}) == bytes_of(unit));
  CHECK(unit[0] == 127);
  CHECK(unit[1] == -127);

  // JSON that is not integral is quantized only when a scaling is given.
  CHECK(hex(db.blob("SELECT vector_int8('[0.5, -1, 0.25]', 'max')")) ==
        "40"
        "81"
        "20");  // 63.5->64, -127, 31.75->32

  CHECK(db.error("SELECT vector_int8('[0.5, 2]', 'unit')") ==
        "vector_int8: element 1 is outside [-1, 1] for 'unit' scaling");
  CHECK(db.error("SELECT vector_int8('[1]', 'bogus')") ==
        "vector_int8: unknown scaling \"bogus\" (expected 'max' or 'unit')");
  CHECK(db.error("SELECT vector_int8('[1]', 'UNIT')") ==
        "vector_int8: unknown scaling \"UNIT\" (expected 'max' or 'unit')");
  CHECK(db.error("SELECT vector_int8('[1]', 5)") == "vector_int8: unknown scaling \"5\" (expected 'max' or 'unit')");
  CHECK(db.error("SELECT vector_int8(X'0102', 'unit')") ==
        "vector_int8: blob of 2 bytes is not a float32 vector (length must be a multiple of 4)");
  CHECK(db.error("SELECT vector_int8(vector_bit(X'01'), 'max')") == "vector_int8: not defined for bit vectors");

  // A zero vector quantizes to zeros.
  CHECK(hex(db.blob("SELECT vector_int8(vector('[0, 0]'))")) == "0000");
}

// ---- vector_bit ----------------------------------------------------------------

TEST_CASE("vector_bit packs signs LSB first and keeps bare blobs", "[functions]") {
  Db db;
  // Element i is bit i % 8 of byte i / 8.
  CHECK(hex(db.blob("SELECT vector_bit('[1,0,0,1,0,0,0,0]')")) == "09");
  CHECK(hex(db.blob("SELECT vector_bit('[0,0,0,0,0,0,0,1, 1,0,0,0,0,0,0,0]')")) == "8001");
  CHECK(hex(db.blob("SELECT vector_bit(vector('[0.5,-1,0,2,-0,1e-45,-3,4]'))")) == "A9");
  CHECK(hex(db.blob("SELECT vector_bit(vector_int8('[1,-1,0,5,0,0,0,-128]'))")) == "09");
  CHECK(hex(db.blob("SELECT vector_bit(X'FF00')")) == "FF00");  // a bare blob is already bits
  CHECK(hex(db.blob("SELECT vector_bit(vector_bit(X'A5'))")) == "A5");
  CHECK(db.integer("SELECT vector_dims(vector_bit(X'FF00'))") == 16);
  CHECK(db.text("SELECT vector_type(vector_bit(X'FF00'))") == "bit");

  // Random float32 vectors against a bit-by-bit reference.
  std::mt19937 rng(3);
  std::vector<float> v = random_floats(rng, 256);
  Bytes expected(32, 0);
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] > 0) expected[i / 8] |= static_cast<unsigned char>(1u << (i % 8));
  CHECK(db.blob("SELECT vector_bit(vector(?))", {Value::blob(bytes_of(v))}) == expected);
  CHECK(db.blob("SELECT vector_bit(?)", {Value::text(json_of(v))}) == expected);

  CHECK(db.error("SELECT vector_bit('[1,0,0]')") == "vector_bit: a bit vector needs a multiple of 8 dimensions, got 3");
  CHECK(db.error("SELECT vector_bit(vector('[1,2,3]'))") ==
        "vector_bit: a bit vector needs a multiple of 8 dimensions, got 3");
  CHECK(db.error("SELECT vector_bit(X'')") == "vector_bit: empty vector");
  CHECK(db.error("SELECT vector_bit(2.5)") == "vector_bit: expected a vector (a BLOB or JSON array text), got real");
}

// ---- inspection -------------------------------------------------------------------

TEST_CASE("vector_to_json, vector_dims and vector_type read every type", "[functions]") {
  Db db;
  // Shortest round-trip text (std::to_chars): 3e-04 is shorter than 0.0003.
  CHECK(db.text("SELECT vector_to_json('[0.1, -2, 3e-4, 1e7, 123456.7]')") == "[0.1,-2,3e-04,1e+07,123456.7]");
  CHECK(db.text("SELECT vector_to_json(vector('[1,2]'))") == "[1,2]");
  CHECK(db.text("SELECT vector_to_json(X'0000803F00000040')") == "[1,2]");  // bare blob: float32
  CHECK(db.text("SELECT vector_to_json(vector_int8('[-128, 7]'))") == "[-128,7]");
  CHECK(db.text("SELECT vector_to_json(vector_bit(X'09'))") == "[1,0,0,1,0,0,0,0]");

  std::mt19937 rng(4);
  std::vector<float> v = random_floats(rng, 100, -1e10f, 1e10f);
  std::string json = db.text("SELECT vector_to_json(?)", {Value::blob(bytes_of(v))});
  CHECK(db.blob("SELECT vector(?)", {Value::text(json)}) == bytes_of(v));  // bit-exact round trip

  CHECK(db.integer("SELECT vector_dims('[1,2,3]')") == 3);
  CHECK(db.integer("SELECT vector_dims(?)", {Value::blob(bytes_of(v))}) == 100);
  CHECK(db.integer("SELECT vector_dims(vector_int8('[1,2,3,4]'))") == 4);
  CHECK(db.integer("SELECT vector_dims(vector_bit(X'FFFF0000'))") == 32);

  // A bare blob bound from C, JSON text and vector() are float32.
  CHECK(db.text("SELECT vector_type(?)", {Value::blob(Bytes{1, 2, 3, 4})}) == "float32");
  CHECK(db.text("SELECT vector_type('[1]')") == "float32");
  CHECK(db.text("SELECT vector_type(vector('[1]'))") == "float32");
  CHECK(db.text("SELECT vector_type(vector_int8('[1,2]'))") == "int8");
  CHECK(db.text("SELECT vector_type(vector_bit(X'01'))") == "bit");

  CHECK(db.error("SELECT vector_dims(X'010203')") ==
        "vector_dims: blob of 3 bytes is not a float32 vector (length must be a multiple of 4)");
  CHECK(db.error("SELECT vector_type(42)") ==
        "vector_type: expected a vector (a BLOB or JSON array text), got integer");
  // Text from SQLite's JSON functions is JSON array text too.
  CHECK(db.integer("SELECT vector_dims(json_array(1, 2, 3))") == 3);
  CHECK(db.text("SELECT vector_to_json(json('[1, 2.5]'))") == "[1,2.5]");
  CHECK(db.error("SELECT vector_to_json('nope')") == "vector_to_json: malformed JSON vector: expected '[' at offset 0");
}

TEST_CASE("subtypes flow through nested calls and are lost in tables", "[functions]") {
  Db db;
  db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, j TEXT, v BLOB)");
  db.exec("INSERT INTO t(j, v) VALUES ('[1,2]', vector_int8('[1,2,3,4]'))");
  // A non-constant argument, computed per row.
  CHECK(db.text("SELECT vector_type(vector_int8(j)) FROM t") == "int8");
  CHECK(db.text("SELECT vector_type(vector_slice(vector_int8(j), 0, 1)) FROM t") == "int8");
  // Read back from the table the blob is bare: float32, 4 bytes = 1 dimension.
  CHECK(db.text("SELECT vector_type(v) FROM t") == "float32");
  CHECK(db.integer("SELECT vector_dims(v) FROM t") == 1);
  CHECK(db.integer("SELECT vector_dims(vector_int8(v)) FROM t") == 4);
}

// ---- norm and arithmetic ---------------------------------------------------------

TEST_CASE("vector_norm and vector_normalize", "[functions]") {
  Db db;
  std::mt19937 rng(5);
  std::vector<float> v = random_floats(rng, 384);
  double norm = norm_ref(v);
  // The SIMD kernels accumulate float32 in float32: float precision, not double.
  CHECK(db.real("SELECT vector_norm(?)", {Value::blob(bytes_of(v))}) == Approx(norm).epsilon(1e-6));
  CHECK(db.real("SELECT vector_norm('[3, 4]')") == 5.0);
  CHECK(db.real("SELECT vector_norm(vector_int8('[-128, 0]'))") == 128.0);
  CHECK(db.real("SELECT vector_norm('[0, 0]')") == 0.0);

  std::vector<float> unit = db.floats("SELECT vector_normalize(?)", {Value::blob(bytes_of(v))});
  REQUIRE(unit.size() == v.size());
  for (size_t i = 0; i < v.size(); ++i) CHECK(unit[i] == Approx(v[i] / norm).epsilon(1e-6));
  CHECK(db.real("SELECT vector_norm(vector_normalize(?))", {Value::blob(bytes_of(v))}) == Approx(1.0).epsilon(1e-6));
  CHECK(db.floats("SELECT vector_normalize(vector_int8('[3, -4]'))") == std::vector<float>{0.6f, -0.8f});
  CHECK(db.text("SELECT vector_type(vector_normalize(vector_int8('[3, -4]')))") == "float32");

  CHECK(db.error("SELECT vector_normalize('[0, -0]')") == "vector_normalize: cannot normalize a zero vector");
  CHECK(db.error("SELECT vector_norm(vector_bit(X'01'))") == "vector_norm: not defined for bit vectors");
  CHECK(db.error("SELECT vector_normalize(vector_bit(X'01'))") == "vector_normalize: not defined for bit vectors");
}

TEST_CASE("vector_add, vector_sub and vector_scale", "[functions]") {
  Db db;
  std::mt19937 rng(6);
  std::vector<float> a = random_floats(rng, 200, -50, 50), b = random_floats(rng, 200, -50, 50);
  std::vector<float> sum = db.floats("SELECT vector_add(?, ?)", {Value::blob(bytes_of(a)), Value::blob(bytes_of(b))});
  std::vector<float> diff = db.floats("SELECT vector_sub(?, ?)", {Value::blob(bytes_of(a)), Value::text(json_of(b))});
  std::vector<float> scaled = db.floats("SELECT vector_scale(?, -0.75)", {Value::blob(bytes_of(a))});
  REQUIRE(sum.size() == a.size());
  REQUIRE(diff.size() == a.size());
  REQUIRE(scaled.size() == a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("element " << i);
    CHECK(sum[i] == static_cast<float>(double{a[i]} + b[i]));
    CHECK(diff[i] == static_cast<float>(double{a[i]} - b[i]));
    CHECK(scaled[i] == static_cast<float>(double{a[i]} * -0.75));
  }
  // king - man + woman, in one expression.
  CHECK(db.floats("SELECT vector_add(vector_sub('[5, 5]', '[1, 2]'), '[0.5, 0.25]')") ==
        std::vector<float>{4.5f, 3.25f});
  CHECK(db.floats("SELECT vector_scale('[1, -2]', 3)") == std::vector<float>{3, -6});
  CHECK(db.floats("SELECT vector_add(vector_int8('[127, -128]'), vector_int8('[127, -128]'))") ==
        std::vector<float>{254, -256});
  CHECK(db.text("SELECT vector_type(vector_add(vector_int8('[1]'), vector_int8('[1]')))") == "float32");
  CHECK(db.text("SELECT vector_type(vector_scale('[1]', 2))") == "float32");

  CHECK(db.error("SELECT vector_add('[1,2,3]', '[1,2]')") == "vector_add: dimension mismatch: expected 3, got 2");
  CHECK(db.error("SELECT vector_sub('[1]', '[1,2]')") == "vector_sub: dimension mismatch: expected 1, got 2");
  CHECK(db.error("SELECT vector_add('[1,2]', vector_int8('[1,2]'))") == "vector_add: type mismatch: float32 vs int8");
  CHECK(db.error("SELECT vector_sub(vector_int8('[1,2]'), '[1,2]')") == "vector_sub: type mismatch: int8 vs float32");
  CHECK(db.error("SELECT vector_add(vector_bit(X'01'), vector_bit(X'01'))") ==
        "vector_add: not defined for bit vectors");
  CHECK(db.error("SELECT vector_add('[3.4e38]', '[3.4e38]')") ==
        "vector_add: element 0 of the result overflows float32");
  CHECK(db.error("SELECT vector_scale('[1, 1e30]', 1e10)") ==
        "vector_scale: element 1 of the result overflows float32");
  CHECK(db.error("SELECT vector_scale('[1]', 'two')") == "vector_scale: scale factor must be a number, got text");
  CHECK(db.error("SELECT vector_scale('[1]', X'00')") == "vector_scale: scale factor must be a number, got blob");
  CHECK(db.error("SELECT vector_scale(vector_bit(X'01'), 2)") == "vector_scale: not defined for bit vectors");
  CHECK(db.error("SELECT vector_scale('[1]', 1e999)") == "vector_scale: scale factor is not finite");
  CHECK(db.floats("SELECT vector_scale('[2]', ?)", {Value::real(0.25)}) == std::vector<float>{0.5f});
}

TEST_CASE("vector_slice cuts any type from start up to end", "[functions]") {
  Db db;
  CHECK(db.floats("SELECT vector_slice('[0,1,2,3,4]', 1, 3)") == std::vector<float>{1, 2});
  CHECK(db.floats("SELECT vector_slice('[0,1,2,3,4]', 0, 5)") == std::vector<float>{0, 1, 2, 3, 4});
  CHECK(hex(db.blob("SELECT vector_slice(vector_int8('[1,2,3]'), 2, 3)")) == "03");
  CHECK(db.text("SELECT vector_type(vector_slice(vector_int8('[1,2,3]'), 2, 3))") == "int8");
  CHECK(hex(db.blob("SELECT vector_slice(vector_bit(X'A1B2C3'), 8, 24)")) == "B2C3");
  CHECK(db.text("SELECT vector_type(vector_slice(vector_bit(X'A1B2C3'), 8, 16))") == "bit");

  // Matryoshka truncation of a stored 1536-dim embedding to its first 256.
  std::mt19937 rng(7);
  std::vector<float> v = random_floats(rng, 1536);
  CHECK(db.floats("SELECT vector_slice(?, 0, 256)", {Value::blob(bytes_of(v))}) ==
        std::vector<float>(v.begin(), v.begin() + 256));

  CHECK(db.error("SELECT vector_slice('[0,1,2,3,4]', 2, 2)") ==
        "vector_slice: slice [2, 2) is not a non-empty range within 0..5");
  CHECK(db.error("SELECT vector_slice('[0,1,2,3,4]', -1, 2)") ==
        "vector_slice: slice [-1, 2) is not a non-empty range within 0..5");
  CHECK(db.error("SELECT vector_slice('[0,1,2,3,4]', 0, 6)") ==
        "vector_slice: slice [0, 6) is not a non-empty range within 0..5");
  CHECK(db.error("SELECT vector_slice(vector_bit(X'FFFF'), 4, 16)") ==
        "vector_slice: bit vectors are sliced at multiples of 8, got [4, 16)");
  CHECK(db.error("SELECT vector_slice('[1,2]', 0.5, 1)") == "vector_slice: start must be an integer, got real");
  CHECK(db.error("SELECT vector_slice('[1,2]', 0, '1')") == "vector_slice: end must be an integer, got text");
}

// ---- vector_mean --------------------------------------------------------------------

TEST_CASE("vector_mean is the centroid of a group", "[functions]") {
  Db db;
  db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, v BLOB)");
  std::mt19937 rng(8);
  const size_t dims = 24;
  std::vector<std::vector<double>> sums(3, std::vector<double>(dims, 0));
  std::vector<int> counts(3, 0);
  for (int row = 0; row < 90; ++row) {
    int grp = row % 3;
    if (row % 7 == 0) {  // NULL rows are skipped, not counted
      REQUIRE(db.run("INSERT INTO t(grp, v) VALUES (?, NULL)", {Value::integer(grp)}).ok());
      continue;
    }
    std::vector<float> v = random_floats(rng, dims, -10, 10);
    for (size_t i = 0; i < dims; ++i) sums[grp][i] += v[i];
    counts[grp]++;
    REQUIRE(db.run("INSERT INTO t(grp, v) VALUES (?, ?)", {Value::integer(grp), Value::blob(bytes_of(v))}).ok());
  }
  for (int grp = 0; grp < 3; ++grp) {
    INFO("group " << grp);
    std::vector<float> mean = db.floats("SELECT vector_mean(v) FROM t WHERE grp = ?", {Value::integer(grp)});
    REQUIRE(mean.size() == dims);
    for (size_t i = 0; i < dims; ++i) CHECK(mean[i] == Approx(sums[grp][i] / counts[grp]).epsilon(1e-6).margin(1e-6));
  }
  CHECK(db.integer("SELECT count(*) FROM (SELECT vector_mean(v) AS m FROM t GROUP BY grp) WHERE vector_dims(m) = 24") ==
        3);
  CHECK(db.text("SELECT vector_type(vector_mean(v)) FROM t") == "float32");

  // An empty group, or one with only NULLs, has no centroid.
  CHECK(db.is_null("SELECT vector_mean(v) FROM t WHERE 0"));
  CHECK(db.is_null("SELECT vector_mean(v) FROM t WHERE v IS NULL"));

  // JSON and int8 inputs; an int8 mean is float32.
  CHECK(db.floats("SELECT vector_mean(j) FROM (SELECT '[1, 2]' AS j UNION ALL SELECT '[2, 5]')") ==
        std::vector<float>{1.5f, 3.5f});
  CHECK(db.floats("SELECT vector_mean(vector_int8(j)) FROM (SELECT '[1, -128]' AS j UNION ALL SELECT '[2, 127]')") ==
        std::vector<float>{1.5f, -0.5f});
}

TEST_CASE("vector_mean reports mismatched and invalid rows", "[functions]") {
  Db db;
  db.exec("CREATE TABLE t(v)");
  db.exec("INSERT INTO t VALUES ('[1,2,3]'), ('[1,2]')");
  CHECK(db.error("SELECT vector_mean(v) FROM t") == "vector_mean: dimension mismatch: expected 3, got 2");
  CHECK(db.error("SELECT vector_mean(vector_bit(X'01'))") == "vector_mean: not defined for bit vectors");
  CHECK(db.error("SELECT vector_mean(7)") == "vector_mean: expected a vector (a BLOB or JSON array text), got integer");
  CHECK(db.error("SELECT vector_mean('[1, nope]')") ==
        "vector_mean: malformed JSON vector: expected a number at offset 4");
}

TEST_CASE("vector_mean refuses to mix element types in one group", "[functions]") {
  // Mismatched types are an error, as in vector_add.
  Db db;
  db.exec("CREATE TABLE t(id INTEGER, j TEXT)");
  db.exec("INSERT INTO t VALUES (1, '[1,2]'), (2, '[3,4]')");
  const std::string mixed =
      "SELECT vector_mean(CASE WHEN id = 1 THEN vector_int8(j) ELSE vector(j) END) FROM t ORDER BY id";
  CHECK(db.text("SELECT group_concat(vector_type(CASE WHEN id = 1 THEN vector_int8(j) ELSE vector(j) END)) FROM t") ==
        "int8,float32");  // the subtypes do reach the aggregate
  CHECK(db.error("SELECT vector_add(vector_int8('[1,2]'), vector('[3,4]'))") ==
        "vector_add: type mismatch: int8 vs float32");
  Result r = db.run(mixed);
  CHECK_FALSE(r.ok());
  CHECK(r.error.find("vector_mean: type mismatch") == 0);
}

TEST_CASE("vector_mean frees its state when a group fails", "[functions]") {
  Db db;
  db.exec("CREATE TABLE t(v)");
  db.exec("INSERT INTO t VALUES ('[1,2,3]'), ('[1,2]')");
  db.run("SELECT vector_mean(v) FROM t");  // warm up: schema and statement memory
  sqlite3_int64 before = sqlite3_memory_used();
  for (int i = 0; i < 20; ++i) CHECK_FALSE(db.run("SELECT vector_mean(v) FROM t").ok());
  CHECK(sqlite3_memory_used() == before);
}

// ---- distances ------------------------------------------------------------------------

TEST_CASE("float32 distances match a brute-force reference", "[functions]") {
  Db db;
  std::mt19937 rng(9);
  for (size_t dims : {1u, 3u, 8u, 17u, 384u, 1536u}) {
    std::vector<float> a = random_floats(rng, dims), b = random_floats(rng, dims);
    INFO("dims " << dims);
    const double dot = dot_ref(a, b), abs_dot = abs_dot_ref(a, b), na = norm_ref(a), nb = norm_ref(b);
    const double similarity = dot / (na * nb);
    const double cos_tol = kRelTol * (abs_dot / (na * nb) + std::fabs(similarity)) + 1e-12;
    // Blob and JSON arguments are interchangeable.
    std::vector<Value> blobs = {Value::blob(bytes_of(a)), Value::blob(bytes_of(b))},
                       mixed = {Value::text(json_of(a)), Value::blob(bytes_of(b))};
    for (const auto& args : {blobs, mixed}) {
      CHECK(std::fabs(db.real("SELECT dot_product(?, ?)", args) - dot) <= kRelTol * abs_dot + 1e-12);
      CHECK(db.real("SELECT l2_distance(?, ?)", args) == Approx(l2_ref(a, b)).epsilon(kRelTol));
      CHECK(std::fabs(db.real("SELECT cosine_similarity(?, ?)", args) - similarity) <= cos_tol);
      CHECK(std::fabs(db.real("SELECT cosine_distance(?, ?)", args) - (1 - similarity)) <= cos_tol);
    }
    CHECK(db.real("SELECT l2_distance(?, ?)", {Value::blob(bytes_of(a)), Value::blob(bytes_of(a))}) == 0.0);
    CHECK(db.real("SELECT cosine_distance(?, ?)", {Value::blob(bytes_of(a)), Value::blob(bytes_of(a))}) ==
          Approx(0.0).margin(1e-6));
  }
  CHECK(db.real("SELECT dot_product('[1,2,3]', '[4,5,6]')") == 32.0);
  CHECK(db.real("SELECT l2_distance('[0,0]', '[3,4]')") == 5.0);
  CHECK(db.real("SELECT cosine_similarity('[1,0]', '[0,1]')") == 0.0);
  CHECK(db.real("SELECT cosine_similarity('[1,1]', '[-2,-2]')") == Approx(-1.0).margin(1e-7));
  CHECK(db.real("SELECT cosine_distance('[1,1]', '[-2,-2]')") == Approx(2.0).margin(1e-7));
  CHECK(db.real("SELECT cosine_distance(vector('[1,0]'), '[1,0]')") == 0.0);
}

TEST_CASE("int8 distances are exact", "[functions]") {
  Db db;
  std::mt19937 rng(10);
  for (size_t dims : {1u, 5u, 64u, 384u, 1000u}) {
    INFO("dims " << dims);
    std::vector<int8_t> a = random_int8(rng, dims), b = random_int8(rng, dims);
    a[0] = b[0] = 1;  // neither is a zero vector
    std::vector<Value> args = {Value::text(json_of(a)), Value::blob(bytes_of(b))};
    const std::string ia = "vector_int8(?1)", ib = "vector_int8(?2)";
    CHECK(db.real("SELECT dot_product(" + ia + ", " + ib + ")", args) == dot_ref(a, b));
    CHECK(db.real("SELECT l2_distance(" + ia + ", " + ib + ")", args) == l2_ref(a, b));
    double similarity = dot_ref(a, b) / (norm_ref(a) * norm_ref(b));
    CHECK(db.real("SELECT cosine_similarity(" + ia + ", " + ib + ")", args) == Approx(similarity).margin(1e-12));
    CHECK(db.real("SELECT cosine_distance(" + ia + ", " + ib + ")", args) == Approx(1 - similarity).margin(1e-12));
  }
}

TEST_CASE("distance functions reject mismatched, zero and bit vectors", "[functions]") {
  Db db;
  CHECK(db.error("SELECT cosine_similarity('[1,2,3]', '[1,2]')") ==
        "cosine_similarity: dimension mismatch: expected 3, got 2");
  CHECK(db.error("SELECT cosine_distance('[1]', '[1,2]')") == "cosine_distance: dimension mismatch: expected 1, got 2");
  CHECK(db.error("SELECT dot_product('[1,2]', '[1,2,3,4]')") == "dot_product: dimension mismatch: expected 2, got 4");
  CHECK(db.error("SELECT l2_distance(X'0000803F', X'0000803F00000040')") ==
        "l2_distance: dimension mismatch: expected 1, got 2");
  CHECK(db.error("SELECT dot_product('[1,2]', vector_int8('[1,2]'))") == "dot_product: type mismatch: float32 vs int8");
  CHECK(db.error("SELECT l2_distance(vector_int8('[1,2]'), vector('[1,2]'))") ==
        "l2_distance: type mismatch: int8 vs float32");
  CHECK(db.error("SELECT cosine_similarity(vector_bit(X'01'), '[1,2,3,4,5,6,7,8]')") ==
        "cosine_similarity: type mismatch: bit vs float32");

  CHECK(db.error("SELECT cosine_similarity('[0,0]', '[1,2]')") == "cosine_similarity: undefined for a zero vector");
  CHECK(db.error("SELECT cosine_similarity('[1,2]', '[0,-0]')") == "cosine_similarity: undefined for a zero vector");
  CHECK(db.error("SELECT cosine_distance('[0,0]', '[0,0]')") == "cosine_distance: undefined for a zero vector");
  CHECK(db.error("SELECT cosine_similarity(vector_int8('[0,0]'), vector_int8('[1,2]'))") ==
        "cosine_similarity: undefined for a zero vector");
  // Dot product and L2 are defined for zero vectors.
  CHECK(db.real("SELECT dot_product('[0,0]', '[1,2]')") == 0.0);
  CHECK(db.real("SELECT l2_distance('[0,0]', '[0,0]')") == 0.0);

  for (const char* fn : {"cosine_similarity", "cosine_distance", "dot_product", "l2_distance"}) {
    INFO("function " << fn);
    CHECK(db.error(std::string("SELECT ") + fn + "(vector_bit(X'01'), vector_bit(X'03'))") ==
          std::string(fn) + ": not defined for bit vectors (use hamming_distance)");
    CHECK(db.error(std::string("SELECT ") + fn + "(1, '[1]')") ==
          std::string(fn) + ": expected a vector (a BLOB or JSON array text), got integer");
    CHECK(db.error(std::string("SELECT ") + fn + "('[1]', 2.0)") ==
          std::string(fn) + ": expected a vector (a BLOB or JSON array text), got real");
    CHECK(db.error(std::string("SELECT ") + fn + "(?, '[1,2]')",
                   {Value::blob(bytes_of(std::vector<float>{1, std::numeric_limits<float>::quiet_NaN()}))}) ==
          std::string(fn) + ": element 1 is NaN");
    CHECK(db.error(std::string("SELECT ") + fn + "('[1,2]', ?)",
                   {Value::blob(bytes_of(std::vector<float>{std::numeric_limits<float>::infinity(), 1}))}) ==
          std::string(fn) + ": element 0 is infinite");
  }
}

TEST_CASE("distances handle any finite float32, not only values near 1", "[functions]") {
  // Elements like 1e20 or 1e-25 are valid float32; their products leave
  // float32's range but not the double results'.
  Db db;
  CHECK(db.real("SELECT dot_product('[1e20, 1e20]', '[1e20, 1e20]')") == Approx(2e40).epsilon(1e-6));
  CHECK(db.real("SELECT l2_distance('[1e20, 0]', '[-1e20, 0]')") == Approx(2e20).epsilon(1e-6));
  CHECK(db.real("SELECT cosine_similarity('[1e20, 1e20]', '[1e20, 1e20]')") == Approx(1.0).margin(1e-6));
  CHECK(db.real("SELECT cosine_similarity('[1e-25, 1e-25]', '[1e-25, 2e-25]')") ==
        Approx(3 / std::sqrt(10.0)).margin(1e-6));
}

TEST_CASE("hamming_distance counts differing bits of bit vectors", "[functions]") {
  Db db;
  CHECK(db.integer("SELECT hamming_distance(X'FF', X'00')") == 8);  // bare blobs are bit vectors here
  CHECK(db.integer("SELECT hamming_distance(X'0F0F', X'0F0F')") == 0);
  CHECK(db.integer("SELECT hamming_distance('[1,0,0,1,0,0,0,0]', '[0,0,0,1,0,0,0,1]')") == 2);
  CHECK(db.integer("SELECT hamming_distance(vector_bit(vector('[1,-1,1,-1,1,-1,1,-1]')), X'FF')") == 4);

  std::mt19937 rng(11);
  std::uniform_int_distribution<int> byte(0, 255);
  for (size_t bytes : {1u, 7u, 8u, 33u, 128u, 8192u}) {
    Bytes a(bytes), b(bytes);
    for (size_t i = 0; i < bytes; ++i) {
      a[i] = static_cast<unsigned char>(byte(rng));
      b[i] = static_cast<unsigned char>(byte(rng));
    }
    int64_t expected = 0;
    for (size_t i = 0; i < bytes; ++i)
      for (int bit = 0; bit < 8; ++bit) expected += ((a[i] ^ b[i]) >> bit) & 1;
    INFO("bytes " << bytes);
    CHECK(db.integer("SELECT hamming_distance(?, ?)", {Value::blob(a), Value::blob(b)}) == expected);
    CHECK(db.integer("SELECT hamming_distance(vector_bit(?), ?)", {Value::blob(a), Value::blob(b)}) == expected);
  }

  CHECK(db.error("SELECT hamming_distance(X'FF', X'FFFF')") ==
        "hamming_distance: dimension mismatch: expected 8, got 16");
  CHECK(db.error("SELECT hamming_distance(vector('[1,2,3,4,5,6,7,8]'), X'FF')") ==
        "hamming_distance: expects bit vectors, got float32 (convert with vector_bit)");
  CHECK(db.error("SELECT hamming_distance(X'FF', vector_int8('[1,2,3,4,5,6,7,8]'))") ==
        "hamming_distance: expects bit vectors, got int8 (convert with vector_bit)");
  CHECK(db.error("SELECT hamming_distance('[1,0,1]', '[1,0,1]')") ==
        "hamming_distance: a bit vector needs a multiple of 8 dimensions, got 3");
  CHECK(db.error("SELECT hamming_distance(X'', X'')") == "hamming_distance: empty vector");
}

// ---- NULL handling ---------------------------------------------------------------------

TEST_CASE("NULL in any argument position gives NULL", "[functions]") {
  Db db;
  // Valid arguments for each function; each position is replaced by NULL in turn.
  struct Call {
    const char* name;
    std::vector<std::string> args;
  };
  const std::vector<Call> calls = {
      {"vector", {"'[1,2]'"}},
      {"vector_int8", {"'[1,2]'"}},
      {"vector_int8", {"'[0.5,1]'", "'unit'"}},
      {"vector_bit", {"X'01'"}},
      {"vector_to_json", {"'[1,2]'"}},
      {"vector_dims", {"'[1,2]'"}},
      {"vector_type", {"'[1,2]'"}},
      {"vector_norm", {"'[1,2]'"}},
      {"vector_normalize", {"'[1,2]'"}},
      {"vector_add", {"'[1,2]'", "'[3,4]'"}},
      {"vector_sub", {"'[1,2]'", "'[3,4]'"}},
      {"vector_scale", {"'[1,2]'", "2"}},
      {"vector_slice", {"'[1,2,3]'", "0", "2"}},
      {"vector_mean", {"'[1,2]'"}},
      {"cosine_similarity", {"'[1,2]'", "'[3,4]'"}},
      {"cosine_distance", {"'[1,2]'", "'[3,4]'"}},
      {"dot_product", {"'[1,2]'", "'[3,4]'"}},
      {"l2_distance", {"'[1,2]'", "'[3,4]'"}},
      {"hamming_distance", {"X'01'", "X'03'"}},
  };
  for (const Call& call : calls) {
    auto sql = [&](int null_at) {
      std::string s = std::string("SELECT ") + call.name + "(";
      for (size_t i = 0; i < call.args.size(); ++i) s += (i ? ", " : "") + (int(i) == null_at ? "NULL" : call.args[i]);
      return s + ")";
    };
    INFO("call " << sql(-1));
    Result valid = db.run(sql(-1));
    CHECK(valid.ok());
    CHECK(first(valid).type != SQLITE_NULL);  // the control: without NULL there is a value
    for (size_t i = 0; i < call.args.size(); ++i) {
      INFO("NULL at argument " << i);
      Result r = db.run(sql(static_cast<int>(i)));
      CHECK(r.error == "");
      CHECK_FALSE(r.rows.empty());
      CHECK(first(r).type == SQLITE_NULL);
      // Bound NULLs behave the same as literal ones.
      std::string bound = sql(static_cast<int>(i));
      bound.replace(bound.find("NULL"), 4, "?");
      Result b = db.run(bound, {Value::null()});
      CHECK(b.error == "");
      CHECK_FALSE(b.rows.empty());
      CHECK(first(b).type == SQLITE_NULL);
    }
  }
}

// ---- schemas: CHECK, generated columns, indexes, views, triggers ----------------------

TEST_CASE("the documented column declaration rejects wrong dimensions in a STRICT table", "[functions]") {
  Db db;
  db.exec("CREATE TABLE docs(id INTEGER PRIMARY KEY, embedding BLOB CHECK (vector_dims(embedding) = 3)) STRICT");
  db.exec("INSERT INTO docs(embedding) VALUES (vector('[1,2,3]'))");
  CHECK(db.run("INSERT INTO docs(embedding) VALUES (?)", {Value::blob(bytes_of(std::vector<float>{4, 5, 6}))}).ok());
  CHECK(db.error("INSERT INTO docs(embedding) VALUES (vector('[1,2]'))") ==
        "CHECK constraint failed: vector_dims(embedding) = 3");
  // Invalid blobs fail the CHECK's function call itself.
  CHECK(db.error("INSERT INTO docs(embedding) VALUES (X'00000000000000')") ==
        "vector_dims: blob of 7 bytes is not a float32 vector (length must be a multiple of 4)");
  // STRICT still refuses JSON text in a BLOB column.
  CHECK(db.error("INSERT INTO docs(embedding) VALUES ('[1,2,3]')") ==
        "cannot store TEXT value in BLOB column docs.embedding");
  CHECK(db.integer("SELECT count(*) FROM docs") == 2);
}

namespace {
// The EXPLAIN QUERY PLAN details of a statement, joined by "; ".
std::string query_plan(const Db& db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db.handle(), ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  std::string plan;
  while (sqlite3_step(stmt) == SQLITE_ROW)
    plan += std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3))) + "; ";
  sqlite3_finalize(stmt);
  return plan;
}
}  // namespace

TEST_CASE("the functions are allowed where SQLite requires deterministic functions", "[functions]") {
  Db db;
  // Generated columns, index expressions and partial-index WHERE clauses
  // reject non-deterministic functions; the control proves it.
  CHECK(db.error("CREATE TABLE bad(v BLOB, r AS (random()))") ==
        "non-deterministic functions prohibited in generated columns");
  db.exec(
      "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB,"
      " dims INTEGER AS (vector_dims(v)),"
      " norm REAL AS (vector_norm(v)) STORED,"
      " sim REAL AS (cosine_similarity(v, '[1,0,0]')))");
  db.exec("CREATE INDEX t_norm ON t(vector_norm(v))");
  db.exec("CREATE INDEX t_dot ON t(dot_product(v, vector('[0,1,0]'))) WHERE vector_dims(v) = 3");
  db.exec(
      "CREATE INDEX t_l2 ON t(l2_distance(v, '[0,0,0]'), hamming_distance(vector_bit(vector_slice(v, 0, 8)), X'00'))"
      " WHERE vector_dims(v) >= 8");
  db.exec("INSERT INTO t(v) VALUES (vector('[3,4,0]')), (vector('[0,0,5]'))");
  CHECK(db.integer("SELECT dims FROM t WHERE id = 1") == 3);
  CHECK(db.real("SELECT norm FROM t WHERE id = 1") == 5.0);
  CHECK(db.real("SELECT sim FROM t WHERE id = 1") == Approx(0.6).epsilon(1e-6));
  // The planner uses the expression index: the answer comes through it.
  CHECK(db.integer("SELECT id FROM t WHERE vector_norm(v) = 5 ORDER BY id") == 1);
  CHECK(query_plan(db, "SELECT id FROM t WHERE vector_norm(v) > 4.5").find("t_norm") != std::string::npos);
}

namespace {
void untrusted_fn(sqlite3_context* ctx, int, sqlite3_value**) { sqlite3_result_int(ctx, 1); }
}  // namespace

TEST_CASE("the functions work in views and triggers with trusted_schema off", "[functions]") {
  Db db;
  // A control: a function without SQLITE_INNOCUOUS is refused there.
  REQUIRE(sqlite3_create_function_v2(db.handle(), "not_innocuous", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                     untrusted_fn, nullptr, nullptr, nullptr) == SQLITE_OK);
  db.exec("CREATE TABLE items(id INTEGER PRIMARY KEY, v BLOB)");
  db.exec("CREATE TABLE log(id INTEGER, dims INTEGER, kind TEXT, json TEXT)");
  db.exec("CREATE VIEW bad_view AS SELECT not_innocuous(v) FROM items");
  db.exec(
      "CREATE VIEW item_stats AS SELECT id, vector_dims(v) AS dims, vector_norm(v) AS norm,"
      " vector_to_json(vector_normalize(v)) AS unit, vector_type(vector_int8(v, 'max')) AS q,"
      " cosine_distance(v, vector('[1,0]')) AS cd, dot_product(v, '[1,1]') AS dp, l2_distance(v, '[0,0]') AS l2,"
      " hamming_distance(vector_bit(X'0F'), X'01') AS hd,"
      " vector_to_json(vector_add(vector_scale(v, 2), vector_sub(v, v))) AS arith,"
      " vector_to_json(vector_slice(v, 0, 1)) AS head,"
      " quiver_version() AS ver, quiver_simd() AS simd FROM items");
  db.exec("CREATE VIEW centroid AS SELECT vector_to_json(vector_mean(v)) AS c FROM items");
  db.exec(
      "CREATE TRIGGER items_log AFTER INSERT ON items BEGIN"
      " INSERT INTO log VALUES (new.id, vector_dims(new.v), vector_type(vector_int8(new.v, 'max')),"
      " vector_to_json(vector(new.v))); END");
  db.exec("PRAGMA trusted_schema = OFF");

  CHECK(db.error("SELECT * FROM bad_view") == "unsafe use of not_innocuous()");
  REQUIRE(db.run("INSERT INTO items(v) VALUES (vector('[3,4]'))").error == "");
  CHECK(db.text("SELECT kind || ' ' || dims || ' ' || json FROM log") == "int8 2 [3,4]");
  Result stats = db.run("SELECT * FROM item_stats");  // every column is evaluated
  CHECK(stats.error == "");
  CHECK(db.real("SELECT norm FROM item_stats") == 5.0);
  CHECK(db.text("SELECT arith || ' ' || head || ' ' || hd || ' ' || q FROM item_stats") == "[6,8] [3] 3 int8");
  CHECK(db.text("SELECT unit FROM item_stats") == "[0.6,0.8]");
  CHECK(db.real("SELECT l2 FROM item_stats") == 5.0);
  CHECK(db.text("SELECT c FROM centroid") == "[3,4]");
}

// ---- limits -------------------------------------------------------------------------------

TEST_CASE("vectors of up to kMaxDims dimensions are accepted, not one more", "[functions]") {
  Db db;
  const int64_t max = quiver::kMaxDims;
  const std::string max_text = std::to_string(max);
  CHECK(db.integer("SELECT vector_dims(vector(zeroblob(?)))", {Value::integer(4 * max)}) == max);
  CHECK(db.error("SELECT vector_dims(vector(zeroblob(?)))", {Value::integer(4 * (max + 1))}) ==
        "vector: " + std::to_string(max + 1) + " dimensions exceed the maximum of " + max_text);
  CHECK(db.integer("SELECT vector_dims(vector_int8(zeroblob(?)))", {Value::integer(max)}) == max);
  CHECK(db.error("SELECT vector_int8(zeroblob(?))", {Value::integer(max + 1)}) ==
        "vector_int8: " + std::to_string(max + 1) + " dimensions exceed the maximum of " + max_text);
  CHECK(db.integer("SELECT vector_dims(vector_bit(zeroblob(?)))", {Value::integer(max / 8)}) == max);
  CHECK(db.error("SELECT vector_bit(zeroblob(?))", {Value::integer(max / 8 + 1)}) ==
        "vector_bit: " + std::to_string(max + 8) + " dimensions exceed the maximum of " + max_text);

  // JSON text at and beyond the limit.
  auto ones = [](int64_t n) {
    std::string s = "[1";
    for (int64_t i = 1; i < n; ++i) s += ",1";
    return s + "]";
  };
  CHECK(db.integer("SELECT vector_dims(?)", {Value::text(ones(max))}) == max);
  CHECK(db.error("SELECT vector_dims(?)", {Value::text(ones(max + 1))}) ==
        "vector_dims: more than " + max_text + " dimensions");

  // Distances at the limit against the brute-force reference.
  std::mt19937 rng(12);
  std::vector<float> a = random_floats(rng, max), b = random_floats(rng, max);
  const double similarity = dot_ref(a, b) / (norm_ref(a) * norm_ref(b));
  const double cos_tol = kRelTol * (abs_dot_ref(a, b) / (norm_ref(a) * norm_ref(b)) + std::fabs(similarity));
  CHECK(std::fabs(db.real("SELECT cosine_similarity(?, ?)", {Value::blob(bytes_of(a)), Value::blob(bytes_of(b))}) -
                  similarity) <= cos_tol);
  CHECK(std::fabs(db.real("SELECT dot_product(?, ?)", {Value::blob(bytes_of(a)), Value::blob(bytes_of(b))}) -
                  dot_ref(a, b)) <= kRelTol * abs_dot_ref(a, b));
  CHECK(db.real("SELECT l2_distance(?, ?)", {Value::blob(bytes_of(a)), Value::blob(bytes_of(b))}) ==
        Approx(l2_ref(a, b)).epsilon(kRelTol));

  std::vector<int8_t> lows(max, -128), highs(max, 127);
  std::vector<Value> ints = {Value::blob(bytes_of(lows)), Value::blob(bytes_of(highs))};
  CHECK(db.real("SELECT l2_distance(vector_int8(?1), vector_int8(?2))", ints) ==
        std::sqrt(static_cast<double>(max) * 255 * 255));
  CHECK(db.real("SELECT dot_product(vector_int8(?1), vector_int8(?1))", ints) == static_cast<double>(max) * 16384);
  CHECK(db.real("SELECT cosine_distance(vector_int8(?1), vector_int8(?2))", ints) == Approx(2.0).margin(1e-12));
}
