// The `quiver` virtual table module (DESIGN §3).
#pragma once

#include <string>

#include "sqlite_api.h"

namespace quiver {

class Store;
class Ivf;

int register_vtab(sqlite3* db);

// The storage and index of a quiver table of this connection, for the
// table-valued functions: `name` is a table name, found as SQLite finds an
// unqualified one (temp, main, attached databases), or "schema.table".
// Throws SqlError when there is no such table.
struct QuiverTable {
  Store* store;
  Ivf* ivf;
};
QuiverTable open_table(sqlite3* db, const std::string& name);

}  // namespace quiver
