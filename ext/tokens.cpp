// quiver_tokens(text) returns one row per word: token, position (0, 1, ...)
// and offset (the word's byte offset in the UTF-8 text). NULL text gives no
// rows; numbers and blobs are read as their text.
//
// A word is a run of letters and digits. ASCII and Latin-1 capitals are
// lowercased, as word-vector vocabularies (GloVe) are; other scripts are kept
// as they are. Everything else separates words: ASCII spaces, punctuation
// and symbols, and the Unicode punctuation blocks text usually carries
// (no-break space, guillemets, dashes, curly quotes, ellipsis, CJK
// punctuation). Bytes that are not valid UTF-8 count as letters: the text is
// split, never rejected.
#include "tokens.h"

#include "table_function.h"

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

Rows produce_tokens(sqlite3*, int, sqlite3_value** argv) {
  Rows rows;
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return rows;
  const char* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  if (!text) throw std::bad_alloc();  // only NULL (handled) or no memory give no text
  std::vector<Token> tokens = tokenize(text, static_cast<size_t>(sqlite3_value_bytes(argv[0])));
  rows.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i)
    rows.push_back({Cell::text(std::move(tokens[i].text)), Cell::integer(static_cast<int64_t>(i)),
                    Cell::integer(static_cast<int64_t>(tokens[i].offset))});
  return rows;
}

const TableFunction kTokens = {"quiver_tokens", "CREATE TABLE x(token, position, offset, text HIDDEN)", 3, 1, 1,
                               produce_tokens};

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

int register_tokens(sqlite3* db) { return register_table_function(db, kTokens); }

}  // namespace quiver
