// Decimal text <-> binary floating point, as <charconv> does it: correctly
// rounded parsing, and the shortest text that reads back to the same float32.
// Standard libraries without floating-point <charconv> (libc++ 14, which
// emscripten uses) get the same results from the C library's strtof/strtod
// and snprintf. (No SQLite.)
#pragma once

#include <charconv>
#include <system_error>

#if !defined(__cpp_lib_to_chars)
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#endif

namespace quiver {

#if defined(__cpp_lib_to_chars)

// Parses [first, last) like std::from_chars with std::chars_format::general.
inline std::from_chars_result from_chars_general(const char* first, const char* last, float& value) {
  return std::from_chars(first, last, value, std::chars_format::general);
}
inline std::from_chars_result from_chars_general(const char* first, const char* last, double& value) {
  return std::from_chars(first, last, value, std::chars_format::general);
}

// The shortest text that parses back to `value`, like std::to_chars(first, last, value).
inline std::to_chars_result to_chars_shortest(char* first, char* last, float value) {
  return std::to_chars(first, last, value);
}

#else

namespace float_chars_detail {

// strtof/strtod on a NUL-terminated copy of [first, last). The callers
// hand over a decimal number already checked against JSON's grammar, so the
// C library reads exactly the characters from_chars would.
template <class T, class Parse>
std::from_chars_result parse(const char* first, const char* last, T& value, Parse parse_c) {
  std::string copy(first, last);
  char* end = nullptr;
  errno = 0;
  T parsed = parse_c(copy.c_str(), &end);
  const char* ptr = first + (end - copy.c_str());
  if (ptr == first) return {first, std::errc::invalid_argument};
  // ERANGE also flags subnormal results, which from_chars returns; only
  // overflow, and underflow to zero, are out of range.
  if (errno == ERANGE && (parsed == 0 || std::isinf(parsed))) return {ptr, std::errc::result_out_of_range};
  value = parsed;
  return {ptr, std::errc()};
}

// Writes the significant digits and decimal exponent of the shortest
// round-trip text of a positive value ("12345", 3 for 1.2345e3) and
// returns the digit count.
// A float32 needs at most 9 digits; the P-digit decimal nearest to it is the
// shortest text when any P-digit one reads back, except next to a power of
// two, where the interval below is half as wide and the one above may be
// the only one that does.
inline int shortest_digits(float value, char* digits, int* exponent) {
  char text[32];
  for (int precision = 1; precision <= 9; ++precision) {
    std::snprintf(text, sizeof text, "%.*e", precision - 1, static_cast<double>(value));
    for (int candidate = 0; candidate < 2; ++candidate) {
      if (std::strtof(text, nullptr) == value) {
        int n = 0;
        for (const char* p = text; *p != 'e'; ++p)
          if (*p >= '0' && *p <= '9') digits[n++] = *p;
        *exponent = std::atoi(std::strchr(text, 'e') + 1);
        return n;
      }
      if (candidate == 1 || std::strtod(text, nullptr) > value) break;
      // The next P-digit decimal above: add one unit in the last digit.
      char* e = std::strchr(text, 'e');
      char* p = e - 1;
      while (p >= text && (*p == '9' || *p == '.')) {
        if (*p == '9') *p = '0';
        --p;
      }
      if (p >= text) {
        ++*p;
      } else {  // 9.99e+X became 0.00e+X: it is 1.00e+(X+1)
        text[0] = '1';
        std::snprintf(e, sizeof text - (e - text), "e%+d", std::atoi(e + 1) + 1);
      }
    }
  }
  return 0;  // not reached for a finite float
}

}  // namespace float_chars_detail

inline std::from_chars_result from_chars_general(const char* first, const char* last, float& value) {
  return float_chars_detail::parse(first, last, value, [](const char* s, char** end) { return std::strtof(s, end); });
}
inline std::from_chars_result from_chars_general(const char* first, const char* last, double& value) {
  return float_chars_detail::parse(first, last, value, [](const char* s, char** end) { return std::strtod(s, end); });
}

// Fixed or scientific notation, whichever is shorter (fixed on a tie), with
// the exponent written as printf's %e writes it. Among texts of the shortest
// length, the one nearest to the value.
inline std::to_chars_result to_chars_shortest(char* first, char* last, float value) {
  char text[64];
  int len = 0;
  if (std::signbit(value)) text[len++] = '-';
  if (value == 0) {
    text[len++] = '0';
  } else {
    char digits[16];
    int e = 0;
    const int n = float_chars_detail::shortest_digits(std::fabs(value), digits, &e);
    char fixed[64], scientific[32];
    int f = 0, s = 0;
    if (e >= n - 1) {
      // An integer: every candidate has e + 1 digits, and the nearest one
      // to the value wins, which is the value itself rounded to an integer.
      f = std::snprintf(fixed, sizeof fixed, "%.0f", std::fabs(static_cast<double>(value)));
    } else if (e >= 0) {  // the point falls inside the digits
      for (int i = 0; i < n; ++i) {
        if (i == e + 1) fixed[f++] = '.';
        fixed[f++] = digits[i];
      }
    } else {  // 0.000ddd
      fixed[f++] = '0';
      fixed[f++] = '.';
      for (int i = -1; i > e; --i) fixed[f++] = '0';
      for (int i = 0; i < n; ++i) fixed[f++] = digits[i];
    }
    scientific[s++] = digits[0];
    if (n > 1) {
      scientific[s++] = '.';
      for (int i = 1; i < n; ++i) scientific[s++] = digits[i];
    }
    s += std::snprintf(scientific + s, sizeof scientific - s, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    const char* chosen = f <= s ? fixed : scientific;
    const int chosen_len = f <= s ? f : s;
    std::memcpy(text + len, chosen, chosen_len);
    len += chosen_len;
  }
  if (last - first < len) return {last, std::errc::value_too_large};
  std::memcpy(first, text, len);
  return {first + len, std::errc()};
}

#endif

}  // namespace quiver
