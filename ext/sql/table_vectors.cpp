#include <string>

#include "errors.h"
#include "sql_value.h"
#include "virtual_table.h"

namespace quiver {
namespace {

// "expected 100, got 400" says little when the 400 are a bare blob's
// bytes, read as the column's int8 or bit elements: then name the column's
// type and the blob's size, and the float32 vector it may be.
std::string dimension_mismatch(const TableSpec& spec, sqlite3_value* value, const VectorView& got) {
  bool bare_blob = sqlite3_value_type(value) == SQLITE_BLOB && sqlite3_value_subtype(value) == 0;
  if (!bare_blob || spec.element_type == ElementType::Float32)
    return "dimension mismatch: expected " + std::to_string(spec.dims) + ", got " + std::to_string(got.dims);
  auto bytes = [](size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); };
  const char* type = element_type_name(spec.element_type);
  std::string message = "dimension mismatch: " + spec.vector_column + " holds " + type + "[" +
                        std::to_string(spec.dims) + "] (" + bytes(encoded_size(spec.element_type, spec.dims)) +
                        "), got a bare blob of " + bytes(got.bytes());
  if (got.bytes() == encoded_size(ElementType::Float32, spec.dims))
    message += ", the size of float32[" + std::to_string(spec.dims) + "] (" +
               (is_half(spec.element_type) ? std::string("mark it as float32 with vector(...)")
                                           : "convert it with vector_" + std::string(type) + "(vector(...))") +
               ")";
  return message;
}

bool is_zero(const VectorView& v) {
  for (uint32_t i = 0; i < v.dims; ++i)
    if (v.element(i) != 0) return false;
  return true;
}

// Decodes `value` for the column; the status says what failed to decode.
Status decode_for_column(const TableSpec& spec, sqlite3_value* value, DecodedVector* out) {
  Status s = decode_vector(value, spec.element_type, out);
  if (s.ok()) s = convert_for_column(spec.element_type, out);
  return s;
}

}  // namespace

void decode_query(const VirtualTable* t, sqlite3_value* value, DecodedVector* out) {
  const TableSpec& spec = t->spec;
  if (sqlite3_value_type(value) == SQLITE_NULL) fail("the query vector is NULL");
  Status s = decode_for_column(spec, value, out);
  if (!s.ok()) fail("query vector: " + s.message());
  if (out->view.type != spec.element_type)
    fail(std::string("query vector is ") + element_type_name(out->view.type) + ", " + spec.vector_column +
         " holds " + element_type_name(spec.element_type));
  if (out->view.dims != spec.dims) fail(dimension_mismatch(spec, value, out->view));
  if (spec.metric == Metric::Cosine && is_zero(out->view)) fail("the query vector is zero, which has no cosine distance");
}

void decode_row_vector(const VirtualTable* t, sqlite3_value* value, DecodedVector* out) {
  const TableSpec& spec = t->spec;
  const std::string& name = spec.vector_column;
  if (sqlite3_value_type(value) == SQLITE_NULL) fail(name + " must not be NULL");
  Status s = decode_for_column(spec, value, out);
  if (!s.ok()) fail(name + ": " + s.message());
  if (out->view.type != spec.element_type)
    fail(name + " holds " + element_type_name(spec.element_type) + " vectors, got " + element_type_name(out->view.type));
  if (out->view.dims != spec.dims) fail(name + ": " + dimension_mismatch(spec, value, out->view));
  if (spec.metric == Metric::Cosine && is_zero(out->view)) fail(name + ": a zero vector has no cosine distance");
}

}  // namespace quiver
