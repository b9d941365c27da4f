// Registration of the scalar and aggregate SQL functions (DESIGN §2).
#pragma once

#include "sqlite_api.h"

namespace quiver {

int register_functions(sqlite3* db);

}  // namespace quiver
