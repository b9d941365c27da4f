#include "table_function.h"

#include <cstring>
#include <new>

#include "connection.h"
#include "guard.h"
#include "statement.h"
#include "sql_value.h"

namespace quiver {
namespace {

// The module's client data: the function and the connection it serves.
struct Registration {
  const TableFunction* function;
  Connection* connection;
};

struct FunctionTable : sqlite3_vtab {
  const TableFunction* function;
  Connection* connection;
};

struct FunctionCursor : sqlite3_vtab_cursor {
  Rows rows;
  size_t position = 0;
};

int fn_connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out, char**) {
  const Registration* r = static_cast<const Registration*>(aux);
  const TableFunction* f = r->function;
  int rc = sqlite3_declare_vtab(db, f->schema);
  if (rc != SQLITE_OK) return rc;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  auto* t = new (std::nothrow) FunctionTable();
  if (!t) return SQLITE_NOMEM;
  t->function = f;
  t->connection = r->connection;
  *out = t;
  return SQLITE_OK;
}

int fn_disconnect(sqlite3_vtab* vtab) {
  delete static_cast<FunctionTable*>(vtab);
  return SQLITE_OK;
}

// Why a plan given the arguments in bitmask `seen` cannot run, or null.
const char* plan_error(const TableFunction* f, int seen) {
  for (int arg = 0; arg < f->required_args; ++arg)
    if (!(seen & (1 << arg))) return "missing argument";
  // Arguments must arrive as a prefix: quiver_recall('t', 50) but not k alone.
  if ((seen & (seen + 1)) != 0) return "arguments must be given in order";
  return nullptr;
}

// Arguments are the hidden columns after the results, in order; each must be
// an equality constraint, and the required ones must be present.
int fn_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  const TableFunction* f = static_cast<FunctionTable*>(vtab)->function;
  int constraint_of[32] = {};  // argument -> constraint index + 1
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    int arg = c.iColumn - f->result_columns;
    if (arg < 0 || arg >= f->max_args || c.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (!c.usable) return SQLITE_CONSTRAINT;
    constraint_of[arg] = i + 1;
  }
  // argv holds the given arguments in order, without gaps.
  int seen = 0, n = 0;
  for (int arg = 0; arg < f->max_args; ++arg) {
    if (!constraint_of[arg]) continue;
    info->aConstraintUsage[constraint_of[arg] - 1].argvIndex = ++n;
    info->aConstraintUsage[constraint_of[arg] - 1].omit = 1;
    seen |= 1 << arg;
  }
  // A plan without the required arguments, or with a gap in them, is not
  // an error yet: SQLite also asks about plans it will not pick (one per
  // term of an OR). Priced out of reach here, it fails in xFilter if chosen.
  info->idxNum = seen;
  info->estimatedCost = plan_error(f, seen) ? 1e300 : 1000;
  return SQLITE_OK;
}

int fn_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto* c = new (std::nothrow) FunctionCursor();
  if (!c) return SQLITE_NOMEM;
  *out = c;
  return SQLITE_OK;
}

int fn_close(sqlite3_vtab_cursor* cur) {
  delete static_cast<FunctionCursor*>(cur);
  return SQLITE_OK;
}

int fn_filter(sqlite3_vtab_cursor* cur, int seen, const char*, int argc, sqlite3_value** argv) {
  auto* c = static_cast<FunctionCursor*>(cur);
  auto* t = static_cast<FunctionTable*>(cur->pVtab);
  return guard(t, [&] {
    if (const char* problem = plan_error(t->function, seen))
      throw SqlError(SQLITE_ERROR, std::string(t->function->name) + ": " + problem);
    c->rows = t->function->produce(*t->connection, argc, argv);
    c->position = 0;
    return SQLITE_OK;
  });
}

int fn_next(sqlite3_vtab_cursor* cur) {
  static_cast<FunctionCursor*>(cur)->position++;
  return SQLITE_OK;
}

int fn_eof(sqlite3_vtab_cursor* cur) {
  auto* c = static_cast<FunctionCursor*>(cur);
  return c->position >= c->rows.size();
}

int fn_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) {
  auto* c = static_cast<FunctionCursor*>(cur);
  const auto& row = c->rows[c->position];
  if (column >= static_cast<int>(row.size())) return SQLITE_OK;  // argument columns: NULL
  const Cell& cell = row[static_cast<size_t>(column)];
  switch (cell.kind) {
    case Cell::Integer: sqlite3_result_int64(ctx, cell.i); break;
    case Cell::Real: sqlite3_result_double(ctx, cell.d); break;
    case Cell::Text: sqlite3_result_text(ctx, cell.s.c_str(), -1, SQLITE_TRANSIENT); break;
    case Cell::Vector:
      sqlite3_result_blob(ctx, cell.s.data(), static_cast<int>(cell.s.size()), SQLITE_TRANSIENT);
      sqlite3_result_subtype(ctx, kSubtypeFloat32);
      break;
    case Cell::Null: break;
  }
  return SQLITE_OK;
}

int fn_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* out) {
  *out = static_cast<sqlite3_int64>(static_cast<FunctionCursor*>(cur)->position) + 1;
  return SQLITE_OK;
}


sqlite3_module make_function_module() {
  sqlite3_module m;
  std::memset(&m, 0, sizeof m);
  m.iVersion = 1;
  m.xConnect = fn_connect;  // eponymous only: no xCreate
  m.xBestIndex = fn_best_index;
  m.xDisconnect = fn_disconnect;
  m.xOpen = fn_open;
  m.xClose = fn_close;
  m.xFilter = fn_filter;
  m.xNext = fn_next;
  m.xEof = fn_eof;
  m.xColumn = fn_column;
  m.xRowid = fn_rowid;
  return m;
}

const sqlite3_module kFunctionModule = make_function_module();

}  // namespace

int register_table_function(Connection& connection, const TableFunction& f) {
  auto* r = new (std::nothrow) Registration{&f, &connection};
  if (!r) return SQLITE_NOMEM;
  // SQLite calls the destructor even when the registration fails.
  return sqlite3_create_module_v2(connection.db(), f.name, &kFunctionModule, r,
                                  [](void* p) { delete static_cast<Registration*>(p); });
}

}  // namespace quiver
