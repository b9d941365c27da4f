// INSERT, UPDATE and DELETE on a quiver table (xUpdate), and the commands
// written as INSERT INTO t(t) VALUES ('...'): a row's vector goes to the
// chunk of its IVF list, its other values to T_rows.
#include <string>
#include <vector>

#include "content_sync.h"
#include "guard.h"
#include "integrity.h"
#include "virtual_table.h"

namespace quiver {
namespace {

std::vector<sqlite3_value*> row_values(VirtualTable* t, sqlite3_value** columns) {
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

void delete_row(VirtualTable* t, int64_t rowid) {
  Location loc;
  if (!t->store->locate(rowid, &loc)) return;
  t->store->remove(loc);
  t->store->delete_row(rowid);
  t->ivf->note_rows(-1);
}

void insert_row(VirtualTable* t, sqlite3_value* rowid_value, sqlite3_value** columns, sqlite3_int64* out_rowid) {
  DecodedVector vec;
  decode_row_vector(t, columns[t->vector_position], &vec);
  std::vector<sqlite3_value*> values = row_values(t, columns);
  int64_t rowid;
  if (sqlite3_value_type(rowid_value) == SQLITE_NULL) {
    rowid = t->store->next_rowid();
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

void update_row(VirtualTable* t, int64_t old_rowid, sqlite3_value* new_rowid_value, sqlite3_value** columns) {
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

// ---- external content (content_sync.h) ----

// Writes a content row through the write path; an error names the row.
void insert_content_row(VirtualTable* t, sqlite3_value* rowid, sqlite3_value** columns, sqlite3_int64* out_rowid) {
  try {
    insert_row(t, rowid, columns, out_rowid);
  } catch (const SqlError& e) {
    rethrow_for_content_row(t->spec, rowid, e);
  }
}

// The index made anew from its content table: every row out, every content
// row with a vector in.
void load_content(VirtualTable* t) {
  check_content_table(t->store->db(), t->store->schema(), t->spec);
  for (int64_t rowid : index_rowids(*t->store)) delete_row(t, rowid);
  sqlite3_int64 ignored;
  for_each_content_row(t->store->db(), t->store->schema(), t->spec, [&](sqlite3_value* rowid, sqlite3_value** columns) {
    insert_content_row(t, rowid, columns, &ignored);
  });
}

// ---- commands ----

void run_command(VirtualTable* t, sqlite3_value* command) {
  const char* text = reinterpret_cast<const char*>(sqlite3_value_text(command));
  if (!text) throw std::bad_alloc();  // the caller saw a value that is not NULL
  std::string cmd = text;
  if (cmd == "integrity-check") {
    check_integrity(*t->store, *t->ivf);
    if (has_content(t->spec)) check_content(*t->store, t->spec);
    return;
  }
  if (cmd == "rebuild" && has_content(t->spec)) load_content(t);  // then train on the rows read
  if (cmd == "rebuild") return t->ivf->rebuild(t->connection->pool());  // flat tables: only a quantizer to learn
  if (cmd == "optimize") return;                     // storage is kept compact on every write
  fail("unknown command \"" + cmd + "\" (expected 'integrity-check', 'optimize' or 'rebuild')");
}

// A value written into a column: neither NULL nor an UPDATE's unchanged one.
bool written(sqlite3_value* v) { return !sqlite3_value_nochange(v) && sqlite3_value_type(v) != SQLITE_NULL; }

// The hidden columns distance, k, probes and cluster are computed; the
// command column takes commands, by INSERT only.
void check_hidden_columns(VirtualTable* t, sqlite3_value** columns, bool insert) {
  static const char* const kNames[] = {"distance", "k", "probes", "cluster"};
  for (int i = 0; i < 4; ++i)
    if (written(columns[t->distance_column() + i]))
      fail(std::string("cannot write the hidden column ") + kNames[i] + " (it is computed by searches)");
  if (!insert && written(columns[t->command_column()]))
    fail("commands are run by INSERT INTO " + t->store->table() + "(" + t->store->table() + ") VALUES (...), not by UPDATE");
}

// A command row carries the command alone.
void check_command_row(VirtualTable* t, sqlite3_value* rowid, sqlite3_value** columns) {
  if (sqlite3_value_type(rowid) != SQLITE_NULL) fail("a command takes no rowid");
  for (int i = 0; i < t->user_columns; ++i) {
    if (sqlite3_value_type(columns[i]) == SQLITE_NULL) continue;
    int v = t->value_index(i);
    fail("a command takes no other column, got a value for " + (v < 0 ? t->spec.vector_column : t->spec.columns[v].name));
  }
}

}  // namespace

void create_content(VirtualTable* t) {
  load_content(t);
  create_content_triggers(*t->store, t->spec);
}

int x_update(sqlite3_vtab* vtab, int argc, sqlite3_value** argv, sqlite3_int64* out_rowid) {
  VirtualTable* t = table_of(vtab);
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
    try {
      update_row(t, rowid_argument(argv[0]), argv[1], columns);
    } catch (const SqlError& e) {
      rethrow_for_content_row(t->spec, argv[1], e);  // content=: name the row
    }
    return SQLITE_OK;
  });
}


}  // namespace quiver
