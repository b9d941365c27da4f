#include "content_sync.h"

#include <cstring>

#include "sql_value.h"
#include "statement.h"

namespace quiver {

namespace {

std::string ident(const std::string& name) { return sql_format("\"%w\"", name.c_str()); }

bool same_name(const std::string& a, const std::string& b) { return sqlite3_stricmp(a.c_str(), b.c_str()) == 0; }

bool names_rowid(const std::string& name) {
  return name.empty() || same_name(name, "rowid") || same_name(name, "oid") || same_name(name, "_rowid_");
}

// The content table's rowid as SQL: its INTEGER PRIMARY KEY, or rowid.
std::string rowid_column(const TableSpec& spec) {
  return names_rowid(spec.content_rowid) ? "rowid" : ident(spec.content_rowid);
}

std::string content_name(const std::string& schema, const TableSpec& spec) {
  return ident(schema) + "." + ident(spec.content_table);
}

std::string text_at(const Statement& s, int col) {
  const unsigned char* text = sqlite3_column_text(s.get(), col);
  return text ? reinterpret_cast<const char*>(text) : "";
}

const char* const kTriggerSuffixes[] = {"_sync_insert", "_sync_update", "_sync_delete"};

// What integrity-check found of one kind: how many, and the first rowids.
struct Finding {
  Finding(std::string one, std::string many) : one(std::move(one)), many(std::move(many)) {}
  std::string one, many;  // "1 <one>", "2 <many>"
  int64_t count = 0;
  std::vector<int64_t> first;
  void add(int64_t rowid) {
    if (first.size() < 5) first.push_back(rowid);
    ++count;
  }
  std::string describe() const {
    std::string text = std::to_string(count) + " " + (count == 1 ? one : many) + " (rowid";
    for (size_t i = 0; i < first.size(); ++i) text += (i ? ", " : " ") + std::to_string(first[i]);
    return text + (count > static_cast<int64_t>(first.size()) ? ", ...)" : ")");
  }
};

}  // namespace

std::vector<std::string> schema_columns(const TableSpec& spec) {
  std::vector<std::string> names;
  for (size_t i = 0; i <= spec.columns.size(); ++i) {
    if (i == spec.vector_position) names.push_back(spec.vector_column);
    if (i < spec.columns.size()) names.push_back(spec.columns[i].name);
  }
  return names;
}

void check_content_table(sqlite3* db, const std::string& schema, const TableSpec& spec) {
  const std::string& table = spec.content_table;
  Statement list(db, "SELECT type, wr FROM pragma_table_list(?1) WHERE schema = ?2");
  list.bind(1, table).bind(2, schema);
  if (!list.step())
    fail("no content table \"" + table + "\" in schema \"" + schema +
         "\" (content= names an ordinary table in the index's own schema)");
  std::string type = text_at(list, 0);
  if (type != "table")
    fail("content table \"" + table + "\" is a " + (type == "virtual" || type == "shadow" ? type + " table" : type) +
         " (content= needs an ordinary table)");
  if (list.int_at(1)) fail("content table \"" + table + "\" is WITHOUT ROWID (content= needs a rowid table)");

  struct Column {
    std::string type;
    int64_t pk;
  };
  std::vector<std::pair<std::string, Column>> columns;
  int64_t primary_keys = 0;
  Statement info(db, "SELECT name, type, pk FROM pragma_table_xinfo(?1, ?2)");
  info.bind(1, table).bind(2, schema);
  while (info.step()) {
    columns.push_back({text_at(info, 0), Column{text_at(info, 1), info.int_at(2)}});
    if (info.int_at(2) > 0) ++primary_keys;
  }
  auto find = [&](const std::string& name) -> const Column* {
    for (const auto& c : columns)
      if (same_name(c.first, name)) return &c.second;
    return nullptr;
  };
  for (const std::string& name : schema_columns(spec))
    if (!find(name)) fail("content table \"" + table + "\" has no column \"" + name + "\"");
  if (names_rowid(spec.content_rowid)) return;
  const Column* rowid = find(spec.content_rowid);
  if (!rowid) fail("content table \"" + table + "\" has no column \"" + spec.content_rowid + "\"");
  if (rowid->pk != 1 || primary_keys != 1 || !same_name(rowid->type, "integer"))
    fail("content_rowid \"" + spec.content_rowid + "\" is not the INTEGER PRIMARY KEY of \"" + table +
         "\" (leave content_rowid out to use its rowid)");
}

void for_each_content_row(sqlite3* db, const std::string& schema, const TableSpec& spec, const ContentRow& row) {
  std::vector<std::string> names = schema_columns(spec);
  std::string rowid = rowid_column(spec);
  std::string sql = "SELECT " + rowid;
  for (const std::string& name : names) sql += ", " + ident(name);
  sql += " FROM " + content_name(schema, spec) + " WHERE " + ident(spec.vector_column) + " IS NOT NULL ORDER BY " +
         rowid;
  Statement rows(db, sql);
  std::vector<sqlite3_value*> values(names.size());
  while (rows.step()) {
    for (size_t i = 0; i < names.size(); ++i) values[i] = sqlite3_column_value(rows.get(), static_cast<int>(i) + 1);
    row(sqlite3_column_value(rows.get(), 0), values.data());
  }
}

void create_content_triggers(Store& store, const TableSpec& spec) {
  std::vector<std::string> names = schema_columns(spec);
  std::string schema = ident(store.schema()), index = ident(store.table()), content = ident(spec.content_table);
  std::string rowid = rowid_column(spec), vector = ident(spec.vector_column);
  std::string columns, new_values, assignments;
  for (const std::string& name : names) {
    columns += ", " + ident(name);
    new_values += ", new." + ident(name);
    assignments += std::string(assignments.empty() ? "" : ", ") + ident(name) + " = new." + ident(name);
  }
  std::string insert = "INTO " + index + "(rowid" + columns + ") SELECT new." + rowid + new_values + " WHERE new." +
                       vector + " IS NOT NULL";
  // An UPDATE that changes the rowid by any of its names fires the trigger.
  std::vector<std::string> watched = names;
  if (!names_rowid(spec.content_rowid)) watched.push_back(spec.content_rowid);
  for (const char* alias : {"rowid", "oid", "_rowid_"}) watched.push_back(alias);
  std::string watched_list;
  for (size_t i = 0; i < watched.size(); ++i) {
    bool repeated = false;
    for (size_t j = 0; j < i; ++j) repeated = repeated || same_name(watched[i], watched[j]);
    if (!repeated) watched_list += (watched_list.empty() ? "" : ", ") + ident(watched[i]);
  }
  // An UPDATE of docs that keeps the rowid and a vector updates the index's
  // row in place; any other goes by DELETE and INSERT. Neither can meet a
  // UNIQUE conflict, so the policy of the statement on docs (UPDATE OR
  // IGNORE, an UPSERT's), which SQLite imposes on a trigger's statements,
  // changes nothing.
  std::string moved = "(old." + rowid + " IS NOT new." + rowid + " OR old." + vector + " IS NULL OR new." + vector +
                      " IS NULL)";

  const std::string& base = store.table();
  std::string ddl =
      "CREATE TRIGGER " + schema + "." + ident(base + kTriggerSuffixes[0]) + " AFTER INSERT ON " + content +
      " BEGIN INSERT OR REPLACE " + insert + "; DELETE FROM " + index + " WHERE rowid = new." + rowid + " AND new." +
      vector + " IS NULL; END;\n" +
      "CREATE TRIGGER " + schema + "." + ident(base + kTriggerSuffixes[1]) + " AFTER UPDATE OF " + watched_list +
      " ON " + content + " BEGIN DELETE FROM " + index + " WHERE rowid IN (old." + rowid + ", new." + rowid +
      ") AND " + moved + "; UPDATE " + index + " SET " + assignments + " WHERE rowid = old." + rowid + " AND NOT " +
      moved + "; INSERT " + insert + " AND " + moved + "; END;\n" +
      "CREATE TRIGGER " + schema + "." + ident(base + kTriggerSuffixes[2]) + " AFTER DELETE ON " + content +
      " BEGIN DELETE FROM " + index + " WHERE rowid = old." + rowid + "; END;";
  exec(store.db(), ddl);
  store.set_config("content_triggers", base);
}

void drop_content_triggers(Store& store) {
  std::string base = store.config("content_triggers");
  if (base.empty()) return;
  std::string ddl;
  for (const char* suffix : kTriggerSuffixes)
    ddl += "DROP TRIGGER IF EXISTS " + ident(store.schema()) + "." + ident(base + suffix) + ";";
  exec(store.db(), ddl);
}

std::vector<int64_t> index_rowids(Store& store) {
  std::vector<int64_t> rowids;
  Statement rows = store.select_rows(RowSelection::Rowids, {});
  while (rows.step()) rowids.push_back(rows.int_at(0));
  return rowids;
}

void check_content(Store& store, const TableSpec& spec) {
  std::string content = content_name(store.schema(), spec) + " AS d";
  std::string rowid = "d." + rowid_column(spec), vector = "d." + ident(spec.vector_column);
  const std::string& docs = spec.content_table;
  Finding missing("row of " + docs + " missing from the index", "rows of " + docs + " missing from the index");
  Finding extra("row in the index that " + docs + " lacks or has with a NULL vector",
                "rows in the index that " + docs + " lacks or has with a NULL vector");
  Finding vectors("vector differing from " + docs, "vectors differing from " + docs);
  Finding values("row whose declared columns differ from " + docs, "rows whose declared columns differ from " + docs);

  std::vector<std::string> declared;
  for (const ColumnSpec& c : spec.columns) declared.push_back("d." + ident(c.name));
  ContentComparison compared = store.compare_with_content(content, rowid, vector, declared);
  while (compared.missing.step()) missing.add(compared.missing.int_at(0));
  while (compared.extra.step()) extra.add(compared.extra.int_at(0));
  Statement& both = compared.both;
  std::vector<unsigned char> stored(store.vector_bytes());
  while (both.step()) {
    int64_t id = both.int_at(0);
    store.read_vector(id, Location{both.int_at(1), both.int_at(2)}, stored.data());
    DecodedVector given;
    Status s = decode_vector(sqlite3_column_value(both.get(), 3), spec.element_type, &given);
    if (s.ok()) s = convert_for_column(spec.element_type, &given);
    bool same = s.ok() && given.view.type == spec.element_type && given.view.dims == spec.dims &&
                std::memcmp(given.view.data, stored.data(), stored.size()) == 0;
    if (!same) vectors.add(id);
    if (both.int_at(4)) values.add(id);
  }

  std::string report;
  for (const Finding* f : {&missing, &extra, &vectors, &values})
    if (f->count) report += (report.empty() ? "" : ", ") + f->describe();
  if (!report.empty())
    corrupt(store.table() + " is out of sync with its content table " + docs + ": " + report + "; 'rebuild' reads " +
            docs + " again");
}

void rethrow_for_content_row(const TableSpec& spec, sqlite3_value* rowid, const SqlError& e) {
  const char* prefix = "quiver: ";
  std::string message = e.what();
  if (!has_content(spec) || e.rc() != SQLITE_ERROR || sqlite3_value_type(rowid) != SQLITE_INTEGER ||
      message.compare(0, std::strlen(prefix), prefix) != 0)
    throw e;
  fail("row " + std::to_string(sqlite3_value_int64(rowid)) + " of " + spec.content_table + ": " +
       message.substr(std::strlen(prefix)));
}

}  // namespace quiver
