// quiver_tokens(text): a text's words as rows, for pooling word vectors into
// a document vector in SQL (see tokens.cpp; the tokenizer is
// core/tokenizer.h).
#pragma once

#include "sqlite_api.h"

namespace quiver {

class Connection;

int register_tokens(Connection& connection);

}  // namespace quiver
