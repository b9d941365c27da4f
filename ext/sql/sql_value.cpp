#include "sql_value.h"

#include <cmath>
#include <new>

#include "errors.h"

namespace quiver {

unsigned subtype_of(ElementType type) {
  switch (type) {
    case ElementType::Float32: return kSubtypeFloat32;
    case ElementType::Int8: return kSubtypeInt8;
    case ElementType::Bit: return kSubtypeBit;
    case ElementType::Float16: return kSubtypeFloat16;
    case ElementType::BFloat16: return kSubtypeBFloat16;
  }
  return 0;
}

bool integer_in_range(sqlite3_value* v, int64_t min, int64_t max) {
  int type = sqlite3_value_numeric_type(v);
  double real = sqlite3_value_double(v);
  bool integral = type == SQLITE_INTEGER || (type == SQLITE_FLOAT && real == std::floor(real) && std::fabs(real) < 9e15);
  return integral && sqlite3_value_int64(v) >= min && sqlite3_value_int64(v) <= max;
}

int64_t integer_argument(sqlite3_value* v, const std::string& name, int64_t min, int64_t max) {
  if (!integer_in_range(v, min, max)) {
    const char* text = reinterpret_cast<const char*>(sqlite3_value_text(v));  // converts: may allocate
    if (!text && sqlite3_value_type(v) != SQLITE_NULL) throw std::bad_alloc();
    throw SqlError(SQLITE_ERROR, name + " must be an integer from " + std::to_string(min) + " to " +
                                     std::to_string(max) + ", got " + (text ? text : "NULL"));
  }
  return sqlite3_value_int64(v);
}

const char* sql_type_name(int type) {
  switch (type) {
    case SQLITE_INTEGER: return "integer";
    case SQLITE_FLOAT: return "real";
    case SQLITE_TEXT: return "text";
    case SQLITE_BLOB: return "blob";
    default: return "null";
  }
}

Status decode_vector(sqlite3_value* value, ElementType bare_type, DecodedVector* out) {
  switch (sqlite3_value_type(value)) {
    case SQLITE_BLOB: {
      ElementType type = bare_type;
      switch (sqlite3_value_subtype(value)) {
        case kSubtypeFloat32: type = ElementType::Float32; break;
        case kSubtypeInt8: type = ElementType::Int8; break;
        case kSubtypeBit: type = ElementType::Bit; break;
        case kSubtypeFloat16: type = ElementType::Float16; break;
        case kSubtypeBFloat16: type = ElementType::BFloat16; break;
        default: break;
      }
      const void* data = sqlite3_value_blob(value);
      int n = sqlite3_value_bytes(value);
      if (n > 0 && !data) throw std::bad_alloc();
      return view_blob(type, data, static_cast<size_t>(n), &out->view);
    }
    case SQLITE_TEXT: {
      const char* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
      int n = sqlite3_value_bytes(value);
      if (!text) throw std::bad_alloc();
      Status s = parse_json(std::string_view(text, static_cast<size_t>(n)), &out->parsed);
      if (!s.ok()) return s;
      uint32_t dims = static_cast<uint32_t>(out->parsed.size());
      VectorView floats{ElementType::Float32, dims, out->parsed.data()};
      if (bare_type == ElementType::Float32) {
        out->view = floats;
        return Status();
      }
      if (bare_type == ElementType::Bit && dims % 8 != 0)
        return Status::error("a bit vector needs a multiple of 8 dimensions, got " + std::to_string(dims));
      out->owned.resize(encoded_size(bare_type, dims));
      if (bare_type == ElementType::Int8) {
        s = encode_int8_exact(out->parsed.data(), dims, out->owned.data());
        if (!s.ok()) return s;
      } else if (is_half(bare_type)) {
        s = narrow_to_half(floats, bare_type, out->owned.data());
        if (!s.ok()) return s;
      } else {
        quantize_bit(floats, out->owned.data());
      }
      out->view = VectorView{bare_type, dims, out->owned.data()};
      return Status();
    }
    default:
      return Status::error(std::string("expected a vector (a BLOB or JSON array text), got ") +
                           sql_type_name(sqlite3_value_type(value)));
  }
}

Status convert_for_column(ElementType column_type, DecodedVector* v) {
  if (!is_half(column_type) || v->view.type != ElementType::Float32) return Status();
  std::vector<unsigned char> out(encoded_size(column_type, v->view.dims));
  Status s = narrow_to_half(v->view, column_type, out.data());
  if (!s.ok()) return s;
  v->owned.swap(out);  // v->view may point into the old owned buffer until here
  v->view = VectorView{column_type, v->view.dims, v->owned.data()};
  return Status();
}

void result_distance(sqlite3_context* ctx, Metric metric, double distance) {
  if (metric == Metric::Hamming) sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(distance));
  else sqlite3_result_double(ctx, distance);
}

}  // namespace quiver
