// The pure vector layer (ext/core/vector.h, ext/core/vector_math.h): blob validation,
// JSON parsing and printing, the int8/bit conversions and the element-wise
// arithmetic. No SQLite here.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "vector.h"
#include "vector_math.h"

using namespace quiver;

namespace {

uint32_t bits_of(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}

float float_of(uint32_t u) {
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}

std::vector<unsigned char> f32_bytes(const std::vector<float>& values) {
  std::vector<unsigned char> out(values.size() * 4);
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

// Parses and requires success; returns the values.
std::vector<float> parse_ok(const std::string& text) {
  std::vector<float> out;
  Status s = parse_json(text, &out);
  INFO("input: " << text);
  REQUIRE(s.message() == "");
  REQUIRE(s.ok());
  return out;
}

// Parses and requires failure; returns the message.
std::string parse_error(const std::string& text) {
  std::vector<float> out;
  Status s = parse_json(text, &out);
  INFO("input: " << text);
  REQUIRE_FALSE(s.ok());
  return s.message();
}

VectorView f32_view(const std::vector<float>& v) {
  return VectorView{ElementType::Float32, static_cast<uint32_t>(v.size()), v.data()};
}

VectorView i8_view(const std::vector<int8_t>& v) {
  return VectorView{ElementType::Int8, static_cast<uint32_t>(v.size()), v.data()};
}

// A JSON array of `n` copies of "1".
std::string ones_json(size_t n) {
  std::string s = "[";
  for (size_t i = 0; i < n; ++i) s += i ? ",1" : "1";
  return s + "]";
}

}  // namespace

// ---- format basics ---------------------------------------------------------

TEST_CASE("element type names and encoded sizes follow the vector format", "[vector]") {
  CHECK(std::string(element_type_name(ElementType::Float32)) == "float32");
  CHECK(std::string(element_type_name(ElementType::Int8)) == "int8");
  CHECK(std::string(element_type_name(ElementType::Bit)) == "bit");
  CHECK(encoded_size(ElementType::Float32, 3) == 12);
  CHECK(encoded_size(ElementType::Int8, 3) == 3);
  CHECK(encoded_size(ElementType::Bit, 16) == 2);
  CHECK(encoded_size(ElementType::Float32, kMaxDims) == size_t{kMaxDims} * 4);
}

TEST_CASE("VectorView reads elements from unaligned storage", "[vector]") {
  // Float bytes start at offset 1 so every element is misaligned.
  std::vector<float> values = {1.5f, -2.25f, 3e-20f};
  std::vector<unsigned char> buf(1 + values.size() * 4);
  std::memcpy(buf.data() + 1, values.data(), values.size() * 4);
  VectorView v{ElementType::Float32, 3, buf.data() + 1};
  CHECK(v.bytes() == 12);
  for (uint32_t i = 0; i < 3; ++i) {
    CHECK(bits_of(v.f32(i)) == bits_of(values[i]));
    CHECK(v.element(i) == double{values[i]});
  }

  std::vector<int8_t> ints = {-128, 0, 127};
  VectorView iv = i8_view(ints);
  CHECK(iv.i8(0) == -128);
  CHECK(iv.element(2) == 127.0);

  unsigned char packed[2] = {0x81, 0x02};  // bits 0, 7 and 9 set
  VectorView bv{ElementType::Bit, 16, packed};
  CHECK(bv.bytes() == 2);
  for (uint32_t i = 0; i < 16; ++i) {
    bool expected = i == 0 || i == 7 || i == 9;
    INFO("bit " << i);
    CHECK(bv.bit(i) == expected);
    CHECK(bv.element(i) == (expected ? 1.0 : 0.0));
  }
}

// ---- view_blob ---------------------------------------------------------------

TEST_CASE("view_blob borrows a valid blob of each type", "[vector][view_blob]") {
  std::vector<unsigned char> f32 = f32_bytes({1, -2, 0.5f});
  VectorView v;
  REQUIRE(view_blob(ElementType::Float32, f32.data(), f32.size(), &v).ok());
  CHECK(v.type == ElementType::Float32);
  CHECK(v.dims == 3);
  CHECK(v.data == f32.data());  // borrowed, not copied

  unsigned char bytes[5] = {0x80, 0x7f, 0xff, 0x00, 0x01};  // any byte is a valid int8 or bit octet
  REQUIRE(view_blob(ElementType::Int8, bytes, 5, &v).ok());
  CHECK(v.type == ElementType::Int8);
  CHECK(v.dims == 5);
  CHECK(v.data == bytes);
  REQUIRE(view_blob(ElementType::Bit, bytes, 5, &v).ok());
  CHECK(v.type == ElementType::Bit);
  CHECK(v.dims == 40);
}

TEST_CASE("view_blob rejects empty blobs and float32 blobs of a bad length", "[vector][view_blob]") {
  unsigned char bytes[8] = {};
  VectorView v;
  for (ElementType t : {ElementType::Float32, ElementType::Int8, ElementType::Bit}) {
    INFO("type " << element_type_name(t));
    CHECK(view_blob(t, bytes, 0, &v).message() == "empty vector");
  }
  for (size_t n : {1u, 2u, 3u, 5u, 7u}) {
    INFO("bytes " << n);
    CHECK(view_blob(ElementType::Float32, bytes, n, &v).message() ==
          "blob of " + std::to_string(n) + " bytes is not a float32 vector (length must be a multiple of 4)");
  }
}

TEST_CASE("view_blob rejects NaN and infinite float32 elements, naming the first", "[vector][view_blob]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  VectorView v;
  auto check = [&](std::vector<float> values, const std::string& expected) {
    std::vector<unsigned char> b = f32_bytes(values);
    CHECK(view_blob(ElementType::Float32, b.data(), b.size(), &v).message() == expected);
  };
  check({1, 2, nan}, "element 2 is NaN");
  check({nan}, "element 0 is NaN");
  check({-nan, 1}, "element 0 is NaN");
  check({0, inf}, "element 1 is infinite");
  check({-inf, 0}, "element 0 is infinite");
  check({1, inf, nan}, "element 1 is infinite");  // the first bad element wins
  check({1, nan, inf}, "element 1 is NaN");
  // Signalling NaN and the NaN with the smallest payload are NaN too.
  check({float_of(0x7f800001u)}, "element 0 is NaN");
  check({0, float_of(0xff800001u)}, "element 1 is NaN");
  check({float_of(0x7fa00000u)}, "element 0 is NaN");

  // A bad element far into a long vector is found.
  std::vector<float> longv(1000, 0.25f);
  longv[777] = nan;
  check(longv, "element 777 is NaN");

  // The largest finite values, subnormals and negative zero are fine.
  std::vector<unsigned char> ok = f32_bytes({std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
                                             float_of(1), -0.0f, std::numeric_limits<float>::min()});
  CHECK(view_blob(ElementType::Float32, ok.data(), ok.size(), &v).ok());
}

TEST_CASE("view_blob enforces the dimension limit for each type", "[vector][view_blob]") {
  std::vector<unsigned char> zeros(size_t{kMaxDims} * 4 + 4, 0);
  VectorView v;
  const std::string max = std::to_string(kMaxDims);

  CHECK(view_blob(ElementType::Float32, zeros.data(), size_t{kMaxDims} * 4, &v).ok());
  CHECK(v.dims == kMaxDims);
  CHECK(view_blob(ElementType::Float32, zeros.data(), size_t{kMaxDims} * 4 + 4, &v).message() ==
        std::to_string(kMaxDims + 1) + " dimensions exceed the maximum of " + max);

  CHECK(view_blob(ElementType::Int8, zeros.data(), kMaxDims, &v).ok());
  CHECK(view_blob(ElementType::Int8, zeros.data(), kMaxDims + 1, &v).message() ==
        std::to_string(kMaxDims + 1) + " dimensions exceed the maximum of " + max);

  CHECK(view_blob(ElementType::Bit, zeros.data(), kMaxDims / 8, &v).ok());
  CHECK(v.dims == kMaxDims);
  CHECK(view_blob(ElementType::Bit, zeros.data(), kMaxDims / 8 + 1, &v).message() ==
        std::to_string(kMaxDims + 8) + " dimensions exceed the maximum of " + max);
}

// ---- parse_json --------------------------------------------------------------

TEST_CASE("parse_json reads numbers with JSON whitespace, signs and exponents", "[vector][json]") {
  CHECK(parse_ok("[1]") == std::vector<float>{1});
  CHECK(parse_ok("[0.1, -2, 3e-4]") == std::vector<float>{0.1f, -2.0f, 3e-4f});
  CHECK(parse_ok(" \t\r\n[ \t\r\n1 \t\r\n, \n2\r]\t \n") == std::vector<float>{1, 2});
  CHECK(parse_ok("[1e5,1E5,1e+5,1E+05,-1e-5,2.5e0]") == std::vector<float>{1e5f, 1e5f, 1e5f, 1e5f, -1e-5f, 2.5f});
  CHECK(parse_ok("[123456789]") == std::vector<float>{123456789.0f});  // correctly rounded

  // Negative zero keeps its sign bit.
  std::vector<float> z = parse_ok("[-0, 0, -0.0, 0e0]");
  CHECK(bits_of(z[0]) == 0x80000000u);
  CHECK(bits_of(z[1]) == 0u);
  CHECK(bits_of(z[2]) == 0x80000000u);
  CHECK(bits_of(z[3]) == 0u);
}

TEST_CASE("parse_json rounds correctly at the float32 range edges", "[vector][json]") {
  // FLT_MAX is 3.4028234664e38; values round to infinity from 3.40282356779733e38.
  CHECK(bits_of(parse_ok("[3.4028235e38]")[0]) == 0x7f7fffffu);
  CHECK(bits_of(parse_ok("[3.40282356e38]")[0]) == 0x7f7fffffu);
  CHECK(bits_of(parse_ok("[-3.40282356e38]")[0]) == 0xff7fffffu);
  CHECK(parse_error("[3.40282357e38]") == "element 0 (3.40282357e38) is out of float32 range");
  CHECK(parse_error("[1, 1e39]") == "element 1 (1e39) is out of float32 range");
  CHECK(parse_error("[-1e39]") == "element 0 (-1e39) is out of float32 range");
  CHECK(parse_error("[1e999]") == "element 0 (1e999) is out of float32 range");

  // The smallest subnormal is 1.4013e-45; half of it (7.006e-46) rounds to zero.
  CHECK(bits_of(parse_ok("[1e-45]")[0]) == 1u);
  CHECK(bits_of(parse_ok("[7.1e-46]")[0]) == 1u);
  CHECK(bits_of(parse_ok("[7e-46]")[0]) == 0u);
  CHECK(bits_of(parse_ok("[2.1e-45]")[0]) == 1u);
  CHECK(bits_of(parse_ok("[2.2e-45]")[0]) == 2u);
  CHECK(bits_of(parse_ok("[1.1754942e-38]")[0]) == 0x007fffffu);  // largest subnormal
  CHECK(bits_of(parse_ok("[1.1754944e-38]")[0]) == 0x00800000u);  // FLT_MIN
}

TEST_CASE("parse_json rounds values below float32's range to zero", "[vector][json]") {
  // vector.h: "values below it round to a subnormal or zero". Below the
  // double range too, the value is still a tiny number, not out of range.
  CHECK(bits_of(parse_ok("[1e-50]")[0]) == 0u);
  CHECK(bits_of(parse_ok("[-1e-50]")[0]) == 0x80000000u);
  CHECK(bits_of(parse_ok("[1e-400]")[0]) == 0u);
  CHECK(bits_of(parse_ok("[-1e-400]")[0]) == 0x80000000u);
}

TEST_CASE("parse_json rejects malformed input with the offset of the problem", "[vector][json]") {
  const std::string m = "malformed JSON vector: ";
  CHECK(parse_error("") == m + "expected '[' at offset 0");
  CHECK(parse_error("   ") == m + "expected '[' at offset 3");
  CHECK(parse_error("1,2") == m + "expected '[' at offset 0");
  CHECK(parse_error("{\"a\":1}") == m + "expected '[' at offset 0");
  CHECK(parse_error("[") == m + "expected a number at offset 1");
  CHECK(parse_error("[]") == "empty vector");
  CHECK(parse_error("[ \n ]") == "empty vector");
  CHECK(parse_error("[1,]") == m + "expected a number at offset 3");
  CHECK(parse_error("[1, ]") == m + "expected a number at offset 4");
  CHECK(parse_error("[,1]") == m + "expected a number at offset 1");
  CHECK(parse_error("[1,,2]") == m + "expected a number at offset 3");
  CHECK(parse_error("[1 2]") == m + "expected ',' or ']' at offset 3");
  CHECK(parse_error("[1;2]") == m + "expected ',' or ']' at offset 2");
  CHECK(parse_error("[1,2") == m + "expected ',' or ']' at offset 4");
  CHECK(parse_error("[1") == m + "expected ',' or ']' at offset 2");
  CHECK(parse_error("[nan]") == m + "expected a number at offset 1");
  CHECK(parse_error("[NaN]") == m + "expected a number at offset 1");
  CHECK(parse_error("[-nan]") == m + "expected a number at offset 1");
  CHECK(parse_error("[inf]") == m + "expected a number at offset 1");
  CHECK(parse_error("[-inf]") == m + "expected a number at offset 1");
  CHECK(parse_error("[Infinity]") == m + "expected a number at offset 1");
  CHECK(parse_error("[+1]") == m + "expected a number at offset 1");
  CHECK(parse_error("[.5]") == m + "expected a number at offset 1");
  CHECK(parse_error("[-.5]") == m + "expected a number at offset 1");
  CHECK(parse_error("[-]") == m + "expected a number at offset 1");
  CHECK(parse_error("[- 1]") == m + "expected a number at offset 1");
  CHECK(parse_error("[\"1\"]") == m + "expected a number at offset 1");
  CHECK(parse_error("[1, \"2\"]") == m + "expected a number at offset 4");
  CHECK(parse_error("[[1]]") == m + "expected a number at offset 1");
  CHECK(parse_error("[true]") == m + "expected a number at offset 1");
  CHECK(parse_error("[null]") == m + "expected a number at offset 1");
  CHECK(parse_error("[0x10]") == m + "expected ',' or ']' at offset 2");
  // Strict JSON numbers: no dangling exponent or point, no leading zeros.
  CHECK(parse_error("[1e]") == m + "expected a number at offset 1");
  CHECK(parse_error("[1e+]") == m + "expected a number at offset 1");
  CHECK(parse_error("[1.]") == m + "expected a number at offset 1");
  CHECK(parse_error("[01]") == m + "expected ',' or ']' at offset 2");
  CHECK(parse_error("[-01]") == m + "expected ',' or ']' at offset 3");
  CHECK(parse_error("[1] x") == m + "unexpected text after ']' at offset 4");
  CHECK(parse_error("[1]]") == m + "unexpected text after ']' at offset 3");
  CHECK(parse_error("[1][2]") == m + "unexpected text after ']' at offset 3");
  // An embedded NUL is text, not the end of the input.
  CHECK(parse_error(std::string("[1]\0", 4)) == m + "unexpected text after ']' at offset 3");
  CHECK(parse_error(std::string("[1\0]", 4)) == m + "expected ',' or ']' at offset 2");
}

TEST_CASE("parse_json clears its output and accepts up to the dimension limit", "[vector][json]") {
  std::vector<float> out = {9, 9, 9};
  REQUIRE(parse_json("[4]", &out).ok());
  CHECK(out == std::vector<float>{4});

  std::vector<float> big = parse_ok(ones_json(kMaxDims));
  CHECK(big.size() == kMaxDims);
  CHECK(parse_error(ones_json(kMaxDims + 1)) == "more than " + std::to_string(kMaxDims) + " dimensions");
}

// ---- to_json -----------------------------------------------------------------

TEST_CASE("to_json prints the shortest text for each element type", "[vector][json]") {
  std::vector<float> f = {1, 2, 0.1f, -0.0f, 1e-45f, 3.4028235e38f, -2.5f};
  CHECK(to_json(f32_view(f)) == "[1,2,0.1,-0,1e-45,3.4028235e+38,-2.5]");

  std::vector<int8_t> i = {-128, -1, 0, 1, 127};
  CHECK(to_json(i8_view(i)) == "[-128,-1,0,1,127]");

  unsigned char packed[1] = {0x09};  // bits 0 and 3
  CHECK(to_json(VectorView{ElementType::Bit, 8, packed}) == "[1,0,0,1,0,0,0,0]");
}

TEST_CASE("float32 values round-trip bit-exactly through to_json and parse_json", "[vector][json]") {
  // Random bit patterns cover normals, subnormals and both zeros; NaN and
  // Inf (exponent all ones) are not vectors and are skipped.
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<uint32_t> any_bits;
  auto finite = [](uint32_t u) { return (u & 0x7f800000u) != 0x7f800000u; };

  auto round_trip = [](const std::vector<uint32_t>& patterns) {
    std::vector<float> values(patterns.size());
    std::memcpy(values.data(), patterns.data(), values.size() * 4);
    std::string json = to_json(f32_view(values));
    std::vector<float> back;
    Status s = parse_json(json, &back);
    REQUIRE(s.message() == "");
    REQUIRE(back.size() == values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      if (bits_of(back[i]) != patterns[i]) {
        FAIL("pattern 0x" << std::hex << patterns[i] << " printed within \"" << json << "\" read back as 0x"
                          << bits_of(back[i]));
      }
    }
  };

  std::vector<uint32_t> batch;
  for (int n = 0; n < 200000; ++n) {
    uint32_t u = any_bits(rng);
    if (!finite(u)) continue;
    batch.push_back(u);
    if (batch.size() == 64) {
      round_trip(batch);
      batch.clear();
    }
  }
  // Subnormals (exponent zero) are rare among random patterns: test many.
  for (int n = 0; n < 50000; ++n) {
    batch.push_back(any_bits(rng) & 0x807fffffu);
    if (batch.size() == 64) {
      round_trip(batch);
      batch.clear();
    }
  }
  // And the edges of every range, one per vector so each is checked alone.
  for (uint32_t u : {0x00000000u, 0x80000000u, 0x00000001u, 0x80000001u, 0x007fffffu, 0x00800000u, 0x00800001u,
                     0x7f7fffffu, 0xff7fffffu, 0x3f800000u, 0x3f800001u, 0x3f7fffffu, 0x4b800000u, 0x4b800001u})
    round_trip({u});
  if (!batch.empty()) round_trip(batch);
}

// ---- encode / quantize ------------------------------------------------------

TEST_CASE("encode_float32 writes little-endian IEEE-754 bytes", "[vector][encode]") {
  std::vector<float> values = {1, 2, -0.0f};
  unsigned char out[12];
  encode_float32(values.data(), 3, out);
  const unsigned char expected[12] = {0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x80};
  CHECK(std::memcmp(out, expected, 12) == 0);
}

TEST_CASE("encode_int8_exact accepts integers from -128 to 127 only", "[vector][encode]") {
  std::vector<float> ok = {-128, 127, 0, -0.0f, 5, -1};
  int8_t out[6];
  REQUIRE(encode_int8_exact(ok.data(), 6, out).ok());
  const unsigned char expected[6] = {0x80, 0x7f, 0x00, 0x00, 0x05, 0xff};
  CHECK(std::memcmp(out, expected, 6) == 0);

  auto error = [](std::vector<float> v) {
    std::vector<int8_t> o(v.size());
    return encode_int8_exact(v.data(), static_cast<uint32_t>(v.size()), o.data()).message();
  };
  CHECK(error({1.5f}) == "element 0 (1.5) is not an integer in [-128, 127]");
  CHECK(error({1, 128}) == "element 1 (128) is not an integer in [-128, 127]");
  CHECK(error({0, 0, -129}) == "element 2 (-129) is not an integer in [-128, 127]");
  CHECK(error({0.001f}) == "element 0 (0.001) is not an integer in [-128, 127]");
  CHECK(error({1e10f}) == "element 0 (1e+10) is not an integer in [-128, 127]");
  CHECK(error({-127.5f}) == "element 0 (-127.5) is not an integer in [-128, 127]");
}

TEST_CASE("quantize_int8 'max' scales each vector by 127 / max|x|", "[vector][quantize]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
  for (uint32_t dims : {1u, 2u, 7u, 64u, 1000u}) {
    std::vector<float> v(dims);
    for (float& x : v) x = dist(rng);
    std::vector<int8_t> q(dims);
    REQUIRE(quantize_int8(f32_view(v), Int8Scale::Max, q.data()).ok());
    double max_abs = 0;
    for (float x : v) max_abs = std::max(max_abs, std::fabs(double{x}));
    bool reached_127 = false;
    for (uint32_t i = 0; i < dims; ++i) {
      double expected = std::round(v[i] * 127.0 / max_abs);
      INFO("dims " << dims << " element " << i << " value " << v[i]);
      CHECK(q[i] == static_cast<int>(expected));
      reached_127 |= std::abs(q[i]) == 127;
    }
    CHECK(reached_127);  // the largest magnitude always maps to +-127
  }

  // A zero vector stays zero instead of dividing by zero.
  std::vector<float> zero(5, 0.0f);
  std::vector<int8_t> q(5, 99);
  REQUIRE(quantize_int8(f32_view(zero), Int8Scale::Max, q.data()).ok());
  CHECK(q == std::vector<int8_t>(5, 0));

  // -128 is never produced: the scale is symmetric.
  std::vector<float> neg = {-4, 2, 1};
  REQUIRE(quantize_int8(f32_view(neg), Int8Scale::Max, q.data()).ok());
  CHECK(q[0] == -127);
  CHECK(q[1] == 64);  // 63.5 rounds to even
  CHECK(q[2] == 32);  // 31.75

  // int8 input is re-scaled as numbers.
  std::vector<int8_t> ints = {-128, 64, 0};
  REQUIRE(quantize_int8(i8_view(ints), Int8Scale::Max, q.data()).ok());
  CHECK(q[0] == -127);
  CHECK(q[1] == 64);  // 63.5 rounds to even
  CHECK(q[2] == 0);
}

TEST_CASE("quantize_int8 'unit' maps -1..1 to -127..127 and rejects the rest", "[vector][quantize]") {
  std::vector<float> v = {-1, 1, 0, 0.5f, -0.25f, 0.004f, 0.003f};
  std::vector<int8_t> q(v.size());
  REQUIRE(quantize_int8(f32_view(v), Int8Scale::Unit, q.data()).ok());
  for (size_t i = 0; i < v.size(); ++i) {
    INFO("element " << i);
    CHECK(q[i] == static_cast<int>(std::round(v[i] * 127.0)));
  }
  CHECK(q[0] == -127);
  CHECK(q[1] == 127);

  std::vector<float> out_of_range = {0, 0.5f, 1.0001f};
  CHECK(quantize_int8(f32_view(out_of_range), Int8Scale::Unit, q.data()).message() ==
        "element 2 is outside [-1, 1] for 'unit' scaling");
  std::vector<float> neg = {-1.5f};
  CHECK(quantize_int8(f32_view(neg), Int8Scale::Unit, q.data()).message() ==
        "element 0 is outside [-1, 1] for 'unit' scaling");
}

TEST_CASE("quantize_bit sets bit i of byte i/8, LSB first, for elements > 0", "[vector][quantize]") {
  // Element 0 -> bit 0 of byte 0; element 8 -> bit 0 of byte 1.
  std::vector<float> v = {1, -1, 0, 2, 0, 0, 0, 0.5f, /* byte 1: */ 0, 0, 0, 0, 0, 0, 0, 3};
  unsigned char out[2] = {0xaa, 0xaa};  // garbage to be overwritten
  quantize_bit(f32_view(v), out);
  CHECK(out[0] == 0x89);  // bits 0, 3, 7
  CHECK(out[1] == 0x80);  // bit 7

  // Zero, negative zero and negatives are 0; the smallest positive is 1.
  std::vector<float> edges = {0.0f, -0.0f, -1e-45f, 1e-45f, -3e38f, 3e38f, 0, 0};
  quantize_bit(f32_view(edges), out);
  CHECK(out[0] == 0x28);  // bits 3 and 5

  // Random vectors against a bit-by-bit reference; int8 input too.
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> dist(-128, 127);
  std::vector<int8_t> ints(256);
  for (int8_t& x : ints) x = static_cast<int8_t>(dist(rng));
  std::vector<unsigned char> packed(32);
  quantize_bit(i8_view(ints), packed.data());
  for (size_t i = 0; i < ints.size(); ++i) {
    INFO("element " << i);
    CHECK(((packed[i / 8] >> (i % 8)) & 1) == (ints[i] > 0 ? 1 : 0));
  }
}

TEST_CASE("widen_to_float converts every type to float values", "[vector][encode]") {
  std::vector<float> f = {1.5f, -0.0f};
  float out[16];
  widen_to_float(f32_view(f), out);
  CHECK(bits_of(out[0]) == bits_of(1.5f));
  CHECK(bits_of(out[1]) == 0x80000000u);

  std::vector<int8_t> i = {-128, 127, 0};
  widen_to_float(i8_view(i), out);
  CHECK(out[0] == -128.0f);
  CHECK(out[1] == 127.0f);
  CHECK(out[2] == 0.0f);

  unsigned char packed[2] = {0x01, 0x80};
  widen_to_float(VectorView{ElementType::Bit, 16, packed}, out);
  for (int k = 0; k < 16; ++k) {
    INFO("bit " << k);
    CHECK(out[k] == ((k == 0 || k == 15) ? 1.0f : 0.0f));
  }
}

// ---- vector_math -----------------------------------------------------------------

TEST_CASE("vector_add and vector_sub compute in double and round to float32", "[vector][math]") {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-100.0f, 100.0f);
  std::vector<float> a(333), b(333), sum(333), diff(333);
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = dist(rng);
    b[i] = dist(rng);
  }
  REQUIRE(vector_add(f32_view(a), f32_view(b), sum.data()).ok());
  REQUIRE(vector_sub(f32_view(a), f32_view(b), diff.data()).ok());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("element " << i);
    CHECK(sum[i] == static_cast<float>(double{a[i]} + double{b[i]}));
    CHECK(diff[i] == static_cast<float>(double{a[i]} - double{b[i]}));
  }

  // int8 operands are numbers; the result is float32 and may leave int8's range.
  std::vector<int8_t> x = {127, -128, 5};
  std::vector<int8_t> y = {127, -128, -5};
  float out[3];
  REQUIRE(vector_add(i8_view(x), i8_view(y), out).ok());
  CHECK(out[0] == 254.0f);
  CHECK(out[1] == -256.0f);
  CHECK(out[2] == 0.0f);
  REQUIRE(vector_sub(i8_view(x), i8_view(y), out).ok());
  CHECK(out[2] == 10.0f);
}

TEST_CASE("vector arithmetic reports float32 overflow by element", "[vector][math]") {
  const float big = std::numeric_limits<float>::max();
  std::vector<float> a = {1, 2, big}, b = {1, 2, big};
  float out[3];
  CHECK(vector_add(f32_view(a), f32_view(b), out).message() == "element 2 of the result overflows float32");
  std::vector<float> c = {-big, 0, 0}, minuend = {big, 0, 0};
  CHECK(vector_sub(f32_view(c), f32_view(minuend), out).message() == "element 0 of the result overflows float32");
  // FLT_MAX + a small number still rounds to FLT_MAX: not an overflow.
  std::vector<float> d = {big}, e = {1e30f};
  CHECK(vector_add(f32_view(d), f32_view(e), out).ok());
  CHECK(out[0] == big);
}

TEST_CASE("vector_scale multiplies every element and rejects non-finite factors", "[vector][math]") {
  std::vector<float> v = {1, -2, 0.5f, 0};
  float out[4];
  REQUIRE(vector_scale(f32_view(v), -3.0, out).ok());
  CHECK(std::vector<float>(out, out + 4) == std::vector<float>{-3, 6, -1.5f, 0});
  REQUIRE(vector_scale(f32_view(v), 0.0, out).ok());
  CHECK(out[0] == 0.0f);
  REQUIRE(vector_scale(f32_view(v), 1e-3, out).ok());
  CHECK(out[1] == static_cast<float>(-2 * 1e-3));

  CHECK(vector_scale(f32_view(v), std::numeric_limits<double>::infinity(), out).message() ==
        "scale factor is not finite");
  CHECK(vector_scale(f32_view(v), -std::numeric_limits<double>::infinity(), out).message() ==
        "scale factor is not finite");
  CHECK(vector_scale(f32_view(v), std::nan(""), out).message() == "scale factor is not finite");
  CHECK(vector_scale(f32_view(v), 1e39, out).message() == "element 0 of the result overflows float32");
  // A factor beyond float32 is fine while the products fit.
  std::vector<float> tiny = {1e-30f};
  REQUIRE(vector_scale(f32_view(tiny), 1e40, out).ok());
  CHECK(out[0] == static_cast<float>(double{1e-30f} * 1e40));
}

TEST_CASE("vector_norm and vector_normalize work in double precision", "[vector][math]") {
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(1536);
  for (float& x : v) x = dist(rng);
  double ref = 0;
  for (float x : v) ref += double{x} * x;
  ref = std::sqrt(ref);
  CHECK(vector_norm(f32_view(v)) == Approx(ref).epsilon(1e-12));

  std::vector<float> unit(v.size());
  REQUIRE(vector_normalize(f32_view(v), unit.data()).ok());
  for (size_t i = 0; i < v.size(); ++i) CHECK(unit[i] == static_cast<float>(v[i] / ref));
  CHECK(vector_norm(f32_view(unit)) == Approx(1.0).epsilon(1e-6));

  std::vector<int8_t> ints = {3, -4};
  CHECK(vector_norm(i8_view(ints)) == 5.0);
  float out2[2];
  REQUIRE(vector_normalize(i8_view(ints), out2).ok());
  CHECK(out2[0] == 0.6f);
  CHECK(out2[1] == -0.8f);

  // Magnitudes whose squares leave float32's range are still normalized.
  std::vector<float> huge = {3e38f, 3e38f};
  REQUIRE(vector_normalize(f32_view(huge), out2).ok());
  CHECK(out2[0] == Approx(std::sqrt(0.5)).epsilon(1e-6));
  std::vector<float> denorm = {0, float_of(1)};
  REQUIRE(vector_normalize(f32_view(denorm), out2).ok());
  CHECK(out2[1] == 1.0f);

  std::vector<float> zero = {0, -0.0f, 0};
  float out3[3];
  CHECK(vector_norm(f32_view(zero)) == 0.0);
  CHECK(vector_normalize(f32_view(zero), out3).message() == "cannot normalize a zero vector");
}

TEST_CASE("vector_slice returns a borrowed sub-vector from start up to end", "[vector][math]") {
  std::vector<float> f = {0, 1, 2, 3, 4};
  VectorView s;
  REQUIRE(vector_slice(f32_view(f), 1, 3, &s).ok());
  CHECK(s.type == ElementType::Float32);
  CHECK(s.dims == 2);
  CHECK(s.data == f.data() + 1);
  REQUIRE(vector_slice(f32_view(f), 0, 5, &s).ok());  // the whole vector
  CHECK(s.dims == 5);
  REQUIRE(vector_slice(f32_view(f), 4, 5, &s).ok());  // the last element
  CHECK(s.f32(0) == 4.0f);

  std::vector<int8_t> i = {1, 2, 3};
  REQUIRE(vector_slice(i8_view(i), 2, 3, &s).ok());
  CHECK(s.type == ElementType::Int8);
  CHECK(s.data == i.data() + 2);

  unsigned char packed[3] = {1, 2, 3};
  VectorView bits{ElementType::Bit, 24, packed};
  REQUIRE(vector_slice(bits, 8, 24, &s).ok());
  CHECK(s.type == ElementType::Bit);
  CHECK(s.dims == 16);
  CHECK(s.data == packed + 1);
}

TEST_CASE("vector_slice rejects empty, reversed and out-of-range slices", "[vector][math]") {
  std::vector<float> f = {0, 1, 2, 3};
  VectorView s;
  auto error = [&](int64_t start, int64_t end) { return vector_slice(f32_view(f), start, end, &s).message(); };
  CHECK(error(2, 2) == "slice [2, 2) is not a non-empty range within 0..4");
  CHECK(error(3, 1) == "slice [3, 1) is not a non-empty range within 0..4");
  CHECK(error(-1, 2) == "slice [-1, 2) is not a non-empty range within 0..4");
  CHECK(error(0, 5) == "slice [0, 5) is not a non-empty range within 0..4");
  CHECK(error(4, 5) == "slice [4, 5) is not a non-empty range within 0..4");
  CHECK(error(INT64_MIN, INT64_MAX) ==
        "slice [-9223372036854775808, 9223372036854775807) is not a non-empty range within 0..4");

  unsigned char packed[2] = {};
  VectorView bits{ElementType::Bit, 16, packed};
  CHECK(vector_slice(bits, 1, 8, &s).message() == "bit vectors are sliced at multiples of 8, got [1, 8)");
  CHECK(vector_slice(bits, 0, 12, &s).message() == "bit vectors are sliced at multiples of 8, got [0, 12)");
  CHECK(vector_slice(bits, 0, 17, &s).message() == "slice [0, 17) is not a non-empty range within 0..16");
}
