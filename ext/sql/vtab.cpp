// The `quiver` virtual table: declaration, plans, queries, writes, commands.
//
// Declared schema, in this order: the user's columns as declared (the vector
// column among them), then the hidden columns distance, k, probes, cluster
// (the row's IVF list), and one named after the table for FTS5-style commands
// (INSERT INTO t(t) VALUES ('integrity-check')).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#include "content_sync.h"
#include "ivf.h"
#include "kernels.h"
#include "plan.h"
#include "scan.h"
#include "guard.h"
#include "statement.h"
#include "sql_value.h"
#include "store.h"
#include "table_spec.h"
#include "vtab.h"

namespace quiver {
namespace {

// Largest k a query may ask for; memory is proportional to min(k, rows).
constexpr int64_t kMaxK = int64_t{1} << 24;
// First batch of a stream (MATCH without k, LIMIT or distance bound); each
// further batch doubles.
constexpr size_t kFirstStreamBatch = 32;

struct Table;
void unregister_table(Table* t);

struct Table : sqlite3_vtab {
  ~Table() { unregister_table(this); }
  sqlite3* db = nullptr;
  std::string registry_key;  // empty until registered
  std::unique_ptr<Store> store;
  std::unique_ptr<Ivf> ivf;
  TableSpec spec;
  int vector_position = 0;  // schema index of the vector column
  int user_columns = 0;     // columns declared by the user
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

struct Cursor : sqlite3_vtab_cursor {
  Plan plan;
  // Row source for full scans and rowid lookups: rowid, chunk, slot, c0...
  sqlite3_stmt* rows = nullptr;
  bool eof = true;
  // Search results.
  std::vector<Hit> hits;
  size_t position = 0;
  std::unique_ptr<Scorer> scorer;
  DecodedVector query;
  sqlite3_value* k_value = nullptr;
  // Streaming: the next batch starts after the last hit of the last one.
  bool streaming = false;
  bool streamed = false;     // a batch was taken
  bool stream_done = false;  // the last batch came back short
  size_t batch = kFirstStreamBatch;
  Hit last{0, 0};
  std::string filter_sql;
  std::vector<sqlite3_value*> filter_args;  // protected copies
  double bound = std::numeric_limits<double>::infinity();
  bool bound_inclusive = false;
  int64_t probes = 0;  // 0: the table's default
  // Lazily fetched values of the current search hit.
  sqlite3_stmt* lookup = nullptr;
  int64_t lookup_rowid = 0;
  bool lookup_valid = false;
  std::vector<unsigned char> buffer;
  Block scratch;
  ScanScratch scores;

  ~Cursor() {
    sqlite3_finalize(rows);
    sqlite3_finalize(lookup);
    sqlite3_value_free(k_value);
    for (sqlite3_value* v : filter_args) sqlite3_value_free(v);
  }
};

Table* table_of(sqlite3_vtab* v) { return static_cast<Table*>(v); }
Cursor* cursor_of(sqlite3_vtab_cursor* c) { return static_cast<Cursor*>(c); }

// ---- the connection's quiver tables, for the table-valued functions --------

std::mutex registry_mutex;

std::unordered_map<std::string, Table*>& registry() {
  static auto* tables = new std::unordered_map<std::string, Table*>();  // never destroyed: used at exit
  return *tables;
}

std::string make_registry_key(sqlite3* db, const std::string& schema, const std::string& table) {
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "%p", static_cast<void*>(db));
  std::string key = std::string(prefix) + '\x1f' + schema + '\x1f' + table;
  for (char& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return key;
}

void register_table(Table* t, const std::string& table) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  t->registry_key = make_registry_key(t->db, t->store->schema(), table);
  registry()[t->registry_key] = t;
}

void unregister_table(Table* t) {
  if (t->registry_key.empty()) return;
  std::lock_guard<std::mutex> lock(registry_mutex);
  auto it = registry().find(t->registry_key);
  if (it != registry().end() && it->second == t) registry().erase(it);
  t->registry_key.clear();
}

std::string sql_format_id(const char* format, const std::string& a, const std::string& b) {
  char* text = sqlite3_mprintf(format, a.c_str(), b.c_str());
  if (!text) throw std::bad_alloc();
  std::unique_ptr<char, void (*)(void*)> owner(text, sqlite3_free);  // freed if the copy throws
  return std::string(text);
}

// ---- create / connect --------------------------------------------------

void create_content(Table* t);  // external content (content_sync.h), below

std::string quote_identifier(const std::string& name) {
  std::string q = "\"";
  for (char c : name) {
    q += c;
    if (c == '"') q += '"';
  }
  return q + "\"";
}

int init_table(sqlite3* db, int argc, const char* const* argv, sqlite3_vtab** out, char** err, bool create) {
  std::unique_ptr<Table> table(new (std::nothrow) Table());
  if (!table) return SQLITE_NOMEM;
  std::memset(static_cast<sqlite3_vtab*>(table.get()), 0, sizeof(sqlite3_vtab));
  try {
    std::vector<std::string> args(argv + 3, argv + argc);
    Status s = parse_table_spec(args, &table->spec);
    if (s.ok()) s = check_table_name(argv[2]);
    if (!s.ok()) {
      *err = sqlite3_mprintf("quiver: %s", s.message().c_str());
      return *err ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    std::string table_name = argv[2];
    table->vector_position = static_cast<int>(table->spec.vector_position);
    table->user_columns = static_cast<int>(table->spec.columns.size()) + 1;
    for (const ColumnSpec& c : table->spec.columns)
      if (sqlite3_stricmp(c.name.c_str(), table_name.c_str()) == 0) {
        *err = sqlite3_mprintf("quiver: column name \"%s\" is the table's name", c.name.c_str());
        return *err ? SQLITE_ERROR : SQLITE_NOMEM;
      }
    if (sqlite3_stricmp(table->spec.vector_column.c_str(), table_name.c_str()) == 0) {
      *err = sqlite3_mprintf("quiver: column name \"%s\" is the table's name", table_name.c_str());
      return *err ? SQLITE_ERROR : SQLITE_NOMEM;
    }

    // Every column with its type, so that SQLite applies the same affinity
    // to comparisons on the table as on an ordinary one (PRAGMA table_xinfo
    // shows them).
    std::string ddl = "CREATE TABLE x(";
    for (int i = 0; i < table->user_columns; ++i) {
      if (i) ddl += ", ";
      int v = table->value_index(i);
      if (v < 0) {
        ddl += quote_identifier(table->spec.vector_column) + " BLOB";
      } else {
        ddl += quote_identifier(table->spec.columns[v].name) + " " + column_type_name(table->spec.columns[v].type);
      }
    }
    const char* distance_type = table->spec.metric == Metric::Hamming ? "INTEGER" : "REAL";
    ddl += std::string(", distance ") + distance_type + " HIDDEN, k INTEGER HIDDEN, probes INTEGER HIDDEN, " +
           "cluster INTEGER HIDDEN, " + quote_identifier(table_name) + " HIDDEN)";
    int rc = sqlite3_declare_vtab(db, ddl.c_str());
    if (rc != SQLITE_OK) {
      *err = sqlite3_mprintf("quiver: %s", sqlite3_errmsg(db));
      return rc;
    }
    sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);
    sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);

    table->store.reset(new Store(db, argv[1], table_name, table->spec));
    table->ivf.reset(new Ivf(*table->store, active_kernels()));
    if (create) {
      if (has_content(table->spec)) check_content_table(db, argv[1], table->spec);
      table->store->create();
      if (has_content(table->spec)) create_content(table.get());
    } else {
      table->store->open();
    }
    table->db = db;
    register_table(table.get(), argv[2]);  // allocates: inside the try
  } catch (const SqlError& e) {
    *err = sqlite3_mprintf("%s", e.what());
    return *err ? e.rc() : SQLITE_NOMEM;
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  } catch (...) {
    return SQLITE_ERROR;
  }
  *out = table.release();
  return SQLITE_OK;
}

int x_create(sqlite3* db, void*, int argc, const char* const* argv, sqlite3_vtab** out, char** err) {
  return init_table(db, argc, argv, out, err, true);
}

int x_connect(sqlite3* db, void*, int argc, const char* const* argv, sqlite3_vtab** out, char** err) {
  return init_table(db, argc, argv, out, err, false);
}

int x_disconnect(sqlite3_vtab* vtab) {
  delete table_of(vtab);
  return SQLITE_OK;
}

int x_destroy(sqlite3_vtab* vtab) {
  int rc = guard(vtab, [&] {
    drop_content_triggers(*table_of(vtab)->store);
    table_of(vtab)->store->drop();
    return SQLITE_OK;
  });
  if (rc == SQLITE_OK) delete table_of(vtab);
  return rc;
}

int x_rename(sqlite3_vtab* vtab, const char* name) {
  return guard(vtab, [&] {
    Table* t = table_of(vtab);
    t->store->rename(name);
    unregister_table(t);
    register_table(t, name);
    return SQLITE_OK;
  });
}

int x_shadow_name(const char* suffix) { return is_shadow_part(suffix) ? 1 : 0; }

// ---- planning --------------------------------------------------------------

// The plan's operator for an SQLite constraint; false if it has none.
bool constraint_op(int op, Op* out) {
  switch (op) {
    case SQLITE_INDEX_CONSTRAINT_EQ: *out = Op::Eq; return true;
    case SQLITE_INDEX_CONSTRAINT_NE: *out = Op::Ne; return true;
    case SQLITE_INDEX_CONSTRAINT_LT: *out = Op::Lt; return true;
    case SQLITE_INDEX_CONSTRAINT_LE: *out = Op::Le; return true;
    case SQLITE_INDEX_CONSTRAINT_GT: *out = Op::Gt; return true;
    case SQLITE_INDEX_CONSTRAINT_GE: *out = Op::Ge; return true;
    case SQLITE_INDEX_CONSTRAINT_IS: *out = Op::Is; return true;
    case SQLITE_INDEX_CONSTRAINT_ISNOT: *out = Op::IsNot; return true;
    case SQLITE_INDEX_CONSTRAINT_ISNULL: *out = Op::IsNull; return true;
    case SQLITE_INDEX_CONSTRAINT_ISNOTNULL: *out = Op::IsNotNull; return true;
    case SQLITE_INDEX_CONSTRAINT_LIKE: *out = Op::Like; return true;
    case SQLITE_INDEX_CONSTRAINT_GLOB: *out = Op::Glob; return true;
    case SQLITE_INDEX_CONSTRAINT_REGEXP: *out = Op::Regexp; return true;
    default: return false;
  }
}

// The constraint xFindFunction makes of `<query> MATCH e` (operands
// reversed): offered to xBestIndex so that it can say what is wrong.
constexpr int kMisplacedMatch = SQLITE_INDEX_CONSTRAINT_FUNCTION;

std::string misplaced_match_message(const Table* t) {
  return "use MATCH as \"" + t->spec.vector_column + " MATCH <query vector>\", joined to the other conditions by AND";
}

// A rowid or metadata constraint evaluated by the filter SQL, with the
// collation SQLite compares it with; false if the filter cannot express it.
bool filter_arg(sqlite3_index_info* info, int i, ArgKind kind, int column, PlanArg* out) {
  Op op;
  if (!constraint_op(info->aConstraint[i].op, &op)) return false;
  *out = PlanArg{kind, op, column, ""};
  // SQLite reports BINARY for the operators it passes only to virtual
  // tables (!=, IS NOT, LIKE, GLOB, REGEXP, IS NOT NULL), whatever COLLATE
  // says: the search filters != and IS NOT with BINARY, which lets through
  // every row the actual collation would, and SQLite checks them again
  // (x_best_index). LIKE, GLOB and REGEXP are functions no collation changes.
  if (op == Op::Eq || op == Op::Lt || op == Op::Le || op == Op::Gt || op == Op::Ge || op == Op::Is) {
    const char* collation = sqlite3_vtab_collation(info, i);
    if (collation && sqlite3_stricmp(collation, "BINARY") != 0) {
      if (!plan_collation_ok(collation)) return false;
      out->collation = collation;
    }
  }
  if (op == Op::Eq && sqlite3_vtab_in(info, i, -1)) {
    sqlite3_vtab_in(info, i, 1);  // the whole list in one xFilter
    out->op = Op::In;
  }
  return true;
}

// Plans (see plan.h). Costs steer SQLite's choice among the plans it tries:
//  - a search is cheaper than two rowid lookups, so an OR-by-union of
//    lookups (which would leave MATCH to SQLite) never beats it;
//  - k, probes or a distance bound without a usable MATCH get a plan that
//    is never preferred and that xFilter reports as an error, so that only
//    a query that really lacks the MATCH fails;
//  - an unusable MATCH (it depends on a table not yet in the loop) refuses
//    the plan: SQLite tries another join order.
// LIMIT and OFFSET shorten a search only when the table also delivers the
// order SQLite asked for (distance ascending, ties by rowid) or none.
int x_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  return guard(vtab, [&] {
    Table* t = table_of(vtab);
    Plan plan;
    struct Use {
      int constraint;
      PlanArg arg;
    };
    std::vector<Use> uses, limits, search_only;
    bool has_match = false, unusable_match = false, has_rowid_eq = false;
    // For `x LIKE 'a%'` and GLOB SQLite adds x >= 'a' AND x < 'b', which hold
    // for text only (a blob x can match the LIKE): the LIKE alone decides.
    std::vector<int> patterned;
    for (int i = 0; i < info->nConstraint; ++i)
      if (info->aConstraint[i].usable && (info->aConstraint[i].op == SQLITE_INDEX_CONSTRAINT_LIKE ||
                                          info->aConstraint[i].op == SQLITE_INDEX_CONSTRAINT_GLOB))
        patterned.push_back(info->aConstraint[i].iColumn);
    for (int i = 0; i < info->nConstraint; ++i) {
      const auto& c = info->aConstraint[i];
      if ((c.op == SQLITE_INDEX_CONSTRAINT_GE || c.op == SQLITE_INDEX_CONSTRAINT_LT) &&
          std::find(patterned.begin(), patterned.end(), c.iColumn) != patterned.end())
        continue;
      if (c.iColumn == t->vector_position && c.op == kMisplacedMatch) fail(misplaced_match_message(t));
      if (c.op == SQLITE_INDEX_CONSTRAINT_MATCH && c.iColumn == t->vector_position) {
        if (!c.usable) {
          unusable_match = true;
        } else if (!has_match) {
          has_match = true;
          uses.push_back({i, {ArgKind::Query, Op::Eq, -1, ""}});
        }
        continue;
      }
      if (!c.usable) continue;
      PlanArg arg;
      if (c.op == SQLITE_INDEX_CONSTRAINT_LIMIT) {
        limits.push_back({i, {ArgKind::Limit, Op::Eq, -1, ""}});
      } else if (c.op == SQLITE_INDEX_CONSTRAINT_OFFSET) {
        limits.push_back({i, {ArgKind::Offset, Op::Eq, -1, ""}});
      } else if (c.iColumn == t->k_column() && c.op == SQLITE_INDEX_CONSTRAINT_EQ) {
        search_only.push_back({i, {ArgKind::K, Op::Eq, -1, ""}});
      } else if (c.iColumn == t->probes_column() && c.op == SQLITE_INDEX_CONSTRAINT_EQ) {
        search_only.push_back({i, {ArgKind::Probes, Op::Eq, -1, ""}});
      } else if (c.iColumn == t->distance_column() &&
                 (c.op == SQLITE_INDEX_CONSTRAINT_LT || c.op == SQLITE_INDEX_CONSTRAINT_LE)) {
        search_only.push_back({i, {ArgKind::Distance, c.op == SQLITE_INDEX_CONSTRAINT_LT ? Op::Lt : Op::Le, -1, ""}});
      } else if (c.iColumn == -1) {
        // rowid constraints: = and IN look rows up, the rest filter inside
        // the scan, as metadata does.
        if (!filter_arg(info, i, ArgKind::Rowid, -1, &arg)) continue;
        if (arg.op == Op::Eq || arg.op == Op::In) has_rowid_eq = true;
        uses.push_back({i, arg});
      } else {
        int v = t->value_index(c.iColumn);
        if (v < 0 || t->spec.columns[v].auxiliary) continue;
        if (filter_arg(info, i, ArgKind::Metadata, v, &arg)) uses.push_back({i, arg});
      }
    }
    if (unusable_match && !has_match) return SQLITE_CONSTRAINT;  // wait for the outer loop

    bool search = has_match || !search_only.empty();
    bool has_k = false;
    for (const Use& u : search_only) has_k = has_k || u.arg.kind == ArgKind::K;
    // The order a search delivers: distance ascending, ties by rowid.
    bool order_delivered =
        info->nOrderBy >= 1 && info->aOrderBy[0].iColumn == t->distance_column() && !info->aOrderBy[0].desc &&
        (info->nOrderBy == 1 || (info->nOrderBy == 2 && info->aOrderBy[1].iColumn == -1 && !info->aOrderBy[1].desc));
    // != and IS NOT are checked again by SQLite (filter_arg), which could
    // remove rows after a LIMIT cut.
    bool rechecked = false;
    for (const Use& u : uses) rechecked = rechecked || u.arg.op == Op::Ne || u.arg.op == Op::IsNot;
    bool use_limits = has_match && !rechecked && (info->nOrderBy == 0 || order_delivered);
    if (!has_match && search) uses.clear();  // the plan is an error: only its reason matters
    if (search) uses.insert(uses.end(), search_only.begin(), search_only.end());
    if (use_limits) uses.insert(uses.end(), limits.begin(), limits.end());
    plan.mode = search ? PlanMode::Search : has_rowid_eq ? PlanMode::Rowid : PlanMode::FullScan;

    int argv_index = 0;
    for (const Use& u : uses) {
      plan.args.push_back(u.arg);
      info->aConstraintUsage[u.constraint].argvIndex = ++argv_index;
      // LIMIT and OFFSET stay SQLite's to apply: the search returns
      // LIMIT + OFFSET rows from the top.
      bool double_checked = u.arg.kind == ArgKind::Limit || u.arg.kind == ArgKind::Offset || u.arg.op == Op::Ne || u.arg.op == Op::IsNot;
      info->aConstraintUsage[u.constraint].omit = double_checked ? 0 : 1;
    }
    if (!has_match && search) {
      info->estimatedCost = 1e18;
      info->estimatedRows = 1;
    } else if (search) {
      if (order_delivered) info->orderByConsumed = 1;
      bool bounded = has_k || (use_limits && !limits.empty());
      for (const Use& u : uses) bounded = bounded || u.arg.kind == ArgKind::Distance;
      info->estimatedCost = bounded ? 1 : 5;
      info->estimatedRows = bounded ? 10 : 1000;
      // k counts rows before SQLite applies what the search did not take.
      if (has_k) plan.note = "(k nearest first; conditions not listed here filter those k rows afterwards)";
    } else {
      info->estimatedCost = plan.mode == PlanMode::Rowid ? 10 : 1e6 / (1.0 + static_cast<double>(plan.args.size()));
      info->estimatedRows = plan.mode == PlanMode::Rowid ? 1 : 100000;
      if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == -1 && !info->aOrderBy[0].desc)
        info->orderByConsumed = 1;
    }
    std::string idx = encode_plan(plan);
    info->idxStr = sqlite3_mprintf("%s", idx.c_str());
    if (!info->idxStr) throw std::bad_alloc();
    info->needToFreeIdxStr = 1;
    info->idxNum = static_cast<int>(plan.mode);
    return SQLITE_OK;
  });
}

// xFindFunction: MATCH evaluated by SQLite on a quiver column (reversed
// operands, a column other than the vector, MATCH under OR) is an error
// that says how to write it; returning a constraint code also offers the
// reversed form to xBestIndex, which reports it before any other error.
void misplaced_match(sqlite3_context* ctx, int, sqlite3_value**) {
  try {
    std::string message = "quiver: " + misplaced_match_message(static_cast<const Table*>(sqlite3_user_data(ctx)));
    sqlite3_result_error(ctx, message.c_str(), -1);
  } catch (...) {
    sqlite3_result_error_nomem(ctx);
  }
}

int x_find_function(sqlite3_vtab* vtab, int argc, const char* name,
                    void (**function)(sqlite3_context*, int, sqlite3_value**), void** user_data) {
  if (argc != 2 || sqlite3_stricmp(name, "match") != 0) return 0;
  *function = misplaced_match;
  *user_data = vtab;
  return kMisplacedMatch;
}

// ---- filters -----------------------------------------------------------------

// SQL condition on the rows table for a plan argument; `values` collects the
// values to bind (IN lists expand to several).
void append_condition(const PlanArg& a, sqlite3_value* value, std::string* where,
                      std::vector<sqlite3_value*>* values) {
  // The rows table's columns have the declared types, so SQLite applies the
  // same affinity to the bound value as it would on an ordinary table.
  std::string column = a.kind == ArgKind::Rowid ? "rowid" : "c" + std::to_string(a.column);
  if (!a.collation.empty()) column += " COLLATE " + quote_identifier(a.collation);
  std::string cond;
  auto param = [&](sqlite3_value* v) {
    values->push_back(nullptr);  // room first, so that the copy cannot leak
    values->back() = sqlite3_value_dup(v);
    if (!values->back()) throw std::bad_alloc();
    return "?" + std::to_string(values->size());
  };
  switch (a.op) {
    case Op::Eq: cond = column + " = " + param(value); break;
    case Op::Ne: cond = column + " != " + param(value); break;
    case Op::Lt: cond = column + " < " + param(value); break;
    case Op::Le: cond = column + " <= " + param(value); break;
    case Op::Gt: cond = column + " > " + param(value); break;
    case Op::Ge: cond = column + " >= " + param(value); break;
    case Op::Is: cond = column + " IS " + param(value); break;
    case Op::IsNot: cond = column + " IS NOT " + param(value); break;
    case Op::IsNull: cond = column + " IS NULL"; break;
    case Op::IsNotNull: cond = column + " IS NOT NULL"; break;
    // The connection's own functions, as SQLite would call them.
    case Op::Like: cond = column + " LIKE " + param(value); break;
    case Op::Glob: cond = column + " GLOB " + param(value); break;
    case Op::Regexp: cond = column + " REGEXP " + param(value); break;
    case Op::In: {
      std::string list;
      sqlite3_value* v = nullptr;
      for (int rc = sqlite3_vtab_in_first(value, &v); rc == SQLITE_OK && v; rc = sqlite3_vtab_in_next(value, &v)) {
        if (!list.empty()) list += ", ";
        list += param(v);
      }
      cond = list.empty() ? "0" : column + " IN (" + list + ")";
      break;
    }
  }
  *where += (where->empty() ? " WHERE " : " AND ") + cond;
}

sqlite3_stmt* prepare(sqlite3* db, const std::string& sql, const std::vector<sqlite3_value*>& values) {
  sqlite3_stmt* stmt = nullptr;
  check_rc(db, sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr));
  for (size_t i = 0; i < values.size(); ++i) {
    int rc = sqlite3_bind_value(stmt, static_cast<int>(i) + 1, values[i]);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      check_rc(db, rc);
    }
  }
  return stmt;
}

int64_t integer_argument(sqlite3_value* v, const char* name, int64_t min, int64_t max) {
  if (!integer_in_range(v, min, max)) {
    const char* text = reinterpret_cast<const char*>(sqlite3_value_text(v));  // converts: may allocate
    if (!text && sqlite3_value_type(v) != SQLITE_NULL) throw std::bad_alloc();
    fail(std::string(name) + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
         ", got " + (text ? text : "NULL"));
  }
  return sqlite3_value_int64(v);
}

// "expected 100, got 400" says little when the 400 are a bare blob's
// bytes, read as the column's int8 or bit elements: then name the column's
// type and the blob's size, and the float32 vector it may be.
std::string dimension_mismatch(Table* t, sqlite3_value* value, const VectorView& got) {
  const TableSpec& spec = t->spec;
  bool bare_blob = sqlite3_value_type(value) == SQLITE_BLOB && sqlite3_value_subtype(value) == 0;
  if (!bare_blob || spec.element_type == ElementType::Float32)
    return "dimension mismatch: expected " + std::to_string(spec.dims) + ", got " + std::to_string(got.dims);
  auto bytes = [](size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); };
  const char* type = element_type_name(spec.element_type);
  std::string message = "dimension mismatch: " + spec.vector_column + " holds " + type + "[" +
                        std::to_string(spec.dims) + "] (" + bytes(encoded_size(spec.element_type, spec.dims)) +
                        "), got a bare blob of " + bytes(got.bytes());
  if (got.bytes() == encoded_size(ElementType::Float32, spec.dims))
    message += ", the size of float32[" + std::to_string(spec.dims) + "] (" +
               (is_half(spec.element_type) ? std::string("mark it as float32 with vector(...)")
                                           : "convert it with vector_" + std::string(type) + "(vector(...))") +
               ")";
  return message;
}

void decode_query(Table* t, sqlite3_value* value, DecodedVector* out) {
  if (sqlite3_value_type(value) == SQLITE_NULL) fail("the query vector is NULL");
  Status s = decode_vector(value, t->spec.element_type, out);
  if (s.ok()) s = convert_for_column(t->spec.element_type, out);
  if (!s.ok()) fail("query vector: " + s.message());
  if (out->view.type != t->spec.element_type)
    fail(std::string("query vector is ") + element_type_name(out->view.type) + ", " + t->spec.vector_column +
         " holds " + element_type_name(t->spec.element_type));
  if (out->view.dims != t->spec.dims) fail(dimension_mismatch(t, value, out->view));
  if (t->spec.metric == Metric::Cosine && VectorView(out->view).element(0) == 0) {
    bool zero = true;
    for (uint32_t i = 0; i < out->view.dims && zero; ++i) zero = out->view.element(i) == 0;
    if (zero) fail("the query vector is zero, which has no cosine distance");
  }
}

// A filter's rows in one chunk: the mask the scan uses, and the rowids the
// rows table gives for its slots, checked against the chunk's own.
struct ChunkFilter {
  SlotMask mask;
  std::vector<std::pair<int64_t, int64_t>> members;  // slot, rowid
};

std::unordered_map<int64_t, ChunkFilter> run_filter(Table* t, Cursor* c) {
  Store& store = *t->store;
  std::unordered_map<int64_t, ChunkFilter> filters;
  sqlite3_stmt* stmt = prepare(store.db(), c->filter_sql, c->filter_args);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> owner(stmt, sqlite3_finalize);
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    int64_t chunk = sqlite3_column_int64(stmt, 0), slot = sqlite3_column_int64(stmt, 1);
    int64_t rowid = sqlite3_column_int64(stmt, 2);
    if (slot < 0 || slot >= (int64_t{1} << 20))
      corrupt("row " + std::to_string(rowid) + " has slot " + std::to_string(slot) + ", out of range");
    ChunkFilter& f = filters[chunk];
    if (f.mask.size() <= static_cast<size_t>(slot / 64)) f.mask.resize(static_cast<size_t>(slot / 64) + 1, 0);
    f.mask[static_cast<size_t>(slot / 64)] |= uint64_t{1} << (slot % 64);
    f.members.emplace_back(slot, rowid);
  }
  check_rc(store.db(), rc);
  for (const auto& entry : filters) store.list_of(entry.first);  // a missing chunk is corrupt
  return filters;
}

void check_filter(const ChunkFilter& f, const Block& block, int64_t chunk) {
  for (const auto& m : f.members)
    if (m.first >= block.count || block.rowids[static_cast<size_t>(m.first)] != m.second)
      corrupt("row " + std::to_string(m.second) + " points at slot " + std::to_string(m.first) + " of chunk " +
              std::to_string(chunk) + ", which does not hold it");
}

// One pass of the search, keeping `limit` hits after `after`, in order. An
// exact pass (flat, IVF not trained yet, or a stream) scans every chunk. An
// IVF pass scans the nearest `probes` lists, widened while fewer than `limit`
// rows were found (a selective filter, or small lists), so a query never
// comes back short while rows remain; a range query stops at probes.
std::vector<Hit> run_search(Table* t, Cursor* c, size_t limit, const Hit* after, bool exact) {
  Store& store = *t->store;
  bool filtered = !c->filter_sql.empty();
  // Run again for each batch of a stream: the statement reading it may
  // write to the table in between.
  std::unordered_map<int64_t, ChunkFilter> filters;
  if (filtered) filters = run_filter(t, c);
  TopK top(limit, c->bound, c->bound_inclusive, after);
  auto scan = [&](const std::vector<ChunkInfo>& chunks) {
    for (const ChunkInfo& chunk : chunks) {
      ChunkFilter* filter = nullptr;
      if (filtered) {
        auto it = filters.find(chunk.id);
        if (it == filters.end()) continue;
        filter = &it->second;
      }
      const Block& block = store.load_block(chunk, &c->buffer, &c->scratch);
      if (filter) {
        check_filter(*filter, block, chunk.id);
        filter->mask.resize(static_cast<size_t>((block.count + 63) / 64), 0);
      }
      scan_block(*c->scorer, block, filter ? &filter->mask : nullptr, &c->scores, &top);
    }
  };
  if (exact || t->ivf->lists() == 0) {
    scan(store.chunks(-1));
    return top.take_sorted();
  }
  size_t probes = static_cast<size_t>(c->probes > 0 ? c->probes : t->ivf->default_probes());
  // Only the first `probes` lists are ranked up front; the rest are ranked
  // the first time a query has to go past them.
  std::vector<uint32_t> lists = t->ivf->probe_order(c->query.view, probes);
  size_t scanned = std::min(probes, lists.size());
  for (size_t i = 0; i < scanned; ++i) scan(store.chunks(lists[i]));
  bool range_only = limit == std::numeric_limits<size_t>::max();
  while (!range_only && top.size() < limit && scanned < lists.size()) {
    if (scanned == probes) lists = t->ivf->probe_order(c->query.view, lists.size());
    scan(store.chunks(lists[scanned++]));
  }
  return top.take_sorted();
}

// The next batch of a stream into c->hits; empty at the end. Batches double
// in size. A stream is exact whatever the index: it yields every row once,
// in distance order (ties by rowid), however far it is read; an IVF index
// speeds up the queries that say how many rows they want (k, or a LIMIT
// SQLite passes down).
void next_batch(Table* t, Cursor* c) {
  c->hits.clear();
  if (c->stream_done) return;
  c->hits = run_search(t, c, c->batch, c->streamed ? &c->last : nullptr, true);
  c->streamed = true;
  c->stream_done = c->hits.size() < c->batch;
  if (!c->hits.empty()) c->last = c->hits.back();
  c->batch = std::min<size_t>(c->batch * 2, static_cast<size_t>(kMaxK));
}

// A plan in search mode without a query: k, probes or a distance bound
// that no MATCH goes with.
[[noreturn]] void fail_without_match(Table* t, const Plan& plan) {
  const char* what = "k";
  for (const PlanArg& a : plan.args)
    if (a.kind == ArgKind::K) break;
    else if (a.kind == ArgKind::Probes) what = "probes";
    else if (a.kind == ArgKind::Distance) what = "a distance bound";
  fail(std::string(what) + " needs a MATCH constraint on " + t->spec.vector_column);
}

// k or probes given twice must agree.
int64_t single_value(const char* name, int64_t previous, int64_t value) {
  if (previous >= 0 && previous != value)
    fail(std::string(name) + " is given twice (" + std::to_string(previous) + " and " + std::to_string(value) + ")");
  return value;
}

void start_search(Table* t, Cursor* c, int argc, sqlite3_value** argv) {
  bool has_query = false;
  for (const PlanArg& a : c->plan.args) has_query = has_query || a.kind == ArgKind::Query;
  if (!has_query) fail_without_match(t, c->plan);
  int64_t k = -1, limit = -1, offset = 0, probes = -1;
  std::string where;
  for (int i = 0; i < argc; ++i) {
    const PlanArg& a = c->plan.args[i];
    sqlite3_value* v = argv[i];
    switch (a.kind) {
      case ArgKind::Query: decode_query(t, v, &c->query); break;
      case ArgKind::K:
        k = single_value("k", k, integer_argument(v, "k", 1, kMaxK));
        if (c->k_value) break;
        c->k_value = sqlite3_value_dup(v);
        if (!c->k_value) throw std::bad_alloc();
        break;
      case ArgKind::Probes:
        if (!t->ivf->enabled()) fail("probes applies to index=ivf only");
        c->probes = probes = single_value("probes", probes, integer_argument(v, "probes", 1, kMaxLists));
        break;
      case ArgKind::Limit: limit = sqlite3_value_int64(v); break;
      case ArgKind::Offset: offset = std::max<int64_t>(0, sqlite3_value_int64(v)); break;
      case ArgKind::Distance: {
        int type = sqlite3_value_numeric_type(v);
        if (type != SQLITE_INTEGER && type != SQLITE_FLOAT) fail("distance bound must be a number");
        double d = sqlite3_value_double(v);
        if (std::isnan(d)) fail("distance bound must be a number");
        // Several bounds: the tightest wins.
        bool inclusive = a.op == Op::Le;
        if (d < c->bound || (d == c->bound && !inclusive)) {
          c->bound = d;
          c->bound_inclusive = inclusive;
        }
        break;
      }
      default: append_condition(a, v, &where, &c->filter_args); break;
    }
  }
  c->scorer.reset(new Scorer(t->spec.metric, c->query.view, active_kernels()));
  if (!std::isinf(c->bound)) {
    c->bound = score_bound(t->spec.metric, c->bound, c->bound_inclusive);
    c->bound_inclusive = true;
  }
  if (!where.empty())
    c->filter_sql = sql_format_id("SELECT chunk, slot, rowid FROM \"%w\".\"%w_rows\"", t->store->schema(), t->store->table()) +
                    where;

  int64_t wanted = k;
  if (limit >= 0) {
    // Both may be near INT64_MAX (SQLite 3.41+ passes them): no overflow.
    int64_t from_limit = offset >= kMaxK || limit >= kMaxK - offset ? kMaxK : limit + offset;
    wanted = wanted < 0 ? from_limit : std::min(wanted, from_limit);
  }
  if (wanted == 0) {
    c->hits.clear();
  } else if (wanted > 0 || !std::isinf(c->bound)) {
    size_t n = wanted > 0 ? static_cast<size_t>(wanted) : std::numeric_limits<size_t>::max();
    c->hits = run_search(t, c, n, nullptr, false);
  } else {
    c->streaming = true;
    next_batch(t, c);
  }
  c->position = 0;
  c->eof = c->hits.empty();
}

void step_rows(Cursor* c, sqlite3* db) {
  int rc = sqlite3_step(c->rows);
  if (rc == SQLITE_ROW) return;
  c->eof = true;
  if (rc != SQLITE_DONE) check_rc(db, rc);
}

int x_filter(sqlite3_vtab_cursor* cur, int, const char* idx_str, int argc, sqlite3_value** argv) {
  Cursor* c = cursor_of(cur);
  Table* t = table_of(cur->pVtab);
  return guard(cur->pVtab, [&] {
    // A cursor may be filtered again (a join's inner loop): start clean.
    sqlite3_finalize(c->rows);
    c->rows = nullptr;
    c->hits.clear();
    c->streaming = c->streamed = c->stream_done = false;
    c->batch = kFirstStreamBatch;
    c->filter_sql.clear();
    c->probes = 0;
    for (sqlite3_value* v : c->filter_args) sqlite3_value_free(v);
    c->filter_args.clear();
    sqlite3_value_free(c->k_value);
    c->k_value = nullptr;
    c->bound = std::numeric_limits<double>::infinity();
    c->bound_inclusive = false;
    c->lookup_valid = false;
    c->eof = true;

    t->store->refresh();
    Status s = decode_plan(idx_str, &c->plan);
    if (!s.ok() || static_cast<int>(c->plan.args.size()) != argc) fail("internal error: bad query plan");
    if (c->plan.mode == PlanMode::Search) {
      start_search(t, c, argc, argv);
      return SQLITE_OK;
    }
    std::string where;
    for (int i = 0; i < argc; ++i) append_condition(c->plan.args[i], argv[i], &where, &c->filter_args);
    std::string cols;
    for (size_t i = 0; i < t->spec.columns.size(); ++i) cols += ", c" + std::to_string(i);
    std::string sql = "SELECT rowid, chunk, slot" + cols +
                      sql_format_id(" FROM \"%w\".\"%w_rows\"", t->store->schema(), t->store->table()) + where +
                      " ORDER BY rowid";
    c->rows = prepare(t->store->db(), sql, c->filter_args);
    c->eof = false;
    step_rows(c, t->store->db());
    return SQLITE_OK;
  });
}

int x_next(sqlite3_vtab_cursor* cur) {
  Cursor* c = cursor_of(cur);
  Table* t = table_of(cur->pVtab);
  return guard(cur->pVtab, [&] {
    if (c->plan.mode != PlanMode::Search) {
      step_rows(c, t->store->db());
      return SQLITE_OK;
    }
    c->lookup_valid = false;
    if (++c->position < c->hits.size()) return SQLITE_OK;
    if (c->streaming) {
      next_batch(t, c);
      c->position = 0;
      c->eof = c->hits.empty();
      return SQLITE_OK;
    }
    c->eof = true;
    return SQLITE_OK;
  });
}

int x_eof(sqlite3_vtab_cursor* cur) { return cursor_of(cur)->eof; }

int64_t current_rowid(Cursor* c) {
  if (c->plan.mode == PlanMode::Search) return c->hits[c->position].rowid;
  return sqlite3_column_int64(c->rows, 0);
}

int x_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* out) {
  *out = current_rowid(cursor_of(cur));
  return SQLITE_OK;
}

// The statement whose columns 1.. are chunk, slot, c0... for the current row.
sqlite3_stmt* current_values(Table* t, Cursor* c) {
  if (c->plan.mode != PlanMode::Search) return c->rows;
  int64_t rowid = current_rowid(c);
  if (c->lookup_valid && c->lookup_rowid == rowid) return c->lookup;
  if (!c->lookup) {
    std::string cols;
    for (size_t i = 0; i < t->spec.columns.size(); ++i) cols += ", c" + std::to_string(i);
    std::string sql = "SELECT rowid, chunk, slot" + cols +
                      sql_format_id(" FROM \"%w\".\"%w_rows\" WHERE rowid = ?1", t->store->schema(),
                                    t->store->table());
    check_rc(t->store->db(), sqlite3_prepare_v3(t->store->db(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT,
                                                &c->lookup, nullptr));
  }
  sqlite3_reset(c->lookup);
  sqlite3_bind_int64(c->lookup, 1, rowid);
  int rc = sqlite3_step(c->lookup);
  if (rc != SQLITE_ROW) {
    check_rc(t->store->db(), rc == SQLITE_DONE ? SQLITE_OK : rc);
    corrupt("row " + std::to_string(rowid) + " is in a chunk but not in the rows table");
  }
  c->lookup_rowid = rowid;
  c->lookup_valid = true;
  return c->lookup;
}

int x_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) {
  Cursor* c = cursor_of(cur);
  Table* t = table_of(cur->pVtab);
  return guard(cur->pVtab, [&] {
    bool search = c->plan.mode == PlanMode::Search;
    // An UPDATE that leaves a hidden column alone passes it on unchanged, so
    // x_update can tell a write into it.
    if (column >= t->distance_column() && sqlite3_vtab_nochange(ctx)) return SQLITE_OK;
    if (column == t->distance_column()) {
      if (search) result_distance(ctx, t->spec.metric, c->scorer->distance(c->hits[c->position].score));
      return SQLITE_OK;
    }
    if (column == t->k_column()) {
      if (search && c->k_value) sqlite3_result_value(ctx, c->k_value);
      return SQLITE_OK;
    }
    if (column == t->cluster_column()) {
      // The row's IVF list: its k-means cluster (0 for a flat table).
      sqlite3_result_int64(ctx, t->store->list_of(sqlite3_column_int64(current_values(t, c), 1)));
      return SQLITE_OK;
    }
    if (column >= t->probes_column()) return SQLITE_OK;  // probes, command: NULL
    if (column == t->vector_position) {
      if (sqlite3_vtab_nochange(ctx)) return SQLITE_OK;  // UPDATE that leaves the vector alone
      sqlite3_stmt* row = current_values(t, c);
      Location loc{sqlite3_column_int64(row, 1), sqlite3_column_int64(row, 2)};
      size_t n = t->store->vector_bytes();
      void* out = sqlite3_malloc64(n);
      if (!out) throw std::bad_alloc();
      try {
        t->store->read_vector(sqlite3_column_int64(row, 0), loc, out);
      } catch (...) {
        sqlite3_free(out);
        throw;
      }
      sqlite3_result_blob64(ctx, out, n, sqlite3_free);
      sqlite3_result_subtype(ctx, subtype_of(t->spec.element_type));
      return SQLITE_OK;
    }
    int v = t->value_index(column);
    sqlite3_result_value(ctx, sqlite3_column_value(current_values(t, c), 3 + v));
    return SQLITE_OK;
  });
}

int x_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  Cursor* c = new (std::nothrow) Cursor();
  if (!c) return SQLITE_NOMEM;
  *out = c;
  return SQLITE_OK;
}

int x_close(sqlite3_vtab_cursor* cur) {
  delete cursor_of(cur);
  return SQLITE_OK;
}

// ---- writes ------------------------------------------------------------------

// Decodes and checks a vector for the table, into `out`.
void decode_row_vector(Table* t, sqlite3_value* value, DecodedVector* out) {
  const std::string& name = t->spec.vector_column;
  if (sqlite3_value_type(value) == SQLITE_NULL) fail(name + " must not be NULL");
  Status s = decode_vector(value, t->spec.element_type, out);
  if (s.ok()) s = convert_for_column(t->spec.element_type, out);
  if (!s.ok()) fail(name + ": " + s.message());
  if (out->view.type != t->spec.element_type)
    fail(name + " holds " + element_type_name(t->spec.element_type) + " vectors, got " +
         element_type_name(out->view.type));
  if (out->view.dims != t->spec.dims) fail(name + ": " + dimension_mismatch(t, value, out->view));
  if (t->spec.metric == Metric::Cosine) {
    bool zero = true;
    for (uint32_t i = 0; i < out->view.dims && zero; ++i) zero = out->view.element(i) == 0;
    if (zero) fail(name + ": a zero vector has no cosine distance");
  }
}

std::vector<sqlite3_value*> row_values(Table* t, sqlite3_value** columns) {
  std::vector<sqlite3_value*> values(t->spec.columns.size());
  for (int i = 0; i < t->user_columns; ++i) {
    int v = t->value_index(i);
    if (v >= 0) values[v] = columns[i];
  }
  return values;
}

int64_t rowid_argument(sqlite3_value* v) {
  if (sqlite3_value_type(v) != SQLITE_INTEGER) fail("rowid must be an integer");
  return sqlite3_value_int64(v);
}

void delete_row(Table* t, int64_t rowid) {
  Location loc;
  if (!t->store->locate(rowid, &loc)) return;
  t->store->remove(loc);
  t->store->delete_row(rowid);
  t->ivf->note_rows(-1);
}

int64_t next_rowid(Table* t) {
  std::string sql = sql_format_id("SELECT max(rowid) FROM \"%w\".\"%w_rows\"", t->store->schema(), t->store->table());
  sqlite3_stmt* stmt = nullptr;
  check_rc(t->store->db(), sqlite3_prepare_v2(t->store->db(), sql.c_str(), -1, &stmt, nullptr));
  int rc = sqlite3_step(stmt);
  bool empty = sqlite3_column_type(stmt, 0) == SQLITE_NULL;
  int64_t max = sqlite3_column_int64(stmt, 0);
  int finalized = sqlite3_finalize(stmt);
  // A failed step reads as an empty table: rowid 1, taken or wrong.
  if (rc != SQLITE_ROW) check_rc(t->store->db(), finalized);
  if (empty) return 1;
  if (max == std::numeric_limits<int64_t>::max()) fail("no rowid left (the largest rowid is in use)", SQLITE_FULL);
  return max + 1;
}

void insert_row(Table* t, sqlite3_value* rowid_value, sqlite3_value** columns, sqlite3_int64* out_rowid) {
  DecodedVector vec;
  decode_row_vector(t, columns[t->vector_position], &vec);
  std::vector<sqlite3_value*> values = row_values(t, columns);
  int64_t rowid;
  if (sqlite3_value_type(rowid_value) == SQLITE_NULL) {
    rowid = next_rowid(t);
  } else {
    rowid = rowid_argument(rowid_value);
    Location existing;
    if (t->store->locate(rowid, &existing)) {
      if (sqlite3_vtab_on_conflict(t->store->db()) != SQLITE_REPLACE)
        throw SqlError(SQLITE_CONSTRAINT, "UNIQUE constraint failed: " + t->store->table() + ".rowid");
      delete_row(t, rowid);
    }
  }
  Location loc = t->store->append(t->ivf->assign(vec.view), rowid, vec.view.data);
  t->store->insert_row(rowid, loc, values.data());
  t->ivf->note_rows(1);
  *out_rowid = rowid;
}

void update_row(Table* t, int64_t old_rowid, sqlite3_value* new_rowid_value, sqlite3_value** columns) {
  int64_t new_rowid = rowid_argument(new_rowid_value);
  sqlite3_value* vector_value = columns[t->vector_position];
  bool vector_changed = !sqlite3_value_nochange(vector_value);
  DecodedVector vec;
  if (vector_changed) decode_row_vector(t, vector_value, &vec);
  std::vector<sqlite3_value*> values = row_values(t, columns);
  Location loc;
  if (!t->store->locate(old_rowid, &loc)) corrupt("row " + std::to_string(old_rowid) + " is missing");
  if (new_rowid != old_rowid) {
    Location existing;
    if (t->store->locate(new_rowid, &existing)) {
      if (sqlite3_vtab_on_conflict(t->store->db()) != SQLITE_REPLACE)
        throw SqlError(SQLITE_CONSTRAINT, "UNIQUE constraint failed: " + t->store->table() + ".rowid");
      delete_row(t, new_rowid);
      t->store->locate(old_rowid, &loc);  // the delete may have moved it
    }
    std::vector<unsigned char> kept;
    if (!vector_changed) {
      kept.resize(t->store->vector_bytes());
      t->store->read_vector(old_rowid, loc, kept.data());
    }
    delete_row(t, old_rowid);
    const void* data = vector_changed ? vec.view.data : kept.data();
    VectorView view{t->spec.element_type, t->spec.dims, data};
    Location moved = t->store->append(t->ivf->assign(view), new_rowid, data);
    t->store->insert_row(new_rowid, moved, values.data());
    t->ivf->note_rows(1);
    return;
  }
  if (vector_changed) {
    // A vector that now belongs to another IVF list moves there.
    int64_t list = t->ivf->assign(vec.view);
    if (list == t->store->list_of(loc.chunk)) {
      t->store->overwrite(loc, vec.view.data);
    } else {
      t->store->remove(loc);
      t->store->move_row(old_rowid, t->store->append(list, old_rowid, vec.view.data));
      t->ivf->note_rows(0);
    }
  }
  t->store->update_row_values(old_rowid, values.data());
}

// ---- external content (content_sync.h) ------------------------------------------

// Writes a content row through the write path; an error names the row.
void insert_content_row(Table* t, sqlite3_value* rowid, sqlite3_value** columns, sqlite3_int64* out_rowid) {
  try {
    insert_row(t, rowid, columns, out_rowid);
  } catch (const SqlError& e) {
    rethrow_for_content_row(t->spec, rowid, e);
  }
}

// The index made anew from its content table: every row out, every content
// row with a vector in.
void load_content(Table* t) {
  check_content_table(t->store->db(), t->store->schema(), t->spec);
  for (int64_t rowid : index_rowids(*t->store)) delete_row(t, rowid);
  sqlite3_int64 ignored;
  for_each_content_row(t->store->db(), t->store->schema(), t->spec,
                       [&](sqlite3_value* rowid, sqlite3_value** columns) { insert_content_row(t, rowid, columns, &ignored); });
}

// At CREATE VIRTUAL TABLE: the content table's rows, then the triggers.
void create_content(Table* t) {
  load_content(t);
  create_content_triggers(*t->store, t->spec);
}

// ---- commands ------------------------------------------------------------------

void integrity_check(Table* t) {
  Store& store = *t->store;
  store.invalidate_cache();  // check what is stored, not what was cached
  store.open();              // config
  std::vector<ChunkInfo> chunks = store.chunks(-1);
  // Per list, every chunk but the last is full.
  std::unordered_map<int64_t, int64_t> last_of_list;
  for (const ChunkInfo& c : chunks) last_of_list[c.list] = c.id;
  std::string cols;
  std::string sql = sql_format_id("SELECT rowid, chunk, slot FROM \"%w\".\"%w_rows\" ORDER BY chunk, slot",
                                  store.schema(), store.table());
  sqlite3_stmt* rows = prepare(store.db(), sql, {});
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> finalize(rows, sqlite3_finalize);
  int rc = sqlite3_step(rows);
  std::vector<unsigned char> buffer;
  for (const ChunkInfo& c : chunks) {
    if (c.count < 1) corrupt("chunk " + std::to_string(c.id) + " is empty");
    if (c.count < c.capacity && last_of_list[c.list] != c.id)
      corrupt("chunk " + std::to_string(c.id) + " of list " + std::to_string(c.list) +
              " is not full but is not the list's last");
    ChunkView view = store.load(c, &buffer);
    for (int64_t slot = 0; slot < c.count; ++slot) {
      VectorView v;
      Status s = view_blob(t->spec.element_type, view.vectors + slot * store.vector_bytes(), store.vector_bytes(), &v);
      if (!s.ok()) corrupt("chunk " + std::to_string(c.id) + " slot " + std::to_string(slot) + ": " + s.message());
      if (!t->ivf->is_home_list(v, c.list))
        corrupt("row " + std::to_string(view.rowids[slot]) + " is in list " + std::to_string(c.list) +
                ", not the list of its nearest centroid");
      if (rc != SQLITE_ROW || sqlite3_column_int64(rows, 1) != c.id || sqlite3_column_int64(rows, 2) != slot)
        corrupt("chunk " + std::to_string(c.id) + " slot " + std::to_string(slot) + " holds row " +
                std::to_string(view.rowids[slot]) + ", which the rows table does not place there");
      if (sqlite3_column_int64(rows, 0) != view.rowids[slot])
        corrupt("row " + std::to_string(sqlite3_column_int64(rows, 0)) + " points to chunk " + std::to_string(c.id) +
                " slot " + std::to_string(slot) + ", which holds row " + std::to_string(view.rowids[slot]));
      rc = sqlite3_step(rows);
    }
  }
  if (t->ivf->enabled()) {
    int64_t counted = std::atoll(store.config("count").c_str());
    int64_t actual = 0;
    for (const ChunkInfo& c : chunks) actual += c.count;
    if (counted != actual)
      corrupt("config count is " + std::to_string(counted) + " but the chunks hold " + std::to_string(actual) + " rows");
  }
  if (rc == SQLITE_ROW)
    corrupt("row " + std::to_string(sqlite3_column_int64(rows, 0)) + " points to chunk " +
            std::to_string(sqlite3_column_int64(rows, 1)) + " slot " + std::to_string(sqlite3_column_int64(rows, 2)) +
            ", which is not a live slot");
  check_rc(store.db(), rc);
  if (has_content(t->spec)) check_content(store, t->spec);
}

void run_command(Table* t, sqlite3_value* command) {
  const char* text = reinterpret_cast<const char*>(sqlite3_value_text(command));
  if (!text) throw std::bad_alloc();  // the caller saw a value that is not NULL
  std::string cmd = text;
  if (cmd == "integrity-check") return integrity_check(t);
  if (cmd == "rebuild" && has_content(t->spec)) load_content(t);  // then train on the rows read
  if (cmd == "rebuild") return t->ivf->rebuild();  // flat tables: nothing to train
  if (cmd == "optimize") return;                     // storage is kept compact on every write
  fail("unknown command \"" + cmd + "\" (expected 'integrity-check', 'optimize' or 'rebuild')");
}

// PRAGMA integrity_check (SQLite 3.44+) runs the table's 'integrity-check':
// a problem is reported as a row of the pragma's output, not as an error.
int x_integrity(sqlite3_vtab* vtab, const char*, const char*, int, char** problem) {
  Table* t = table_of(vtab);
  try {
    t->store->refresh();
    integrity_check(t);
  } catch (const SqlError& e) {
    if (e.rc() != SQLITE_CORRUPT_VTAB) return e.rc();
    *problem = sqlite3_mprintf("%s (table %s.%s)", e.what(), t->store->schema().c_str(), t->store->table().c_str());
    return *problem ? SQLITE_OK : SQLITE_NOMEM;
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  } catch (...) {
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

// A value written into a column: neither NULL nor an UPDATE's unchanged one.
bool written(sqlite3_value* v) { return !sqlite3_value_nochange(v) && sqlite3_value_type(v) != SQLITE_NULL; }

// The hidden columns distance, k, probes and cluster are computed; the
// command column takes commands, by INSERT only.
void check_hidden_columns(Table* t, sqlite3_value** columns, bool insert) {
  static const char* const kNames[] = {"distance", "k", "probes", "cluster"};
  for (int i = 0; i < 4; ++i)
    if (written(columns[t->distance_column() + i]))
      fail(std::string("cannot write the hidden column ") + kNames[i] + " (it is computed by searches)");
  if (!insert && written(columns[t->command_column()]))
    fail("commands are run by INSERT INTO " + t->store->table() + "(" + t->store->table() + ") VALUES (...), not by UPDATE");
}

// A command row carries the command alone.
void check_command_row(Table* t, sqlite3_value* rowid, sqlite3_value** columns) {
  if (sqlite3_value_type(rowid) != SQLITE_NULL) fail("a command takes no rowid");
  for (int i = 0; i < t->user_columns; ++i) {
    if (sqlite3_value_type(columns[i]) == SQLITE_NULL) continue;
    int v = t->value_index(i);
    fail("a command takes no other column, got a value for " + (v < 0 ? t->spec.vector_column : t->spec.columns[v].name));
  }
}

int x_update(sqlite3_vtab* vtab, int argc, sqlite3_value** argv, sqlite3_int64* out_rowid) {
  Table* t = table_of(vtab);
  return guard(vtab, [&] {
    t->store->refresh();
    if (argc == 1) {
      delete_row(t, rowid_argument(argv[0]));
      return SQLITE_OK;
    }
    sqlite3_value** columns = argv + 2;
    bool insert = sqlite3_value_type(argv[0]) == SQLITE_NULL;
    check_hidden_columns(t, columns, insert);
    if (insert) {
      sqlite3_value* command = columns[t->command_column()];
      if (sqlite3_value_type(command) != SQLITE_NULL) {
        check_command_row(t, argv[1], columns);
        run_command(t, command);
        return SQLITE_OK;
      }
      insert_content_row(t, argv[1], columns, out_rowid);
      return SQLITE_OK;
    }
    update_row(t, rowid_argument(argv[0]), argv[1], columns);
    return SQLITE_OK;
  });
}

// ---- transactions --------------------------------------------------------------

int x_begin(sqlite3_vtab*) { return SQLITE_OK; }
// Automatic IVF training runs here, once per bulk write (ivf.h), and its
// failure fails the commit.
int x_sync(sqlite3_vtab* vtab) {
  return guard(vtab, [&] {
    table_of(vtab)->store->flush();
    table_of(vtab)->ivf->train_if_due();
    return SQLITE_OK;
  });
}
int x_commit(sqlite3_vtab* vtab) {
  table_of(vtab)->ivf->end_transaction();
  table_of(vtab)->store->end_transaction(false);
  return SQLITE_OK;
}
int x_rollback(sqlite3_vtab* vtab) {
  table_of(vtab)->ivf->end_transaction();
  table_of(vtab)->store->end_transaction(true);
  return SQLITE_OK;
}
// Buffered appends are written at each savepoint, so a rollback to any
// savepoint undoes all that is still buffered (store.h).
int x_savepoint(sqlite3_vtab* vtab, int) {
  return guard(vtab, [&] {
    table_of(vtab)->store->flush();
    return SQLITE_OK;
  });
}
int x_release(sqlite3_vtab*, int) { return SQLITE_OK; }
int x_rollback_to(sqlite3_vtab* vtab, int) {
  table_of(vtab)->store->discard_pending();
  table_of(vtab)->store->invalidate_cache();
  return SQLITE_OK;
}

// sqlite3_module as SQLite 3.44 (iVersion 4) lays it out: xIntegrity
// follows xShadowName. Built so whatever sqlite3.h this build has, so that
// the loadable module offers PRAGMA integrity_check on a newer SQLite too.
struct Module {
  sqlite3_module base;
#if SQLITE_VERSION_NUMBER < 3044000
  int (*xIntegrity)(sqlite3_vtab*, const char*, const char*, int, char**);
#endif
};

Module make_module(bool integrity) {
  Module module;
  std::memset(&module, 0, sizeof module);
  sqlite3_module& m = module.base;
  // iVersion 4 only where the running SQLite knows it.
  m.iVersion = integrity ? 4 : 3;
#if SQLITE_VERSION_NUMBER >= 3044000
  if (integrity) m.xIntegrity = x_integrity;
#else
  if (integrity) module.xIntegrity = x_integrity;
#endif
  m.xCreate = x_create;
  m.xConnect = x_connect;
  m.xBestIndex = x_best_index;
  m.xDisconnect = x_disconnect;
  m.xDestroy = x_destroy;
  m.xOpen = x_open;
  m.xClose = x_close;
  m.xFilter = x_filter;
  m.xNext = x_next;
  m.xEof = x_eof;
  m.xColumn = x_column;
  m.xRowid = x_rowid;
  m.xUpdate = x_update;
  m.xFindFunction = x_find_function;
  m.xBegin = x_begin;
  m.xSync = x_sync;
  m.xCommit = x_commit;
  m.xRollback = x_rollback;
  m.xRename = x_rename;
  m.xSavepoint = x_savepoint;
  m.xRelease = x_release;
  m.xRollbackTo = x_rollback_to;
  m.xShadowName = x_shadow_name;
  return module;
}

const Module kModule = make_module(false);
const Module kModuleWithIntegrity = make_module(true);

// True when `schema` has a table or view named `table`.
bool schema_has_table(sqlite3* db, const std::string& schema, const std::string& table) {
  std::string sql = sql_format_id(
      "SELECT 1 FROM \"%w\".sqlite_master WHERE type IN ('table', 'view') AND name = ?1 COLLATE NOCASE", schema, "");
  sqlite3_stmt* stmt = nullptr;
  check_rc(db, sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr));
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> owner(stmt, sqlite3_finalize);
  check_rc(db, sqlite3_bind_text(stmt, 1, table.c_str(), -1, SQLITE_TRANSIENT));
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) check_rc(db, rc);
  return rc == SQLITE_ROW;
}

}  // namespace

int register_vtab(sqlite3* db) {
  const Module& module = sqlite3_libversion_number() >= 3044000 ? kModuleWithIntegrity : kModule;
  return sqlite3_create_module_v2(db, "quiver", &module.base, nullptr, nullptr);
}

QuiverTable open_table(sqlite3* db, const std::string& name) {
  // The schemas in SQLite's own lookup order for an unqualified name: temp,
  // main, then attached databases.
  std::vector<std::string> schemas;
  {
    sqlite3_stmt* stmt = nullptr;
    check_rc(db, sqlite3_prepare_v2(db, "SELECT name FROM pragma_database_list ORDER BY seq = 1 DESC, seq", -1,
                                    &stmt, nullptr));
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> owner(stmt, sqlite3_finalize);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
      schemas.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    check_rc(db, rc);
  }
  // "schema.table" names a schema explicitly.
  std::string schema, table = name;
  size_t dot = name.find('.');
  if (dot != std::string::npos &&
      std::find(schemas.begin(), schemas.end(), name.substr(0, dot)) != schemas.end()) {
    schema = name.substr(0, dot);
    table = name.substr(dot + 1);
  }
  // Unqualified: the first schema that has a table (or view) of that name,
  // quiver or not, as SQLite resolves it.
  for (size_t i = 0; schema.empty() && i < schemas.size(); ++i)
    if (schema_has_table(db, schemas[i], table)) schema = schemas[i];
  if (schema.empty()) fail("no table named \"" + name + "\"");
  // Preparing a statement on the table connects it in this connection.
  std::string sql = sql_format_id("SELECT 1 FROM \"%w\".\"%w\" LIMIT 0", schema, table);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  sqlite3_finalize(stmt);
  if (rc == SQLITE_NOMEM) throw std::bad_alloc();
  // A table that exists but cannot be connected (a newer storage format, a
  // damaged config) says why.
  if (rc != SQLITE_OK && std::strncmp(sqlite3_errmsg(db), "no such table", 13) != 0)
    throw SqlError(rc, sqlite3_errmsg(db));
  if (rc != SQLITE_OK) fail("no table named \"" + name + "\"");
  Table* t = nullptr;
  {
    std::lock_guard<std::mutex> lock(registry_mutex);
    auto it = registry().find(make_registry_key(db, schema, table));
    if (it != registry().end()) t = it->second;
  }
  if (!t) fail("\"" + name + "\" is not a quiver table");
  t->store->refresh();  // another connection may have written since
  return QuiverTable{t->store.get(), t->ivf.get()};
}

}  // namespace quiver
