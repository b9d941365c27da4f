// quiver_tokens(text) returns one row per word: token, position (0, 1, ...)
// and offset (the word's byte offset in the UTF-8 text). NULL text gives no
// rows; numbers and blobs are read as their text. The rules of a word are
// the tokenizer's (core/tokenizer.h).
#include "tokens.h"

#include <new>

#include "table_function.h"
#include "tokenizer.h"

namespace quiver {
namespace {

Rows produce_tokens(Connection&, int, sqlite3_value** argv) {
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

int register_tokens(Connection& connection) { return register_table_function(connection, kTokens); }

}  // namespace quiver
