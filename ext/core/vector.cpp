#include "vector.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "float_chars.h"
#include "half.h"
#include "kernels.h"

namespace quiver {

namespace {

std::string str(size_t n) { return std::to_string(n); }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

Status json_error(const char* what, size_t offset) {
  return Status::error(std::string("malformed JSON vector: ") + what + " at offset " + str(offset));
}

// The end of the JSON number at p (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?),
// or nullptr. *exponent10 is the decimal exponent of its leading significant
// digit (1e-400 -> -400, 0.05 -> -2), *zero whether all its digits are 0.
const char* scan_number(const char* p, const char* end, long* exponent10, bool* zero) {
  auto digits = [&](const char* q) {
    while (q < end && is_digit(*q)) ++q;
    return q;
  };
  if (p < end && *p == '-') ++p;
  if (p >= end || !is_digit(*p)) return nullptr;  // also rejects inf, nan, +1, .5
  const char* int_begin = p;
  const char* int_end = (*p == '0') ? p + 1 : digits(p);
  long lead = -1;  // exponent of the first nonzero digit
  for (const char* q = int_begin; q < int_end; ++q)
    if (*q != '0') {
      lead = static_cast<long>(int_end - q) - 1;
      break;
    }
  p = int_end;
  if (p < end && *p == '.') {
    const char* frac_begin = p + 1;
    const char* frac_end = digits(frac_begin);
    if (frac_end == frac_begin) return nullptr;
    if (lead < 0)
      for (const char* q = frac_begin; q < frac_end; ++q)
        if (*q != '0') {
          lead = -static_cast<long>(q - frac_begin) - 1;
          break;
        }
    p = frac_end;
  }
  long exponent = 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    const char* q = p + 1;
    bool negative = false;
    if (q < end && (*q == '+' || *q == '-')) negative = *q++ == '-';
    const char* exp_end = digits(q);
    if (exp_end == q) return nullptr;
    for (const char* d = q; d < exp_end && exponent < 100000; ++d) exponent = exponent * 10 + (*d - '0');
    if (negative) exponent = -exponent;
    p = exp_end;
  }
  *zero = lead < 0;
  *exponent10 = lead + exponent;
  return p;
}

// Reads one JSON number at p as a correctly rounded float32. Returns nullptr
// for a token that is not a JSON number. Values beyond float32's range set
// *out_of_range; values below it round to a subnormal or zero.
const char* read_number(const char* p, const char* end, float* out, bool* out_of_range) {
  *out_of_range = false;
  long exponent10;
  bool zero;
  const char* token_end = scan_number(p, end, &exponent10, &zero);
  if (!token_end) return nullptr;
  auto r = from_chars_general(p, token_end, *out);
  if (r.ec == std::errc() && r.ptr == token_end) return token_end;
  if (r.ec != std::errc::result_out_of_range) return nullptr;
  if (exponent10 < 0) {  // below float32's range: a subnormal, or zero
    double wide = 0;
    auto rd = from_chars_general(p, token_end, wide);
    *out = rd.ec == std::errc() ? static_cast<float>(wide) : (*p == '-' ? -0.0f : 0.0f);
    return token_end;
  }
  *out_of_range = true;
  return token_end;
}


uint16_t narrow_one(ElementType type, float x) { return type == ElementType::Float16 ? f32_to_f16(x) : f32_to_bf16(x); }
float widen_one(ElementType type, uint16_t h) { return type == ElementType::Float16 ? f16_to_f32(h) : bf16_to_f32(h); }

// The shortest text that reads back, as a float32 rounded to `type`, to the
// bits h: for P = 1, 2, ... digits, the P-digit decimal nearest to the value
// and the one above it (next to a power of two the rounding interval above
// is the wider), written as the float32 it reads as, so that the digits are
// those of to_chars_shortest.
std::to_chars_result half_to_chars(char* first, char* last, ElementType type, uint16_t h) {
  float value = widen_one(type, h);
  char text[40];
  for (int precision = 1; precision <= 9; ++precision) {
    std::snprintf(text, sizeof text, "%.*e", precision - 1, static_cast<double>(value));
    double nearest = std::strtod(text, nullptr);
    for (int candidate = 0; candidate < 2; ++candidate) {
      float read;
      if (from_chars_general(text, text + std::strlen(text), read).ec == std::errc() && narrow_one(type, read) == h)
        return to_chars_shortest(first, last, read);
      if (std::fabs(nearest) >= std::fabs(value)) break;
      // One unit up in the last digit, away from zero like the value.
      int exponent = std::atoi(std::strchr(text, 'e') + 1);
      double step = std::pow(10.0, exponent - (precision - 1));
      std::snprintf(text, sizeof text, "%.*e", precision - 1, nearest + std::copysign(step, nearest));
    }
  }
  return to_chars_shortest(first, last, value);  // nine digits always read back
}

}  // namespace

const char* element_type_name(ElementType type) {
  switch (type) {
    case ElementType::Float32: return "float32";
    case ElementType::Int8: return "int8";
    case ElementType::Bit: return "bit";
    case ElementType::Float16: return "float16";
    case ElementType::BFloat16: return "bfloat16";
  }
  return "?";
}

size_t encoded_size(ElementType type, uint32_t dims) {
  switch (type) {
    case ElementType::Float32: return size_t{dims} * 4;
    case ElementType::Int8: return dims;
    case ElementType::Bit: return dims / 8;
    case ElementType::Float16:
    case ElementType::BFloat16: return size_t{dims} * 2;
  }
  return 0;
}

float VectorView::f32(uint32_t i) const {
  float x;
  std::memcpy(&x, static_cast<const unsigned char*>(data) + size_t{i} * 4, 4);
  return x;
}

int8_t VectorView::i8(uint32_t i) const { return static_cast<const int8_t*>(data)[i]; }

uint16_t VectorView::u16(uint32_t i) const {
  uint16_t h;
  std::memcpy(&h, static_cast<const unsigned char*>(data) + size_t{i} * 2, 2);
  return h;
}

bool VectorView::bit(uint32_t i) const {
  return (static_cast<const unsigned char*>(data)[i / 8] >> (i % 8)) & 1;
}

double VectorView::element(uint32_t i) const {
  switch (type) {
    case ElementType::Float32: return f32(i);
    case ElementType::Int8: return i8(i);
    case ElementType::Bit: return bit(i) ? 1.0 : 0.0;
    case ElementType::Float16:
    case ElementType::BFloat16: return widen_one(type, u16(i));
  }
  return 0;
}

Status view_blob(ElementType type, const void* data, size_t nbytes, VectorView* out) {
  if (nbytes == 0) return Status::error("empty vector");
  size_t dims = 0;
  switch (type) {
    case ElementType::Float32:
      if (nbytes % 4 != 0)
        return Status::error("blob of " + str(nbytes) +
                             " bytes is not a float32 vector (length must be a multiple of 4)");
      dims = nbytes / 4;
      break;
    case ElementType::Int8: dims = nbytes; break;
    case ElementType::Bit: dims = nbytes * 8; break;
    case ElementType::Float16:
    case ElementType::BFloat16:
      if (nbytes % 2 != 0)
        return Status::error("blob of " + str(nbytes) + " bytes is not a " + element_type_name(type) +
                             " vector (length must be a multiple of 2)");
      dims = nbytes / 2;
      break;
  }
  if (dims > kMaxDims)
    return Status::error(str(dims) + " dimensions exceed the maximum of " + str(kMaxDims));
  if (type == ElementType::Float32) {
    const unsigned char* bytes = static_cast<const unsigned char*>(data);
    // Exponent all ones means NaN or Inf; checked on the bits so the loop
    // vectorizes and never raises floating-point exceptions.
    uint32_t bad = 0;
    for (size_t i = 0; i < dims; ++i) {
      uint32_t w;
      std::memcpy(&w, bytes + 4 * i, 4);
      bad |= ((w & 0x7f800000u) == 0x7f800000u);
    }
    if (bad) {
      for (size_t i = 0; i < dims; ++i) {
        uint32_t w;
        std::memcpy(&w, bytes + 4 * i, 4);
        if ((w & 0x7f800000u) == 0x7f800000u)
          return Status::error("element " + str(i) + ((w & 0x007fffffu) ? " is NaN" : " is infinite"));
      }
    }
  }
  if (is_half(type)) {
    // As for float32: an exponent of all ones is NaN or Inf.
    const uint16_t exponent = type == ElementType::Float16 ? 0x7c00 : 0x7f80;
    const uint16_t fraction = type == ElementType::Float16 ? 0x03ff : 0x007f;
    const unsigned char* bytes = static_cast<const unsigned char*>(data);
    unsigned bad = 0;
    for (size_t i = 0; i < dims; ++i) {
      uint16_t h;
      std::memcpy(&h, bytes + 2 * i, 2);
      bad |= ((h & exponent) == exponent);
    }
    if (bad) {
      for (size_t i = 0; i < dims; ++i) {
        uint16_t h;
        std::memcpy(&h, bytes + 2 * i, 2);
        if ((h & exponent) == exponent)
          return Status::error("element " + str(i) + ((h & fraction) ? " is NaN" : " is infinite"));
      }
    }
  }
  out->type = type;
  out->dims = static_cast<uint32_t>(dims);
  out->data = data;
  return Status();
}

Status parse_json(std::string_view text, std::vector<float>* out) {
  out->clear();
  const char* begin = text.data();
  const char* p = begin;
  const char* end = begin + text.size();
  auto skip = [&] { while (p < end && is_space(*p)) ++p; };
  skip();
  if (p == end || *p != '[') return json_error("expected '['", p - begin);
  ++p;
  skip();
  if (p < end && *p == ']') return Status::error("empty vector");
  // Reserve by counting separators: one allocation, and the dimension limit
  // is enforced before any large allocation.
  size_t commas = 0;
  for (const char* q = p; q < end; ++q) commas += (*q == ',');
  if (commas >= kMaxDims) return Status::error("more than " + str(kMaxDims) + " dimensions");
  out->reserve(commas + 1);
  for (;;) {
    skip();
    float value;
    bool out_of_range;
    const char* next = read_number(p, end, &value, &out_of_range);
    if (!next) return json_error("expected a number", p - begin);
    if (out_of_range)
      return Status::error("element " + str(out->size()) + " (" + std::string(p, next) +
                           ") is out of float32 range");
    out->push_back(value);
    p = next;
    skip();
    if (p < end && *p == ',') { ++p; continue; }
    if (p < end && *p == ']') { ++p; break; }
    return json_error("expected ',' or ']'", p - begin);
  }
  skip();
  if (p != end) return json_error("unexpected text after ']'", p - begin);
  return Status();
}

std::string to_json(const VectorView& v) {
  std::string s;
  s.reserve(size_t{v.dims} * (v.type == ElementType::Int8 || v.type == ElementType::Bit ? 4 : 12) + 2);
  s.push_back('[');
  char buf[32];
  for (uint32_t i = 0; i < v.dims; ++i) {
    if (i) s.push_back(',');
    std::to_chars_result r{};
    switch (v.type) {
      case ElementType::Float32: r = to_chars_shortest(buf, buf + sizeof buf, v.f32(i)); break;
      case ElementType::Int8: r = std::to_chars(buf, buf + sizeof buf, int{v.i8(i)}); break;
      case ElementType::Bit: r = std::to_chars(buf, buf + sizeof buf, int{v.bit(i)}); break;
      case ElementType::Float16:
      case ElementType::BFloat16: r = half_to_chars(buf, buf + sizeof buf, v.type, v.u16(i)); break;
    }
    s.append(buf, r.ptr);
  }
  s.push_back(']');
  return s;
}

void encode_float32(const float* values, uint32_t dims, void* out) {
  std::memcpy(out, values, size_t{dims} * 4);
}

Status encode_int8_exact(const float* values, uint32_t dims, void* out) {
  int8_t* q = static_cast<int8_t*>(out);
  for (uint32_t i = 0; i < dims; ++i) {
    float x = values[i];
    if (x != std::nearbyint(x) || x < -128 || x > 127) {
      char buf[32];
      auto r = to_chars_shortest(buf, buf + sizeof buf, x);
      return Status::error("element " + str(i) + " (" + std::string(buf, r.ptr) +
                           ") is not an integer in [-128, 127]");
    }
    q[i] = static_cast<int8_t>(x);
  }
  return Status();
}

Status quantize_int8(const VectorView& v, Int8Scale scale, void* out) {
  int8_t* q = static_cast<int8_t*>(out);
  double factor = 127.0;
  if (scale == Int8Scale::Max) {
    double max_abs = 0;
    for (uint32_t i = 0; i < v.dims; ++i) max_abs = std::fmax(max_abs, std::fabs(v.element(i)));
    factor = max_abs > 0 ? 127.0 / max_abs : 0.0;
  }
  for (uint32_t i = 0; i < v.dims; ++i) {
    double x = v.element(i);
    if (scale == Int8Scale::Unit && (x < -1.0 || x > 1.0))
      return Status::error("element " + str(i) + " is outside [-1, 1] for 'unit' scaling");
    double r = std::nearbyint(x * factor);
    q[i] = static_cast<int8_t>(std::fmin(127.0, std::fmax(-127.0, r)));
  }
  return Status();
}

Status narrow_to_half(const VectorView& v, ElementType type, void* out) {
  if (v.type == type) {
    std::memcpy(out, v.data, v.bytes());
    return Status();
  }
  std::vector<float> wide;
  const void* floats = v.data;
  if (v.type != ElementType::Float32) {
    wide.resize(v.dims);
    widen_to_float(v, wide.data());
    floats = wide.data();
  }
  const Kernels& k = active_kernels();
  if ((type == ElementType::Float16 ? k.f16_narrow : k.bf16_narrow)(floats, out, v.dims)) return Status();
  VectorView f{ElementType::Float32, v.dims, floats};
  for (uint32_t i = 0; i < v.dims; ++i) {
    uint16_t h = narrow_one(type, f.f32(i));
    if (type == ElementType::Float16 ? f16_is_finite(h) : bf16_is_finite(h)) continue;
    char buf[32];
    auto r = to_chars_shortest(buf, buf + sizeof buf, f.f32(i));
    return Status::error("element " + str(i) + " (" + std::string(buf, r.ptr) + ") is out of " +
                         element_type_name(type) + " range");
  }
  return Status();  // not reached: the kernel found an element that overflows
}

void quantize_bit(const VectorView& v, void* out) {
  unsigned char* bits = static_cast<unsigned char*>(out);
  std::memset(bits, 0, v.dims / 8);
  for (uint32_t i = 0; i < v.dims; ++i)
    if (v.element(i) > 0) bits[i / 8] |= static_cast<unsigned char>(1u << (i % 8));
}

void widen_to_float(const VectorView& v, float* out) {
  if (v.type == ElementType::Float32) {
    std::memcpy(out, v.data, size_t{v.dims} * 4);
    return;
  }
  if (is_half(v.type)) {
    const Kernels& k = active_kernels();
    return (v.type == ElementType::Float16 ? k.f16_widen : k.bf16_widen)(v.data, out, v.dims);
  }
  for (uint32_t i = 0; i < v.dims; ++i) out[i] = static_cast<float>(v.element(i));
}

}  // namespace quiver
