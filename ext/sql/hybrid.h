// quiver_hybrid: vector and full-text search fused in one query (see hybrid.cpp).
#pragma once

#include "sqlite_api.h"

namespace quiver {

int register_hybrid(sqlite3* db);

}  // namespace quiver
