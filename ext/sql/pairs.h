// quiver_pairs: all pairs of rows within a distance (see pairs.cpp).
#pragma once

#include "sqlite_api.h"

namespace quiver {

int register_pairs(sqlite3* db);

}  // namespace quiver
