// The `quiver` virtual table module: declaration, cursors and transactions.
// The schema it declares, and where planning, writes and the search live:
// virtual_table.h.
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "guard.h"
#include "content_sync.h"
#include "integrity.h"
#include "kernels.h"
#include "plan.h"
#include "sql_value.h"
#include "statement.h"
#include "table_search.h"
#include "virtual_table.h"
#include "vtab.h"

namespace quiver {
namespace {

struct Cursor : sqlite3_vtab_cursor {
  Plan plan;
  bool eof = true;
  // A full scan or rowid lookups: rowid, chunk, slot, c0, ...
  Statement rows;
  // A MATCH query.
  std::unique_ptr<TableSearch> search;
  // The current hit's row, looked up when a column other than rowid and
  // distance is read: rowid, chunk, slot, c0, ...
  Statement lookup;
  int64_t lookup_rowid = 0;
  bool lookup_valid = false;
};

Cursor* cursor_of(sqlite3_vtab_cursor* c) { return static_cast<Cursor*>(c); }

// ---- create / connect --------------------------------------------------

int init_table(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out, char** err, bool create) {
  std::unique_ptr<VirtualTable> table(new (std::nothrow) VirtualTable());
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
    table->connection = *static_cast<std::shared_ptr<Connection>*>(aux);
    table->connection->add(table->store->schema(), table_name, QuiverTable{table->store.get(), table->ivf.get()});
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

int x_create(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out, char** err) {
  return init_table(db, aux, argc, argv, out, err, true);
}

int x_connect(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out, char** err) {
  return init_table(db, aux, argc, argv, out, err, false);
}

// The table leaves the connection's list as SQLite lets go of it.
void release(VirtualTable* t) {
  if (t->connection) t->connection->remove(t->store->schema(), t->store->table(), t->store.get());
  delete t;
}

int x_disconnect(sqlite3_vtab* vtab) {
  release(table_of(vtab));
  return SQLITE_OK;
}

int x_destroy(sqlite3_vtab* vtab) {
  int rc = guard(vtab, [&] {
    drop_content_triggers(*table_of(vtab)->store);
    table_of(vtab)->store->drop();
    return SQLITE_OK;
  });
  if (rc == SQLITE_OK) release(table_of(vtab));
  return rc;
}

int x_rename(sqlite3_vtab* vtab, const char* name) {
  return guard(vtab, [&] {
    VirtualTable* t = table_of(vtab);
    t->connection->remove(t->store->schema(), t->store->table(), t->store.get());
    t->store->rename(name);
    t->connection->add(t->store->schema(), name, QuiverTable{t->store.get(), t->ivf.get()});
    return SQLITE_OK;
  });
}

int x_shadow_name(const char* suffix) { return is_shadow_part(suffix) ? 1 : 0; }

// ---- cursors -------------------------------------------------------------

void step_rows(Cursor* c) { c->eof = !c->rows.step(); }

int x_filter(sqlite3_vtab_cursor* cur, int, const char* idx_str, int argc, sqlite3_value** argv) {
  Cursor* c = cursor_of(cur);
  VirtualTable* t = table_of(cur->pVtab);
  return guard(cur->pVtab, [&] {
    // A cursor may be filtered again (a join's inner loop): start clean.
    c->rows = Statement();
    c->search.reset();
    c->lookup_valid = false;
    c->eof = true;

    t->store->refresh();
    Status s = decode_plan(idx_str, &c->plan);
    if (!s.ok() || static_cast<int>(c->plan.args.size()) != argc) fail("internal error: bad query plan");
    if (c->plan.mode == PlanMode::Search) {
      c->search.reset(new TableSearch(t, c->plan, argc, argv));
      c->eof = c->search->eof();
      return SQLITE_OK;
    }
    std::vector<RowCondition> conditions;
    for (int i = 0; i < argc; ++i) conditions.push_back({c->plan.args[i], argv[i]});
    c->rows = t->store->select_rows(RowSelection::Values, conditions);
    step_rows(c);
    return SQLITE_OK;
  });
}

int x_next(sqlite3_vtab_cursor* cur) {
  Cursor* c = cursor_of(cur);
  return guard(cur->pVtab, [&] {
    if (!c->search) {
      step_rows(c);
      return SQLITE_OK;
    }
    c->lookup_valid = false;
    c->search->next();
    c->eof = c->search->eof();
    return SQLITE_OK;
  });
}

int x_eof(sqlite3_vtab_cursor* cur) { return cursor_of(cur)->eof; }

int64_t current_rowid(Cursor* c) { return c->search ? c->search->rowid() : c->rows.int_at(0); }

int x_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* out) {
  *out = current_rowid(cursor_of(cur));
  return SQLITE_OK;
}

// The statement whose columns 1.. are chunk, slot, c0... for the current row.
const Statement& current_values(VirtualTable* t, Cursor* c) {
  if (!c->search) return c->rows;
  int64_t rowid = current_rowid(c);
  if (c->lookup_valid && c->lookup_rowid == rowid) return c->lookup;
  if (!c->lookup) c->lookup = t->store->row_lookup();
  c->lookup.reset();
  c->lookup.bind(1, rowid);
  if (!c->lookup.step()) corrupt("row " + std::to_string(rowid) + " is in a chunk but not in the rows table");
  c->lookup_rowid = rowid;
  c->lookup_valid = true;
  return c->lookup;
}

int x_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) {
  Cursor* c = cursor_of(cur);
  VirtualTable* t = table_of(cur->pVtab);
  return guard(cur->pVtab, [&] {
    // An UPDATE that leaves a hidden column alone passes it on unchanged, so
    // x_update can tell a write into it.
    if (column >= t->distance_column() && sqlite3_vtab_nochange(ctx)) return SQLITE_OK;
    if (column == t->distance_column()) {
      if (c->search) result_distance(ctx, t->spec.metric, c->search->distance());
      return SQLITE_OK;
    }
    if (column == t->k_column()) {
      if (c->search && c->search->k_value()) sqlite3_result_value(ctx, c->search->k_value());
      return SQLITE_OK;
    }
    if (column == t->cluster_column()) {
      // The row's IVF list: its k-means cluster (0 for a flat table).
      sqlite3_result_int64(ctx, t->store->list_of(current_values(t, c).int_at(1)));
      return SQLITE_OK;
    }
    if (column >= t->probes_column()) return SQLITE_OK;  // probes, command: NULL
    if (column == t->vector_position) {
      if (sqlite3_vtab_nochange(ctx)) return SQLITE_OK;  // UPDATE that leaves the vector alone
      const Statement& row = current_values(t, c);
      Location loc{row.int_at(1), row.int_at(2)};
      size_t n = t->store->vector_bytes();
      void* out = sqlite3_malloc64(n);
      if (!out) throw std::bad_alloc();
      try {
        t->store->read_vector(row.int_at(0), loc, out);
      } catch (...) {
        sqlite3_free(out);
        throw;
      }
      sqlite3_result_blob64(ctx, out, n, sqlite3_free);
      sqlite3_result_subtype(ctx, subtype_of(t->spec.element_type));
      return SQLITE_OK;
    }
    int v = t->value_index(column);
    sqlite3_result_value(ctx, sqlite3_column_value(current_values(t, c).get(), 3 + v));
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

// PRAGMA integrity_check (SQLite 3.44+) runs the table's 'integrity-check':
// a problem is reported as a row of the pragma's output, not as an error.
int x_integrity(sqlite3_vtab* vtab, const char*, const char*, int, char** problem) {
  VirtualTable* t = table_of(vtab);
  try {
    t->store->refresh();
    check_integrity(*t->store, *t->ivf);
    if (has_content(t->spec)) check_content(*t->store, t->spec);
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

// ---- transactions --------------------------------------------------------------

int x_begin(sqlite3_vtab*) { return SQLITE_OK; }
// Automatic IVF training runs here, once per bulk write (ivf.h), and its
// failure fails the commit.
int x_sync(sqlite3_vtab* vtab) {
  return guard(vtab, [&] {
    table_of(vtab)->store->flush();
    table_of(vtab)->ivf->train_if_due(table_of(vtab)->connection->pool());
    table_of(vtab)->ivf->flush();
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
  table_of(vtab)->ivf->discard();
  table_of(vtab)->store->end_transaction(true);
  return SQLITE_OK;
}
// Buffered appends and counts are written at each savepoint, so a rollback
// to any savepoint undoes all that is still buffered (store.h, ivf.h).
// SQLite calls xSavepoint before it opens the statement journal's savepoint,
// and rolls back to it if xSavepoint fails: what is still buffered then came
// before it, so that rollback keeps it.
int x_savepoint(sqlite3_vtab* vtab, int) {
  return guard(vtab, [&] {
    VirtualTable* t = table_of(vtab);
    t->buffered_before_savepoint = true;
    t->store->flush();
    t->ivf->flush();
    t->buffered_before_savepoint = false;
    return SQLITE_OK;
  });
}
int x_release(sqlite3_vtab*, int) { return SQLITE_OK; }
int x_rollback_to(sqlite3_vtab* vtab, int) {
  VirtualTable* t = table_of(vtab);
  if (!t->buffered_before_savepoint) {
    t->store->discard_pending();
    t->ivf->discard();
  }
  t->buffered_before_savepoint = false;
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

}  // namespace

int register_vtab(Connection* connection) {
  const Module& module = sqlite3_libversion_number() >= 3044000 ? kModuleWithIntegrity : kModule;
  auto* shared = new (std::nothrow) std::shared_ptr<Connection>(connection);
  if (!shared) {
    delete connection;
    return SQLITE_NOMEM;
  }
  return sqlite3_create_module_v2(connection->db(), "quiver", &module.base, shared,
                                  [](void* p) { delete static_cast<std::shared_ptr<Connection>*>(p); });
}

}  // namespace quiver
