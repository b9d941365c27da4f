// The store's queries on T_rows that return many rows or that a caller
// keeps: what a search filter lets through, a full scan, one row's values,
// the rows in chunk order and every rowid. Conditions come from the plan
// (plan.h) and are compiled to SQL here, next to the table they read.
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "statement.h"
#include "store.h"

namespace quiver {
namespace {

// A copy of a value: those an IN list yields are overwritten by the next.
using OwnedValue = std::unique_ptr<sqlite3_value, void (*)(sqlite3_value*)>;

// The SQL of one condition; `values` collects what to bind, in order (an IN
// list expands to several).
std::string condition_sql(const RowCondition& c, std::vector<OwnedValue>* values) {
  const PlanArg& a = c.arg;
  // T_rows's columns have the declared types, so SQLite applies the same
  // affinity to the bound value as it would on an ordinary table.
  std::string column = a.kind == ArgKind::Rowid ? "rowid" : "c" + std::to_string(a.column);
  if (!a.collation.empty()) column += " COLLATE " + quote_identifier(a.collation);
  auto param = [&](sqlite3_value* v) {
    values->emplace_back(nullptr, sqlite3_value_free);  // room first, so that the copy cannot leak
    values->back().reset(sqlite3_value_dup(v));
    if (!values->back()) throw std::bad_alloc();
    return "?" + std::to_string(values->size());
  };
  switch (a.op) {
    case Op::Eq: return column + " = " + param(c.value);
    case Op::Ne: return column + " != " + param(c.value);
    case Op::Lt: return column + " < " + param(c.value);
    case Op::Le: return column + " <= " + param(c.value);
    case Op::Gt: return column + " > " + param(c.value);
    case Op::Ge: return column + " >= " + param(c.value);
    case Op::Is: return column + " IS " + param(c.value);
    case Op::IsNot: return column + " IS NOT " + param(c.value);
    case Op::IsNull: return column + " IS NULL";
    case Op::IsNotNull: return column + " IS NOT NULL";
    // The connection's own functions, as SQLite would call them.
    case Op::Like: return column + " LIKE " + param(c.value);
    case Op::Glob: return column + " GLOB " + param(c.value);
    case Op::Regexp: return column + " REGEXP " + param(c.value);
    case Op::In: {
      // c.value is the IN list SQLite passes to xFilter (sqlite3_vtab_in).
      std::string list;
      sqlite3_value* v = nullptr;
      for (int rc = sqlite3_vtab_in_first(c.value, &v); rc == SQLITE_OK && v; rc = sqlite3_vtab_in_next(c.value, &v)) {
        if (!list.empty()) list += ", ";
        list += param(v);
      }
      return list.empty() ? "0" : column + " IN (" + list + ")";
    }
  }
  return "0";
}

}  // namespace

std::string Store::value_columns() const {
  std::string cols;
  for (size_t i = 0; i < spec_.columns.size(); ++i) cols += ", c" + std::to_string(i);
  return cols;
}

Statement Store::select_rows(RowSelection what, const std::vector<RowCondition>& conditions) {
  std::string sql = what == RowSelection::Locations ? "SELECT chunk, slot, rowid"
                    : what == RowSelection::Rowids  ? "SELECT rowid"
                                                    : "SELECT rowid, chunk, slot" + value_columns();
  sql += sql_format(" FROM \"%w\".\"%w_rows\"", schema_.c_str(), table_.c_str());
  std::vector<OwnedValue> values;
  for (size_t i = 0; i < conditions.size(); ++i)
    sql += (i ? " AND " : " WHERE ") + condition_sql(conditions[i], &values);
  if (what != RowSelection::Locations) sql += " ORDER BY rowid";
  // Kept for the whole query (a search reruns its filter for each batch of a
  // stream), so prepared as persistent.
  Statement stmt(db_, sql, SQLITE_PREPARE_PERSISTENT);
  for (size_t i = 0; i < values.size(); ++i) stmt.bind(static_cast<int>(i) + 1, values[i].get());
  return stmt;
}

Statement Store::row_lookup() {
  return Statement(db_,
                   "SELECT rowid, chunk, slot" + value_columns() +
                       sql_format(" FROM \"%w\".\"%w_rows\" WHERE rowid = ?1", schema_.c_str(), table_.c_str()),
                   SQLITE_PREPARE_PERSISTENT);
}

Statement Store::rows_in_chunk_order() {
  return Statement(db_, sql_format("SELECT rowid, chunk, slot FROM \"%w\".\"%w_rows\" ORDER BY chunk, slot",
                                   schema_.c_str(), table_.c_str()));
}

ContentComparison Store::compare_with_content(const std::string& content, const std::string& rowid,
                                             const std::string& vector, const std::vector<std::string>& declared) {
  std::string rows = sql_format("\"%w\".\"%w_rows\" AS r", schema_.c_str(), table_.c_str());
  // The declared columns compare as SQL compares them, with the affinities
  // of both tables' columns.
  std::string differs = "0";
  for (size_t i = 0; i < declared.size(); ++i) differs += " OR r.c" + std::to_string(i) + " IS NOT " + declared[i];
  return ContentComparison{
      Statement(db_, "SELECT " + rowid + " FROM " + content + " WHERE " + vector +
                         " IS NOT NULL AND NOT EXISTS (SELECT 1 FROM " + rows + " WHERE r.rowid = " + rowid +
                         ") ORDER BY 1"),
      Statement(db_, "SELECT r.rowid FROM " + rows + " WHERE NOT EXISTS (SELECT 1 FROM " + content + " WHERE " +
                         rowid + " = r.rowid AND " + vector + " IS NOT NULL) ORDER BY 1"),
      Statement(db_, "SELECT " + rowid + ", r.chunk, r.slot, " + vector + ", " + differs + " FROM " + content +
                         " JOIN " + rows + " ON r.rowid = " + rowid + " WHERE " + vector + " IS NOT NULL ORDER BY 1")};
}

}  // namespace quiver
