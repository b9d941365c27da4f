// quiver_hybrid(index, fts_table, query_vector, query_text, k [, options [, filter]])
//
// Hybrid search: the `depth` nearest rows of the quiver table `index` to
// query_vector (its KNN search) and the `depth` best rows of the FTS5 table
// `fts_table` for query_text (an FTS5 query, ranked by the table's `rank`,
// BM25 by default), fused by reciprocal rank fusion (fusion.h) into the k
// best rows: rowid, score, vector_rank, text_rank, distance, text_score,
// best first. vector_rank and distance are NULL for a row the vector side
// did not rank, text_rank and text_score (FTS5's rank value) for one the
// text side did not. Both tables use one rowid space: the rowid of the
// documents they describe. A NULL query_vector or query_text leaves that
// side out. options and filter are parsed by hybrid_args.h; the filter's
// conditions on the index's metadata columns go into both searches (the
// text side reads them from the index by rowid), so each side ranks only
// rows that pass.
//
// Both sides run as SQL statements on the caller's connection, so the
// searches are exactly what a user would write by hand, in the same
// transaction; this file only checks the arguments, builds the two
// statements and fuses their answers.
#include "hybrid.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "connection.h"
#include "hybrid_args.h"
#include "errors.h"
#include "statement.h"
#include "sql_value.h"
#include "store.h"
#include "table_function.h"
#include "table_spec.h"

namespace quiver {
namespace {

constexpr int64_t kMaxHybridK = int64_t{1} << 24;  // as k in a quiver table

[[noreturn]] void hybrid_error(const std::string& message) {
  throw SqlError(SQLITE_ERROR, "quiver_hybrid: " + message);
}

std::string text_argument(sqlite3_value* v, const char* what) {
  const unsigned char* s = sqlite3_value_text(v);
  if (sqlite3_value_type(v) != SQLITE_TEXT) hybrid_error(std::string(what) + " must be text");
  if (!s) throw std::bad_alloc();
  return reinterpret_cast<const char*>(s);
}

// The FTS5 table `name` ("table" or "schema.table", found as SQLite finds
// a name): its schema and table name.
struct FtsTable {
  std::string schema, table;
};

FtsTable find_fts_table(sqlite3* db, const std::string& name) {
  // An explicit schema, if the part before a dot names one.
  std::string schema, table = name;
  size_t dot = name.find('.');
  if (dot != std::string::npos) {
    Statement s(db, "SELECT 1 FROM pragma_database_list WHERE name = ?1");
    check_rc(db, sqlite3_bind_text(s.get(), 1, name.c_str(), static_cast<int>(dot), SQLITE_TRANSIENT));
    int rc = sqlite3_step(s.get());
    check_rc(db, rc);
    if (rc == SQLITE_ROW) {
      schema = name.substr(0, dot);
      table = name.substr(dot + 1);
    }
  }
  // The first schema holding the name in SQLite's order: temp, main, attached.
  Statement find(db,
                           "SELECT l.schema, l.name, l.type FROM pragma_database_list AS d "
                           "JOIN pragma_table_list AS l ON l.schema = d.name "
                           "WHERE l.name = ?1 COLLATE NOCASE AND (?2 IS NULL OR d.name = ?2) "
                           "ORDER BY d.seq = 1 DESC, d.seq LIMIT 1");
  check_rc(db, sqlite3_bind_text(find.get(), 1, table.c_str(), -1, SQLITE_TRANSIENT));
  if (!schema.empty()) check_rc(db, sqlite3_bind_text(find.get(), 2, schema.c_str(), -1, SQLITE_TRANSIENT));
  int rc = sqlite3_step(find.get());
  check_rc(db, rc);
  if (rc != SQLITE_ROW) hybrid_error("no table named \"" + name + "\"");
  FtsTable out{reinterpret_cast<const char*>(sqlite3_column_text(find.get(), 0)),
               reinterpret_cast<const char*>(sqlite3_column_text(find.get(), 1))};
  // A virtual table whose CREATE statement says USING fts5.
  Statement sql(db, "SELECT sql FROM " + quote_identifier(out.schema) + ".sqlite_schema WHERE name = ?1");
  check_rc(db, sqlite3_bind_text(sql.get(), 1, out.table.c_str(), -1, SQLITE_TRANSIENT));
  rc = sqlite3_step(sql.get());
  check_rc(db, rc);
  std::string create = rc == SQLITE_ROW && sqlite3_column_text(sql.get(), 0)
                           ? reinterpret_cast<const char*>(sqlite3_column_text(sql.get(), 0))
                           : "";
  std::string upper = create;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  size_t using_at = upper.rfind(" USING ", upper.find('('));
  std::string module;
  if (upper.compare(0, 21, "CREATE VIRTUAL TABLE ") == 0 && using_at != std::string::npos) {
    size_t at = using_at + 7;
    while (at < create.size() && std::isspace(static_cast<unsigned char>(create[at]))) ++at;
    parse_identifier(create.substr(at), &module);
    for (char& c : module) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (module != "fts5") hybrid_error("\"" + name + "\" is not an fts5 table");
  return out;
}

void bind_filter_value(sqlite3* db, sqlite3_stmt* stmt, int slot, const FilterValue& v) {
  int rc = SQLITE_OK;
  switch (v.kind) {
    case FilterValue::Null: rc = sqlite3_bind_null(stmt, slot); break;
    case FilterValue::Integer: rc = sqlite3_bind_int64(stmt, slot, v.i); break;
    case FilterValue::Real: rc = sqlite3_bind_double(stmt, slot, v.d); break;
    case FilterValue::Text: rc = sqlite3_bind_text(stmt, slot, v.s.c_str(), static_cast<int>(v.s.size()), SQLITE_TRANSIENT); break;
  }
  check_rc(db, rc);
}

// The filter as SQL over `alias` (" AND alias."col" op ?n ..."), its values
// numbered from `first`.
std::string filter_sql(const std::vector<FilterCondition>& filter, const std::string& alias, int first) {
  std::string sql;
  int slot = first;
  for (const FilterCondition& c : filter) {
    sql += " AND " + alias + quote_identifier(c.column) + " " + c.op + " ";
    if (c.op == "IN") {
      sql += "(";
      for (size_t i = 0; i < c.values.size(); ++i) sql += (i ? ", ?" : "?") + std::to_string(slot++);
      sql += ")";
    } else {
      sql += "?" + std::to_string(slot++);
    }
  }
  return sql;
}

void bind_filter(sqlite3* db, sqlite3_stmt* stmt, const std::vector<FilterCondition>& filter, int first) {
  int slot = first;
  for (const FilterCondition& c : filter)
    for (const FilterValue& v : c.values) bind_filter_value(db, stmt, slot++, v);
}

// Every condition names rowid or a metadata column: what the search filters.
void check_filter_columns(const std::vector<FilterCondition>& filter, const TableSpec& spec, const std::string& index) {
  for (const FilterCondition& c : filter) {
    if (sqlite3_stricmp(c.column.c_str(), "rowid") == 0) continue;
    auto column = std::find_if(spec.columns.begin(), spec.columns.end(), [&](const ColumnSpec& s) {
      return sqlite3_stricmp(s.name.c_str(), c.column.c_str()) == 0;
    });
    if (column == spec.columns.end())
      hybrid_error("the filter names \"" + c.column + "\", which is not a metadata column of \"" + index + "\"");
    if (column->auxiliary)
      hybrid_error("the filter names \"" + c.column + "\", an auxiliary column of \"" + index +
                   "\": only metadata columns are filtered inside the search");
  }
}

std::vector<RankedRow> collect(sqlite3* db, sqlite3_stmt* stmt) {
  std::vector<RankedRow> rows;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
    rows.push_back({sqlite3_column_int64(stmt, 0), sqlite3_column_double(stmt, 1)});
  check_rc(db, rc);
  return rows;
}

Rows produce_hybrid(Connection& connection, int argc, sqlite3_value** argv) {
  sqlite3* db = connection.db();
  std::string index = text_argument(argv[0], "the index (first argument)");
  std::string fts_name = text_argument(argv[1], "the fts5 table (second argument)");
  QuiverTable quiver = connection.open(index);
  const TableSpec& spec = quiver.store->spec();
  std::string index_sql = quote_identifier(quiver.store->schema()) + "." + quote_identifier(quiver.store->table());
  FtsTable fts = find_fts_table(db, fts_name);
  sqlite3_value* query_vector = argv[2];
  sqlite3_value* query_text = argv[3];
  bool use_vector = sqlite3_value_type(query_vector) != SQLITE_NULL;
  bool use_text = sqlite3_value_type(query_text) != SQLITE_NULL;
  if (!use_vector && !use_text) hybrid_error("needs a query vector or a query text (both are NULL)");
  int64_t k = integer_argument(argv[4], "quiver_hybrid: k", 1, kMaxHybridK);
  HybridOptions options;
  if (argc > 5 && sqlite3_value_type(argv[5]) != SQLITE_NULL) {
    Status s = parse_hybrid_options(text_argument(argv[5], "the options"), kMaxHybridK, kMaxLists, &options);
    if (!s.ok()) hybrid_error(s.message());
  }
  std::vector<FilterCondition> filter;
  if (argc > 6 && sqlite3_value_type(argv[6]) != SQLITE_NULL) {
    Status s = parse_hybrid_filter(text_argument(argv[6], "the filter"), &filter);
    if (!s.ok()) hybrid_error(s.message());
    check_filter_columns(filter, spec, index);
  }
  int64_t depth = options.depth ? options.depth : k;

  std::vector<RankedRow> vector_rows, text_rows;
  if (use_vector) {
    // ?1 query, ?2 depth, ?3 probes, ?4... the filter's values.
    Statement s(db, "SELECT rowid, distance FROM " + index_sql + " WHERE " + quote_identifier(spec.vector_column) +
                                  " MATCH ?1 AND k = ?2" + (options.probes ? " AND probes = ?3" : "") +
                                  filter_sql(filter, "", 4) + " ORDER BY distance, rowid");
    check_rc(db, sqlite3_bind_value(s.get(), 1, query_vector));
    check_rc(db, sqlite3_bind_int64(s.get(), 2, depth));
    if (options.probes) check_rc(db, sqlite3_bind_int64(s.get(), 3, options.probes));
    bind_filter(db, s.get(), filter, 4);
    vector_rows = collect(db, s.get());
  }
  if (use_text) {
    // ?1 query, ?2 depth, ?3... the filter's values, read from the index.
    std::string from = quote_identifier(fts.schema) + "." + quote_identifier(fts.table) + "(?1) AS f";
    if (!filter.empty()) from += " JOIN " + index_sql + " AS q ON q.rowid = f.rowid WHERE 1" + filter_sql(filter, "q.", 3);
    Statement s(db, "SELECT f.rowid, f.rank FROM " + from + " ORDER BY f.rank, f.rowid LIMIT ?2");
    check_rc(db, sqlite3_bind_value(s.get(), 1, query_text));
    check_rc(db, sqlite3_bind_int64(s.get(), 2, depth));
    bind_filter(db, s.get(), filter, 3);
    text_rows = collect(db, s.get());
  }

  bool hamming = spec.metric == Metric::Hamming;  // a bit count, INTEGER as everywhere
  Rows rows;
  for (const FusedRow& r : fuse_ranks(vector_rows, text_rows, options.fusion, static_cast<size_t>(k))) {
    rows.push_back({Cell::integer(r.rowid), Cell::real(r.score),
                    r.vector_rank ? Cell::integer(r.vector_rank) : Cell(),
                    r.text_rank ? Cell::integer(r.text_rank) : Cell(),
                    !r.vector_rank ? Cell() : hamming ? Cell::integer(static_cast<int64_t>(r.distance)) : Cell::real(r.distance),
                    r.text_rank ? Cell::real(r.text_score) : Cell()});
  }
  return rows;
}

const TableFunction kHybrid = {
    "quiver_hybrid",
    "CREATE TABLE x(rowid, score, vector_rank, text_rank, distance, text_score, "
    "idx HIDDEN, fts HIDDEN, query_vector HIDDEN, query_text HIDDEN, k HIDDEN, options HIDDEN, filter HIDDEN)",
    6, 5, 7, produce_hybrid};

}  // namespace

int register_hybrid(Connection& connection) { return register_table_function(connection, kHybrid); }

}  // namespace quiver
