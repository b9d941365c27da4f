#include "connection.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <vector>

#include "statement.h"
#include "store.h"

namespace quiver {
namespace {

// SQLite compares schema and table names without case.
std::string key(const std::string& schema, const std::string& table) {
  std::string k = schema + '\x1f' + table;
  for (char& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return k;
}

// True when `schema` has a table or view named `table`.
bool schema_has_table(sqlite3* db, const std::string& schema, const std::string& table) {
  Statement s(db, sql_format("SELECT 1 FROM \"%w\".sqlite_master WHERE type IN ('table', 'view') AND name = ?1 "
                             "COLLATE NOCASE",
                             schema.c_str()));
  s.bind(1, table);
  return s.step();
}

}  // namespace

void Connection::add(const std::string& schema, const std::string& table, QuiverTable t) {
  tables_[key(schema, table)] = t;
}

void Connection::remove(const std::string& schema, const std::string& table, const Store* store) {
  auto it = tables_.find(key(schema, table));
  if (it != tables_.end() && it->second.store == store) tables_.erase(it);
}

QuiverTable Connection::open(const std::string& name) {
  // The schemas in SQLite's own lookup order for an unqualified name: temp,
  // main, then attached databases.
  std::vector<std::string> schemas;
  {
    Statement s(db_, "SELECT name FROM pragma_database_list ORDER BY seq = 1 DESC, seq");
    while (s.step()) schemas.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0)));
  }
  // "schema.table" names a schema explicitly.
  std::string schema, table = name;
  size_t dot = name.find('.');
  if (dot != std::string::npos && std::find(schemas.begin(), schemas.end(), name.substr(0, dot)) != schemas.end()) {
    schema = name.substr(0, dot);
    table = name.substr(dot + 1);
  }
  // Unqualified: the first schema that has a table (or view) of that name,
  // quiver or not, as SQLite resolves it.
  for (size_t i = 0; schema.empty() && i < schemas.size(); ++i)
    if (schema_has_table(db_, schemas[i], table)) schema = schemas[i];
  if (schema.empty()) fail("no table named \"" + name + "\"");
  auto it = tables_.find(key(schema, table));
  if (it == tables_.end()) {
    // Not connected yet in this connection: SQLite connects a virtual table
    // when a statement first uses it, so prepare one.
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql_format("SELECT 1 FROM \"%w\".\"%w\" LIMIT 0", schema.c_str(), table.c_str()).c_str(),
                                -1, &stmt, nullptr);
    sqlite3_finalize(stmt);
    if (rc == SQLITE_NOMEM) throw std::bad_alloc();
    // A table that exists but cannot be connected (a newer storage format, a
    // damaged config) says why.
    if (rc != SQLITE_OK && std::strncmp(sqlite3_errmsg(db_), "no such table", 13) != 0)
      throw SqlError(rc, sqlite3_errmsg(db_));
    if (rc != SQLITE_OK) fail("no table named \"" + name + "\"");
    it = tables_.find(key(schema, table));
  }
  if (it == tables_.end()) fail("\"" + name + "\" is not a quiver table");
  it->second.store->refresh();  // another connection may have written since
  return it->second;
}

}  // namespace quiver
