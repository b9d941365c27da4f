// The quiver tables a connection has open, for the table-valued functions
// (quiver_stats, quiver_pairs, quiver_hybrid, ...) that name one. One per
// connection, handed to the module and the functions as their client data
// (rtree's habit), so no state is shared between connections and no lock is
// needed: SQLite runs a connection's calls one at a time.
#pragma once

#include <string>
#include <unordered_map>

#include "sqlite_api.h"

namespace quiver {

class Store;
class Ivf;

// The storage and index of a quiver table.
struct QuiverTable {
  Store* store;
  Ivf* ivf;
};

class Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }

  // Called as the module connects and disconnects a table (and renames it).
  void add(const std::string& schema, const std::string& table, QuiverTable t);
  void remove(const std::string& schema, const std::string& table, const Store* store);

  // The table `name`, found as SQLite finds an unqualified name (temp, main,
  // attached databases) or named "schema.table"; connected if need be.
  // Throws SqlError when there is no such quiver table.
  QuiverTable open(const std::string& name);

 private:
  sqlite3* db_;
  std::unordered_map<std::string, QuiverTable> tables_;  // by key()
};

}  // namespace quiver
