// Fuzz target: vector decoding. The input is taken as JSON text and as a
// blob of each element type (float32, float16, bfloat16, int8, bit), decoded
// by the vector layer (vector.h) and by the SQL functions. Properties:
//   - parse_json accepts what vector() accepts as text, with the same bits,
//     and vector_int8() / vector_bit() / vector_f16() / vector_bf16() accept
//     JSON exactly when the values fit their type;
//   - view_blob accepts a blob exactly when vector() / vector_int8() /
//     vector_bit() / vector_f16() / vector_bf16() accept it bare;
//   - every accepted vector survives vector_to_json and back bit for bit;
//   - nothing reads or writes out of bounds (ASan), whatever the input.
// The other SQL functions get the input too, for the last property only.
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_db.h"
#include "vector.h"

namespace {

using fuzz::check;
using fuzz::Value;
using quiver::ElementType;
using quiver::Status;
using quiver::VectorView;

std::string bytes_of(const void* data, size_t n) { return std::string(static_cast<const char*>(data), n); }

// The JSON of a valid vector parses back to the same elements.
void check_json_round_trip(const VectorView& v) {
  std::string json = quiver::to_json(v);
  std::vector<float> back;
  Status s = quiver::parse_json(json, &back);
  check(s.ok(), "to_json output does not parse: " + json + ": " + s.message());
  check(back.size() == v.dims, "to_json changed the dimensions: " + json);
  std::vector<unsigned char> encoded(v.bytes());
  switch (v.type) {
    case ElementType::Float32: quiver::encode_float32(back.data(), v.dims, encoded.data()); break;
    case ElementType::Int8:
      check(quiver::encode_int8_exact(back.data(), v.dims, encoded.data()).ok(), "int8 JSON is not int8: " + json);
      break;
    case ElementType::Bit:
      for (float x : back) check(x == 0 || x == 1, "bit JSON holds other than 0 and 1: " + json);
      quiver::quantize_bit(VectorView{ElementType::Float32, v.dims, back.data()}, encoded.data());
      break;
    case ElementType::Float16:
    case ElementType::BFloat16:
      check(quiver::narrow_to_half(VectorView{ElementType::Float32, v.dims, back.data()}, v.type, encoded.data()).ok(),
            "16-bit JSON does not fit its type: " + json);
      break;
  }
  check(std::memcmp(encoded.data(), v.data, v.bytes()) == 0, "JSON round trip changed the vector: " + json);
}

// The vector layer on its own.
void fuzz_layer(const uint8_t* data, size_t size, std::vector<float>* parsed, Status* parse_status) {
  *parse_status = quiver::parse_json(std::string_view(reinterpret_cast<const char*>(data), size), parsed);
  if (parse_status->ok()) {
    uint32_t dims = static_cast<uint32_t>(parsed->size());
    check(dims >= 1 && dims <= quiver::kMaxDims, "parse_json accepted " + std::to_string(dims) + " dimensions");
    for (float x : *parsed) check(std::isfinite(x), "parse_json accepted a value that is not finite");
    VectorView v{ElementType::Float32, dims, parsed->data()};
    check_json_round_trip(v);
    std::vector<unsigned char> out(dims);
    check(quiver::quantize_int8(v, quiver::Int8Scale::Max, out.data()).ok(), "'max' scaling failed");
    quiver::quantize_int8(v, quiver::Int8Scale::Unit, out.data());
    if (dims % 8 == 0) quiver::quantize_bit(v, out.data());
  }
  for (ElementType type :
       {ElementType::Float32, ElementType::Int8, ElementType::Bit, ElementType::Float16, ElementType::BFloat16}) {
    VectorView v;
    if (!quiver::view_blob(type, data, size, &v).ok()) continue;
    check(v.bytes() == size && v.data == data, "view_blob does not cover the blob");
    check_json_round_trip(v);
    std::vector<float> wide(v.dims);
    quiver::widen_to_float(v, wide.data());
    std::vector<unsigned char> out(v.dims);
    quiver::quantize_int8(v, quiver::Int8Scale::Max, out.data());
    if (v.dims % 8 == 0) quiver::quantize_bit(v, out.data());
  }
}

// The SQL functions, against the layer's verdicts.
void fuzz_sql(const uint8_t* data, size_t size, const std::vector<float>& parsed, const Status& parse_status) {
  static fuzz::Db db;
  const std::string payload = bytes_of(data, size);
  const Value text = Value::text(payload), blob = Value::blob(payload);

  // JSON text: accepted by each constructor when its type can hold the values.
  std::vector<unsigned char> int8(parsed.size());
  bool fits_int8 = parse_status.ok() &&
                   quiver::encode_int8_exact(parsed.data(), static_cast<uint32_t>(parsed.size()), int8.data()).ok();
  VectorView floats{ElementType::Float32, static_cast<uint32_t>(parsed.size()), parsed.data()};
  std::vector<unsigned char> f16(2 * parsed.size()), bf16(2 * parsed.size());
  bool fits_f16 = parse_status.ok() && quiver::narrow_to_half(floats, ElementType::Float16, f16.data()).ok();
  bool fits_bf16 = parse_status.ok() && quiver::narrow_to_half(floats, ElementType::BFloat16, bf16.data()).ok();
  struct {
    const char* constructor;
    bool accepts;
  } const json_cases[] = {
      {"vector", parse_status.ok()},
      {"vector_int8", fits_int8},
      {"vector_bit", parse_status.ok() && parsed.size() % 8 == 0},
      {"vector_f16", fits_f16},
      {"vector_bf16", fits_bf16},
  };
  for (const auto& c : json_cases) {
    fuzz::Result r = db.run(std::string("SELECT ") + c.constructor + "(?1)", {text});
    check(r.ok() == c.accepts, std::string(c.constructor) + "(text) disagrees with the vector layer: " + r.error);
  }
  if (parse_status.ok()) {
    fuzz::Result r = db.run("SELECT vector(?1)", {text});
    check(r.rows[0][0] == Value::blob(bytes_of(parsed.data(), parsed.size() * 4)), "vector(text) differs from parse_json");
  }
  if (fits_int8) {
    fuzz::Result r = db.run("SELECT vector_int8(?1)", {text});
    check(r.rows[0][0] == Value::blob(bytes_of(int8.data(), int8.size())), "vector_int8(text) differs from the layer");
  }
  if (fits_f16) {
    fuzz::Result r = db.run("SELECT vector_f16(?1)", {text});
    check(r.rows[0][0] == Value::blob(bytes_of(f16.data(), f16.size())), "vector_f16(text) differs from the layer");
  }
  if (fits_bf16) {
    fuzz::Result r = db.run("SELECT vector_bf16(?1)", {text});
    check(r.rows[0][0] == Value::blob(bytes_of(bf16.data(), bf16.size())), "vector_bf16(text) differs from the layer");
  }

  // A bare blob: taken as the constructor's own type, accepted when valid,
  // unchanged, and unchanged again through vector_to_json.
  struct {
    const char* constructor;
    ElementType type;
  } const blob_cases[] = {
      {"vector", ElementType::Float32},
      {"vector_int8", ElementType::Int8},
      {"vector_bit", ElementType::Bit},
      {"vector_f16", ElementType::Float16},
      {"vector_bf16", ElementType::BFloat16},
  };
  for (const auto& c : blob_cases) {
    VectorView v;
    bool valid = quiver::view_blob(c.type, data, size, &v).ok();
    std::string f = c.constructor;
    fuzz::Result r = db.run("SELECT " + f + "(?1), " + f + "(vector_to_json(" + f + "(?1)))", {blob});
    check(r.ok() == valid, f + "(blob) disagrees with view_blob: " + r.error);
    if (!valid) continue;
    check(r.rows[0][0] == blob, f + "(blob) changed the blob");
    check(r.rows[0][1] == blob, f + "(vector_to_json(blob)) changed the blob");
  }

  // Everything else, as text and as a blob, for memory errors only: the
  // results (mostly errors) are not checked.
  static const char* const kExpressions[] = {
      "vector_dims(?1)",
      "vector_type(?1)",
      "vector_norm(?1)",
      "vector_normalize(?1)",
      "vector_to_json(?1)",
      "vector_add(?1, ?1)",
      "vector_sub(?1, ?2)",
      "vector_scale(?1, -0.5)",
      "vector_slice(?1, 1, 9)",
      "vector_slice(vector_bit(?1), 8, 16)",
      "vector_int8(?1, 'unit')",
      "vector_int8(vector(?1))",
      "vector_bit(vector(?1))",
      "vector_bit(vector_int8(?1))",
      "vector(vector_int8(?1))",
      "vector(vector_bit(?1))",
      "cosine_similarity(?1, ?1)",
      "cosine_distance(?1, ?2)",
      "dot_product(?1, ?1)",
      "l2_distance(?1, ?2)",
      "hamming_distance(?1, ?1)",
      "hamming_distance(vector_bit(?1), ?2)",
      "cosine_distance(vector_int8(?1), vector_int8(?1))",
      "l2_distance(vector_int8(?1), vector_int8(?2))",
      "dot_product(vector_int8(?1), vector_int8(?1))",
      "(SELECT vector_mean(x) FROM (SELECT ?1 AS x UNION ALL SELECT ?2 UNION ALL SELECT ?1))",
      "vector_f16(vector(?1))",
      "vector_bf16(vector_f16(?1))",
      "vector(vector_bf16(?1))",
      "cosine_distance(vector_f16(?1), vector_f16(?2))",
      "l2_distance(vector_bf16(?1), vector_bf16(?1))",
      "dot_product(vector_f16(?1), vector_f16(?1))",
      "vector_norm(vector_bf16(?1))",
      "vector_slice(vector_f16(?1), 1, 9)",
      "vector_int8(vector_f16(?1))",
      "vector_bit(vector_bf16(?1))",
  };
  // ?2 is the first half of the input, mostly of other dimensions.
  const std::string half = payload.substr(0, size / 2);
  for (const char* e : kExpressions) {
    db.run(std::string("SELECT ") + e, {text, Value::text(half)});
    db.run(std::string("SELECT ") + e, {blob, Value::blob(half)});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<float> parsed;
  Status parse_status;
  fuzz_layer(data, size, &parsed, &parse_status);
  fuzz_sql(data, size, parsed, parse_status);
  return 0;
}
