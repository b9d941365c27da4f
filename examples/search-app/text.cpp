#include "text.h"

#include <zlib.h>

#include <cstring>

FileText read_text_file(const std::string& path) {
  FileText out;
  // gzread reads files that are not gzip as they are.
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return out;
  gzbuffer(f, 128 * 1024);
  std::string text;
  char buffer[64 * 1024];
  int n;
  while ((n = gzread(f, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  bool failed = n < 0;
  gzclose(f);
  if (failed) return out;
  if (std::memchr(text.data(), '\0', text.size())) {
    out.kind = FileKind::Binary;
    return out;
  }
  out.kind = FileKind::Text;
  out.text = is_utf8(text) ? std::move(text) : latin1_to_utf8(text);
  return out;
}

namespace {

bool is_blank(const char* s, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!std::strchr(" \t\r\f\v", s[i])) return false;
  return true;
}

}  // namespace

std::vector<Paragraph> split_paragraphs(const std::string& text) {
  std::vector<Paragraph> out;
  Paragraph current{0, {}};
  size_t lines = 0;
  auto flush = [&] {
    if (lines) out.push_back(std::move(current));
    current = Paragraph{0, {}};
    lines = 0;
  };
  int64_t number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    ++number;
    size_t length = end - start;
    if (length && text[start + length - 1] == '\r') --length;
    if (is_blank(text.data() + start, length)) {
      flush();
    } else {
      if (lines == 0) current.line = number;
      else current.text.push_back('\n');
      current.text.append(text, start, length);
      if (++lines == kMaxLines || current.text.size() >= kMaxBytes) flush();
    }
    start = end + 1;
  }
  flush();
  return out;
}

bool is_utf8(const std::string& s) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    size_t extra;
    uint32_t min;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, min = 0x10000;
    } else {
      return false;
    }
    if (n - i <= extra) return false;
    uint32_t code = c & (0x3F >> extra);
    for (size_t k = 1; k <= extra; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      code = (code << 6) | (p[i + k] & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF.
    if (code < min || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) return false;
    i += extra + 1;
  }
  return true;
}

std::string latin1_to_utf8(const std::string& s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (unsigned char c : s) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}
