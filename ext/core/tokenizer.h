// The word tokenizer behind quiver_tokens (no SQLite).
//
// A word is a run of letters and digits. ASCII and Latin-1 capitals are
// lowercased, as word-vector vocabularies (GloVe) are; other scripts are kept
// as they are. Everything else separates words: ASCII spaces, punctuation
// and symbols, and the Unicode punctuation blocks text usually carries
// (no-break space, guillemets, dashes, curly quotes, ellipsis, CJK
// punctuation). Bytes that are not valid UTF-8 count as letters: the text is
// split, never rejected.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace quiver {

struct Token {
  std::string text;  // lowercased
  size_t offset;     // byte offset of the word in the input
};

std::vector<Token> tokenize(const char* text, size_t bytes);

}  // namespace quiver
