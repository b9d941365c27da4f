// The `quiver` virtual table module (README "The `quiver` virtual table").
#pragma once

#include "sqlite_api.h"

namespace quiver {

class Connection;

// Registers the module on the connection's database. The module owns
// `connection` from then on (SQLite frees it with the module, and also when
// the registration fails).
int register_vtab(Connection* connection);

}  // namespace quiver
