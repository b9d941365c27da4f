// The vector format: element types, views over encoded vectors, and the
// conversions between BLOBs, JSON array text and the element types.
//
// On-disk / in-SQL encoding (no header, little-endian, README "The vector format"):
//   float32  4·d bytes   IEEE-754 binary32, element i at bytes [4i, 4i+4)
//   float16  2·d bytes   IEEE-754 binary16, element i at bytes [2i, 2i+2)
//   bfloat16 2·d bytes   the upper 16 bits of a float32, element i at [2i, 2i+2)
//   int8     d bytes     two's-complement signed bytes
//   bit      d/8 bytes   element i is bit (i % 8) of byte i / 8 (LSB first);
//                        d is a multiple of 8
// float32 blobs are byte-compatible with sqlite-vec and libSQL F32_BLOB.
// float16 and bfloat16 are made from float32 values, rounded to nearest even
// (half.h): a value beyond the type's range is an error, a value below its
// smallest subnormal becomes zero. NaN and infinities are rejected in every
// floating-point type.
//
// This layer knows nothing of SQLite. Errors come back as a Status whose
// message names the problem; the SQL layer prefixes the function name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#ifndef QUIVER_MAX_DIMS
#define QUIVER_MAX_DIMS 65536
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "quiver stores vectors little-endian and supports little-endian hosts only"
#endif

namespace quiver {

// Largest number of dimensions a vector may have (compile-time setting).
constexpr uint32_t kMaxDims = QUIVER_MAX_DIMS;
static_assert(kMaxDims >= 8 && kMaxDims <= (1u << 24), "QUIVER_MAX_DIMS out of range");

enum class ElementType : uint8_t { Float32, Int8, Bit, Float16, BFloat16 };

// float16 or bfloat16: a 16-bit float widened to float32 to compute.
inline bool is_half(ElementType type) { return type == ElementType::Float16 || type == ElementType::BFloat16; }

const char* element_type_name(ElementType type);

// Bytes needed by `dims` elements of `type` (dims must be valid for the type).
size_t encoded_size(ElementType type, uint32_t dims);

// A borrowed, already validated vector. `data` may be unaligned.
struct VectorView {
  ElementType type = ElementType::Float32;
  uint32_t dims = 0;
  const void* data = nullptr;

  size_t bytes() const { return encoded_size(type, dims); }
  float f32(uint32_t i) const;   // float32 element i
  int8_t i8(uint32_t i) const;   // int8 element i
  bool bit(uint32_t i) const;    // bit element i
  uint16_t u16(uint32_t i) const;  // the bits of float16 or bfloat16 element i
  double element(uint32_t i) const;  // any type, as a number (bit: 0 or 1)
};

// Empty message means success.
class Status {
 public:
  Status() = default;
  static Status error(std::string message) { return Status(std::move(message)); }
  bool ok() const { return message_.empty(); }
  const std::string& message() const { return message_; }

 private:
  explicit Status(std::string m) : message_(std::move(m)) {}
  std::string message_;
};

// Checks that `nbytes` of `data` encode a vector of `type` (length, dimension
// limits, finite floating-point elements) and fills `out` to borrow them.
Status view_blob(ElementType type, const void* data, size_t nbytes, VectorView* out);

// Parses a JSON array of numbers ("[0.1, -2, 3e-4]") into correctly rounded
// float32 values. Rejects anything else, empty arrays, values that do not fit
// a float32, and more than kMaxDims elements.
Status parse_json(std::string_view text, std::vector<float>* out);

// JSON array text of a vector: shortest float32 text that reads back to the
// same bits; for float16 and bfloat16 the shortest that reads back (as a
// float32, rounded to the type) to the same bits; integers for int8; 0/1 for
// bits.
std::string to_json(const VectorView& v);

// Conversions into caller-provided storage of encoded_size(target, dims) bytes.
// Values must already be finite.
void encode_float32(const float* values, uint32_t dims, void* out);
// JSON numbers as int8: each must be an integer in [-128, 127].
Status encode_int8_exact(const float* values, uint32_t dims, void* out);
// Symmetric quantization: 'max' scales by 127 / max|x| per vector; 'unit'
// maps [-1, 1] to [-127, 127] and rejects values outside it.
enum class Int8Scale { Max, Unit };
Status quantize_int8(const VectorView& v, Int8Scale scale, void* out);
// Any vector as float16 or bfloat16 (`type`), rounded to nearest even; an
// element beyond the type's range is an error naming it.
Status narrow_to_half(const VectorView& v, ElementType type, void* out);
// Binary quantization by sign: element > 0 becomes 1. dims % 8 == 0.
void quantize_bit(const VectorView& v, void* out);
// Any vector as float32 values (exact: int8 as integers, bits as 0/1).
void widen_to_float(const VectorView& v, float* out);

}  // namespace quiver
