// quiver_tokens(text): a text's words as rows, for pooling word vectors into
// a document vector in SQL (see tokens.cpp for the rules).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "sqlite_api.h"

namespace quiver {

struct Token {
  std::string text;  // lowercased
  size_t offset;     // byte offset of the word in the input
};

// The tokenizer itself, without SQLite.
std::vector<Token> tokenize(const char* text, size_t bytes);

int register_tokens(sqlite3* db);

}  // namespace quiver
