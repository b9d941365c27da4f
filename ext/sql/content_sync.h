// External content: an index declared with content=docs holds the vectors
// (and declared columns) of the ordinary table `docs`, kept in sync by
// triggers on docs that write into the index through its own INSERT and
// DELETE, so every rule of the write path (vector checks, REPLACE, IVF lists
// and training at commit, savepoints) holds for them too.
//
// The triggers, named after the index at creation (the config key
// content_triggers keeps that name, so a renamed index still drops them):
//   <index>_sync_insert  AFTER INSERT ON docs: INSERT OR REPLACE the row into
//                        the index if its vector is not NULL, else DELETE it
//                        (an INSERT OR REPLACE on docs without
//                        recursive_triggers fires no DELETE trigger)
//   <index>_sync_update  AFTER UPDATE OF the vector, a declared column or the
//                        rowid: UPDATE the index's row in place if the rowid
//                        stays and the vector was and is not NULL, else
//                        DELETE the old and new rowids (UPDATE OR REPLACE
//                        may have dropped the new one from docs) and INSERT
//   <index>_sync_delete  AFTER DELETE: DELETE the row
// The content table is the one of that name in the index's schema (triggers
// of a schema may only name its own tables).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "errors.h"
#include "sqlite_api.h"
#include "store.h"
#include "table_spec.h"

namespace quiver {

inline bool has_content(const TableSpec& spec) { return !spec.content_table.empty(); }

// The index's columns (the vector among them) in the order of its declared
// schema, which is the order of the values content rows are read in.
std::vector<std::string> schema_columns(const TableSpec& spec);

// Checks that `schema` has the content table as an ordinary rowid table with
// every declared column, and a content_rowid that is its rowid or INTEGER
// PRIMARY KEY; throws an error naming what is missing.
void check_content_table(sqlite3* db, const std::string& schema, const TableSpec& spec);

// Every content row with a non-NULL vector, in rowid order: row(rowid,
// values in schema_columns order).
using ContentRow = std::function<void(sqlite3_value* rowid, sqlite3_value** values)>;
void for_each_content_row(sqlite3* db, const std::string& schema, const TableSpec& spec, const ContentRow& row);

// Creates the triggers of index `table` (and records their name in its
// config); drops them, if they still exist (DROP TABLE docs drops them too).
void create_content_triggers(Store& store, const TableSpec& spec);
void drop_content_triggers(Store& store);

// The rowids the index holds, in rowid order.
std::vector<int64_t> index_rowids(Store& store);

// 'integrity-check' for an index with content: compares it with the content
// table (rows missing, rows extra, vectors or declared values differing) and
// throws a corrupt-index error that counts each and names the first rowids.
// It joins the content table with T_rows (store.h) in SQL, so that declared
// values compare with both columns' affinities, as SQL compares them.
void check_content(Store& store, const TableSpec& spec);

// A write of content row `rowid` that failed: the error again, naming the
// row of the content table (a failing trigger's message is all the user of
// docs sees). Constraint errors (REPLACE, IGNORE) pass as they are.
[[noreturn]] void rethrow_for_content_row(const TableSpec& spec, sqlite3_value* rowid, const SqlError& e);

}  // namespace quiver
