// The `quiver` virtual table module (DESIGN §3).
#pragma once

#include "sqlite_api.h"

namespace quiver {

int register_vtab(sqlite3* db);

}  // namespace quiver
