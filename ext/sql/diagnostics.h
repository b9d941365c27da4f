// quiver_stats and quiver_recall: table-valued functions reporting on a
// quiver table's index (see diagnostics.cpp).
#pragma once

#include "sqlite_api.h"

namespace quiver {

int register_diagnostics(sqlite3* db);

}  // namespace quiver
