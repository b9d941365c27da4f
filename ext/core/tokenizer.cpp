#include "tokenizer.h"

namespace quiver {
namespace {

// Length of the separator at s (0 if s starts a word character).
size_t separator_length(const unsigned char* s, size_t left) {
  unsigned char c = s[0];
  if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ? 0 : 1;
  if (left >= 2 && c == 0xC2 && s[1] >= 0xA0 && s[1] <= 0xBF) return 2;  // U+00A0..00BF: nbsp, «, », ¿ ...
  if (left >= 2 && c == 0xC3 && (s[1] == 0x97 || s[1] == 0xB7)) return 2;  // × ÷
  if (left >= 3 && c == 0xE2 && (s[1] == 0x80 || s[1] == 0x81)) return 3;  // U+2000..207F: dashes, quotes, …
  if (left >= 3 && c == 0xE3 && s[1] == 0x80 && s[2] <= 0xBF) return 3;    // U+3000..303F: CJK punctuation
  return 0;
}

// Appends the word character at s, lowercased; returns its length.
size_t append_lower(const unsigned char* s, size_t left, std::string* out) {
  unsigned char c = s[0];
  if (c >= 'A' && c <= 'Z') {
    out->push_back(static_cast<char>(c + ('a' - 'A')));
    return 1;
  }
  if (left >= 2 && c == 0xC3 && s[1] >= 0x80 && s[1] <= 0x9E) {  // À..Þ (× was a separator)
    out->push_back(static_cast<char>(c));
    out->push_back(static_cast<char>(s[1] + 0x20));
    return 2;
  }
  out->push_back(static_cast<char>(c));
  return 1;
}

}  // namespace

std::vector<Token> tokenize(const char* text, size_t bytes) {
  const unsigned char* s = reinterpret_cast<const unsigned char*>(text);
  std::vector<Token> out;
  size_t i = 0;
  while (i < bytes) {
    if (size_t n = separator_length(s + i, bytes - i)) {
      i += n;
      continue;
    }
    Token t{std::string(), i};
    while (i < bytes && separator_length(s + i, bytes - i) == 0) i += append_lower(s + i, bytes - i, &t.text);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace quiver
