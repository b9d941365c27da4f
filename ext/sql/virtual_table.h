// What the `quiver` module's files share: the table object SQLite holds for
// each quiver table of a connection. vtab.cpp is the module (declaration,
// cursors, transactions); best_index.cpp plans queries; table_writes.cpp runs
// INSERT, UPDATE, DELETE and commands; table_vectors.cpp checks the vectors
// a query or a row brings.
//
// Declared schema, in this order: the user's columns as declared (the vector
// column among them), then the hidden columns distance, k, probes, cluster
// (the row's IVF list), and one named after the table for FTS5-style commands
// (INSERT INTO t(t) VALUES ('integrity-check')).
#pragma once

#include <memory>
#include <string>

#include "connection.h"
#include "ivf.h"
#include "sqlite_api.h"
#include "store.h"
#include "table_spec.h"
#include "sql_value.h"
#include "vector.h"

namespace quiver {

struct VirtualTable : sqlite3_vtab {
  // Shared with the module: SQLite may free the module's client data before
  // it disconnects the last table when the connection closes.
  std::shared_ptr<Connection> connection;
  std::unique_ptr<Store> store;
  std::unique_ptr<Ivf> ivf;
  TableSpec spec;
  int vector_position = 0;  // schema index of the vector column
  int user_columns = 0;     // columns declared by the user
  bool buffered_before_savepoint = false;  // x_savepoint could not write the buffers (vtab.cpp)
  // Hidden columns follow the user's columns.
  int distance_column() const { return user_columns; }
  int k_column() const { return user_columns + 1; }
  int probes_column() const { return user_columns + 2; }
  int cluster_column() const { return user_columns + 3; }
  int command_column() const { return user_columns + 4; }
  // Index into spec.columns of a schema column that is not the vector, or -1.
  int value_index(int schema_column) const {
    if (schema_column < 0 || schema_column >= user_columns || schema_column == vector_position) return -1;
    return schema_column - (schema_column > vector_position ? 1 : 0);
  }
};

inline VirtualTable* table_of(sqlite3_vtab* v) { return static_cast<VirtualTable*>(v); }

// best_index.cpp
int x_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info);
int x_find_function(sqlite3_vtab* vtab, int argc, const char* name,
                    void (**function)(sqlite3_context*, int, sqlite3_value**), void** user_data);

// table_writes.cpp
int x_update(sqlite3_vtab* vtab, int argc, sqlite3_value** argv, sqlite3_int64* out_rowid);
// At CREATE VIRTUAL TABLE of an index with content= (content_sync.h): reads
// the content table's rows, then creates the triggers.
void create_content(VirtualTable* t);

// table_vectors.cpp: the query vector of a MATCH, and the vector of a row
// written, decoded and checked against the column (type, dimensions, NULL,
// a zero vector under cosine), with errors that name what is wrong.
void decode_query(const VirtualTable* t, sqlite3_value* value, DecodedVector* out);
void decode_row_vector(const VirtualTable* t, sqlite3_value* value, DecodedVector* out);

}  // namespace quiver
