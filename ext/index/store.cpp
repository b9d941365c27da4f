#include "store.h"

#include "statement.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

namespace quiver {

const char* const kShadowParts[] = {"config", "chunks", "vectors", "rows", "centroids", nullptr};

bool is_shadow_part(const char* suffix) {
  for (const char* const* p = kShadowParts; *p; ++p)
    if (sqlite3_stricmp(suffix, *p) == 0) return true;
  return false;
}

namespace {

// Resets and unbinds a cached statement when it goes out of scope, so blob
// memory bound to it is released (FTS5's habit).
class Use {
 public:
  Use(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Use() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  bool step() { return step_statement(db_, stmt_); }
  Use& bind(int i, int64_t v) {
    bind_int(db_, stmt_, i, v);
    return *this;
  }
  Use& bind(int i, sqlite3_value* v) {
    bind_value(db_, stmt_, i, v);
    return *this;
  }
  Use& bind(int i, const std::string& v) {
    bind_text(db_, stmt_, i, v);
    return *this;
  }
  Use& bind_blob(int i, const void* p, size_t n) {
    quiver::bind_blob(db_, stmt_, i, p, n);
    return *this;
  }
  int64_t int_at(int col) { return sqlite3_column_int64(stmt_, col); }
  sqlite3_stmt* get() { return stmt_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

enum StatementId {
  kConfigGet,
  kConfigSet,
  kChunkGet,
  kChunkLast,
  kChunkInsert,
  kChunkSetCount,
  kChunkSetCapacity,
  kChunkDelete,
  kChunksOfList,
  kChunksAll,
  kVectorsInsertData,
  kVectorsReplace,
  kVectorsDelete,
  kRowLocate,
  kRowInsert,
  kRowUpdateValues,
  kRowMove,
  kRowDelete,
  kRowCount,
  kVectorsCount,
  kDataVersion,
  kRowMax,
  kStatementCount
};

// Fixed SQL templates; %1$w is the schema, %2$w the table name. Column lists
// of T_rows depend on the declaration and are filled in by sql_for().
const char* const kStatementSql[kStatementCount] = {
    "SELECT value FROM \"%w\".\"%w_config\" WHERE key = ?1",
    "INSERT OR REPLACE INTO \"%w\".\"%w_config\"(key, value) VALUES (?1, ?2)",
    "SELECT id, list, count, capacity FROM \"%w\".\"%w_chunks\" WHERE id = ?1",
    "SELECT id, list, count, capacity FROM \"%w\".\"%w_chunks\" WHERE list = ?1 ORDER BY id DESC LIMIT 1",
    "INSERT INTO \"%w\".\"%w_chunks\"(list, count, capacity) VALUES (?1, 0, ?2)",
    "UPDATE \"%w\".\"%w_chunks\" SET count = ?2 WHERE id = ?1",
    "UPDATE \"%w\".\"%w_chunks\" SET capacity = ?2 WHERE id = ?1",
    "DELETE FROM \"%w\".\"%w_chunks\" WHERE id = ?1",
    "SELECT id, list, count, capacity FROM \"%w\".\"%w_chunks\" WHERE list = ?1 ORDER BY id",
    "SELECT id, list, count, capacity FROM \"%w\".\"%w_chunks\" ORDER BY id",
    "INSERT INTO \"%w\".\"%w_vectors\"(id, rowids, vectors) VALUES (?1, ?2, ?3)",
    "UPDATE \"%w\".\"%w_vectors\" SET rowids = ?2, vectors = ?3 WHERE id = ?1",
    "DELETE FROM \"%w\".\"%w_vectors\" WHERE id = ?1",
    "SELECT chunk, slot FROM \"%w\".\"%w_rows\" WHERE rowid = ?1",
    nullptr,  // kRowInsert
    nullptr,  // kRowUpdateValues
    "UPDATE \"%w\".\"%w_rows\" SET chunk = ?2, slot = ?3 WHERE rowid = ?1",
    "DELETE FROM \"%w\".\"%w_rows\" WHERE rowid = ?1",
    "SELECT count(*) FROM \"%w\".\"%w_rows\"",
    "SELECT count(*) FROM \"%w\".\"%w_vectors\"",
    "PRAGMA \"%w\".data_version",
    "SELECT max(rowid) FROM \"%w\".\"%w_rows\"",
};

// Every chunk row read is checked: slot offsets are computed from these.
ChunkInfo chunk_from(Use& q) {
  ChunkInfo c{q.int_at(0), q.int_at(1), q.int_at(2), q.int_at(3)};
  if (c.count < 0 || c.capacity < 1 || c.count > c.capacity || c.capacity > (int64_t{1} << 20))
    corrupt("chunk " + std::to_string(c.id) + " has count " + std::to_string(c.count) + " and capacity " +
            std::to_string(c.capacity));
  return c;
}

}  // namespace

// One incremental-blob handle on a column of T_vectors, opened per operation
// and closed on scope exit: an open handle counts as a running statement and
// would keep the transaction from committing.
class Store::Blob {
 public:
  Blob(Store& store, const char* column, bool write) : store_(store), column_(column), write_(write) {}
  ~Blob() {
    if (handle_) sqlite3_blob_close(handle_);
  }
  Blob(const Blob&) = delete;
  Blob& operator=(const Blob&) = delete;

  // Points the handle at chunk `id` and checks the blob has `expected` bytes.
  void at(int64_t id, int64_t expected) {
    int rc;
    if (!handle_) {
      std::string table = store_.shadow("vectors");
      rc = sqlite3_blob_open(store_.db_, store_.schema_.c_str(), table.c_str(), column_, id, write_, &handle_);
    } else {
      rc = sqlite3_blob_reopen(handle_, id);
    }
    if (rc != SQLITE_OK) {
      if (handle_) sqlite3_blob_close(handle_);
      handle_ = nullptr;
      if (rc == SQLITE_NOMEM) throw std::bad_alloc();
      corrupt("chunk " + std::to_string(id) + " has no " + column_ + " payload");
    }
    if (sqlite3_blob_bytes(handle_) != expected)
      corrupt("chunk " + std::to_string(id) + " " + column_ + " payload is " +
              std::to_string(sqlite3_blob_bytes(handle_)) + " bytes, expected " + std::to_string(expected));
  }
  void read(void* out, int64_t bytes, int64_t offset) {
    check_rc(store_.db_, sqlite3_blob_read(handle_, out, static_cast<int>(bytes), static_cast<int>(offset)));
  }
  void write(const void* in, int64_t bytes, int64_t offset) {
    check_rc(store_.db_, sqlite3_blob_write(handle_, in, static_cast<int>(bytes), static_cast<int>(offset)));
  }

 private:
  Store& store_;
  const char* column_;
  bool write_;
  sqlite3_blob* handle_ = nullptr;
};


Store::Store(sqlite3* db, std::string schema, std::string table, const TableSpec& spec)
    : db_(db),
      schema_(std::move(schema)),
      table_(std::move(table)),
      spec_(spec),
      vector_bytes_(encoded_size(spec.element_type, spec.dims)),
      statements_(kStatementCount, nullptr),
      cache_budget_(size_t{spec.cache_mb} << 20) {}

Store::~Store() {
  for (sqlite3_stmt* s : statements_) sqlite3_finalize(s);
}

sqlite3_stmt* Store::statement(int id) {
  if (statements_[id]) return statements_[id];
  std::string sql;
  const char* s = schema_.c_str();
  const char* t = table_.c_str();
  if (id == kRowInsert || id == kRowUpdateValues) {
    size_t n = spec_.columns.size();
    if (id == kRowInsert) {
      std::string cols, params;
      for (size_t i = 0; i < n; ++i) {
        cols += ", c" + std::to_string(i);
        params += ", ?" + std::to_string(i + 4);
      }
      sql = sql_format("INSERT INTO \"%w\".\"%w_rows\"(rowid, chunk, slot", s, t) + cols + ") VALUES (?1, ?2, ?3" +
            params + ")";
    } else {
      std::string sets;
      for (size_t i = 0; i < n; ++i) sets += (i ? ", c" : "c") + std::to_string(i) + " = ?" + std::to_string(i + 2);
      if (n == 0) sets = "rowid = rowid";
      sql = sql_format("UPDATE \"%w\".\"%w_rows\" SET ", s, t) + sets + " WHERE rowid = ?1";
    }
  } else {
    sql = sql_format(kStatementSql[id], s, t);
  }
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &statements_[id], nullptr);
  check_rc(db_, rc);
  return statements_[id];
}

// ---- DDL -----------------------------------------------------------------

void Store::create() {
  const char* s = schema_.c_str();
  const char* t = table_.c_str();
  std::string cols;
  for (size_t i = 0; i < spec_.columns.size(); ++i)
    cols += ", c" + std::to_string(i) + " " + column_type_name(spec_.columns[i].type);
  exec(db_, sql_format("CREATE TABLE \"%w\".\"%w_config\"(key TEXT PRIMARY KEY, value) WITHOUT ROWID;", s, t) +
       sql_format("CREATE TABLE \"%w\".\"%w_chunks\"(id INTEGER PRIMARY KEY, list INTEGER NOT NULL, "
                  "count INTEGER NOT NULL, capacity INTEGER NOT NULL, UNIQUE (list, id));",
                  s, t) +
       sql_format("CREATE TABLE \"%w\".\"%w_vectors\"(id INTEGER PRIMARY KEY, rowids BLOB NOT NULL, "
                  "vectors BLOB NOT NULL);",
                  s, t) +
       sql_format("CREATE TABLE \"%w\".\"%w_rows\"(rowid INTEGER PRIMARY KEY, chunk INTEGER NOT NULL, "
                  "slot INTEGER NOT NULL",
                  s, t) +
       cols + ");" +
       sql_format("CREATE TABLE \"%w\".\"%w_centroids\"(list INTEGER PRIMARY KEY, centroid BLOB NOT NULL);", s, t) +
       metadata_indexes_sql());
  // Full chunks of about 256 KiB: large sequential reads, small rewrites.
  int64_t per_chunk = int64_t{256 * 1024} / static_cast<int64_t>(vector_bytes_);
  chunk_capacity_ = per_chunk < 16 ? 16 : per_chunk > 4096 ? 4096 : per_chunk;
  set_config("format", std::to_string(kFormatVersion));
  set_config("type", element_type_name(spec_.element_type));
  set_config("dims", std::to_string(spec_.dims));
  set_config("metric", metric_name(spec_.metric));
  set_config("chunk", std::to_string(chunk_capacity_));
  pending_ = AppendBuffer(vector_bytes_, chunk_capacity_);
}

void Store::open() {
  std::string format = config("format");
  if (format != std::to_string(kFormatVersion))
    fail("unsupported storage format " + (format.empty() ? std::string("(missing)") : format) +
             " in table " + table_ + " (this build reads format " + std::to_string(kFormatVersion) + ")",
         SQLITE_CORRUPT_VTAB);
  auto expect = [&](const char* key, const std::string& declared) {
    std::string stored = config(key);
    if (stored != declared)
      corrupt(std::string("config ") + key + " is \"" + stored + "\" but the table declares \"" + declared + "\"");
  };
  expect("type", element_type_name(spec_.element_type));
  expect("dims", std::to_string(spec_.dims));
  expect("metric", metric_name(spec_.metric));
  // Checked before use: integrity-check reopens a table that stays in use.
  int64_t capacity = config_count("chunk", 65536);
  if (capacity < 1) corrupt("config chunk is \"" + config("chunk") + "\"");
  chunk_capacity_ = capacity;
  if (pending_.empty()) pending_ = AppendBuffer(vector_bytes_, chunk_capacity_);
}

void Store::drop() {
  std::string sql;
  for (const char* const* p = kShadowParts; *p; ++p)
    sql += sql_format("DROP TABLE IF EXISTS \"%w\".\"%w_%s\";", schema_.c_str(), table_.c_str(), *p);
  exec(db_, sql);
}

std::string Store::metadata_indexes_sql() {
  std::string sql;
  for (size_t i = 0; i < spec_.columns.size(); ++i) {
    if (spec_.columns[i].auxiliary) continue;
    // An index keeps its name when its table is renamed, so a renamed
    // table's index may hold "T_rows_ci": the next free "T_rows_ci_n" then.
    std::string name = shadow("rows") + "_c" + std::to_string(i);
    Statement taken(db_, sql_format("SELECT 1 FROM \"%w\".sqlite_master WHERE name = ?1 COLLATE NOCASE", schema_.c_str()));
    for (int n = 2;; ++n) {
      taken.reset();
      taken.bind(1, name);
      if (!taken.step()) break;
      name = shadow("rows") + "_c" + std::to_string(i) + "_" + std::to_string(n);
    }
    sql += sql_format("CREATE INDEX \"%w\".\"%w\" ON \"%w_rows\"(c%d);", schema_.c_str(), name.c_str(), table_.c_str(),
                      static_cast<int>(i));
  }
  return sql;
}

void Store::rename(const std::string& new_table) {
  for (sqlite3_stmt*& s : statements_) {  // they name the old tables
    sqlite3_finalize(s);
    s = nullptr;
  }
  std::string sql;
  for (const char* const* p = kShadowParts; *p; ++p)
    sql += sql_format("ALTER TABLE \"%w\".\"%w_%s\" RENAME TO \"%w_%s\";", schema_.c_str(), table_.c_str(), *p,
                      new_table.c_str(), *p);
  exec(db_, sql);
  table_ = new_table;
}

// ---- config ----------------------------------------------------------------

std::string Store::config(const std::string& key) {
  Use q(db_, statement(kConfigGet));
  q.bind(1, key);
  if (!q.step()) return "";
  const unsigned char* v = sqlite3_column_text(q.get(), 0);
  return v ? reinterpret_cast<const char*>(v) : "";
}

int64_t Store::config_count(const std::string& key, int64_t max) {
  std::string text = config(key);
  if (text.empty()) return 0;
  char* end = nullptr;
  errno = 0;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || value < 0 || value > max) corrupt("config " + key + " is \"" + text + "\"");
  return value;
}

double Store::config_number(const std::string& key) {
  std::string text = config(key);
  if (text.empty()) return 0;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (*end != '\0' || !std::isfinite(value)) corrupt("config " + key + " is \"" + text + "\"");
  return value;
}

void Store::set_config(const std::string& key, const std::string& value) {
  Use q(db_, statement(kConfigSet));
  q.bind(1, key).bind(2, value).step();
}

// ---- rows ------------------------------------------------------------------

bool Store::locate(int64_t rowid, Location* out) {
  Use q(db_, statement(kRowLocate));
  q.bind(1, rowid);
  if (!q.step()) return false;
  out->chunk = q.int_at(0);
  out->slot = q.int_at(1);
  return true;
}

void Store::insert_row(int64_t rowid, const Location& loc, sqlite3_value** values) {
  Use q(db_, statement(kRowInsert));
  q.bind(1, rowid).bind(2, loc.chunk).bind(3, loc.slot);
  for (size_t i = 0; i < spec_.columns.size(); ++i) q.bind(static_cast<int>(i) + 4, values ? values[i] : nullptr);
  q.step();
}

void Store::update_row_values(int64_t rowid, sqlite3_value** values) {
  Use q(db_, statement(kRowUpdateValues));
  q.bind(1, rowid);
  for (size_t i = 0; i < spec_.columns.size(); ++i) q.bind(static_cast<int>(i) + 2, values[i]);
  q.step();
}

void Store::move_row(int64_t rowid, const Location& loc) {
  Use q(db_, statement(kRowMove));
  q.bind(1, rowid).bind(2, loc.chunk).bind(3, loc.slot).step();
}

void Store::delete_row(int64_t rowid) {
  Use q(db_, statement(kRowDelete));
  q.bind(1, rowid).step();
}

int64_t Store::row_count() {
  Use q(db_, statement(kRowCount));
  q.step();
  return q.int_at(0);
}

int64_t Store::next_rowid() {
  Use q(db_, statement(kRowMax));
  q.step();
  if (sqlite3_column_type(q.get(), 0) == SQLITE_NULL) return 1;
  int64_t max = q.int_at(0);
  if (max == std::numeric_limits<int64_t>::max()) fail("no rowid left (the largest rowid is in use)", SQLITE_FULL);
  return max + 1;
}

// ---- chunks ----------------------------------------------------------------

ChunkInfo Store::chunk_info(int64_t id) {
  Use q(db_, statement(kChunkGet));
  q.bind(1, id);
  if (!q.step()) corrupt("chunk " + std::to_string(id) + " is missing");
  return chunk_from(q);
}

ChunkInfo Store::last_chunk(int64_t list, bool* found) {
  Use q(db_, statement(kChunkLast));
  q.bind(1, list);
  *found = q.step();
  return *found ? chunk_from(q) : ChunkInfo{};
}

std::vector<ChunkInfo> Store::chunks(int64_t list) {
  flush();
  if (wrote_in_transaction_) return query_chunks(list);
  if (!directory_valid_) {
    all_chunks_ = query_chunks(-1);
    directory_.clear();
    list_by_chunk_.clear();
    int64_t vectors = 0;
    for (const ChunkInfo& c : all_chunks_) {
      directory_[c.list].push_back(c);
      list_by_chunk_[c.id] = c.list;
      vectors += c.count;
    }
    check_directory(vectors);
    directory_valid_ = true;
  }
  if (list < 0) return all_chunks_;
  auto it = directory_.find(list);
  return it == directory_.end() ? std::vector<ChunkInfo>() : it->second;
}

// Once per directory load (after a write, or another connection's commit): a
// lost chunk or rows-table row would otherwise silently drop rows from every
// scan. Two counts, not a scan: integrity-check does the full comparison.
void Store::check_directory(int64_t vectors) {
  int64_t rows = row_count();
  if (rows != vectors)
    corrupt("the chunks hold " + std::to_string(vectors) + " vectors but " + shadow("rows") + " has " +
            std::to_string(rows) + " rows");
  Use q(db_, statement(kVectorsCount));
  q.step();
  if (q.int_at(0) != static_cast<int64_t>(all_chunks_.size()))
    corrupt(shadow("vectors") + " has " + std::to_string(q.int_at(0)) + " payloads for " +
            std::to_string(all_chunks_.size()) + " chunks");
}

std::vector<ChunkInfo> Store::query_chunks(int64_t list) {
  Use q(db_, statement(list < 0 ? kChunksAll : kChunksOfList));
  if (list >= 0) q.bind(1, list);
  std::vector<ChunkInfo> out;
  while (q.step()) out.push_back(chunk_from(q));
  return out;
}

void Store::set_count(int64_t id, int64_t count) {
  Use q(db_, statement(kChunkSetCount));
  q.bind(1, id).bind(2, count).step();
}

void Store::write_slot(int64_t chunk, int64_t slot, int64_t rowid, const void* vector) {
  ChunkInfo info = chunk_info(chunk);
  Blob r(*this, "rowids", true), v(*this, "vectors", true);
  unsigned char le[8];
  std::memcpy(le, &rowid, 8);  // little-endian hosts only (vector.h)
  r.at(chunk, info.capacity * 8);
  r.write(le, 8, slot * 8);
  int64_t vb = static_cast<int64_t>(vector_bytes_);
  v.at(chunk, info.capacity * vb);
  v.write(vector, vb, slot * vb);
}

void Store::note_write(int64_t chunk) {
  wrote_in_transaction_ = true;
  directory_valid_ = false;
  written_.insert(chunk);
  auto it = cache_.find(chunk);
  if (it != cache_.end()) {
    cache_bytes_ -= it->second->memory();
    cache_.erase(it);
  }
}

// A chunk's directory row; its payload is written when its appends are
// flushed.
int64_t Store::new_chunk_row(int64_t list, int64_t capacity) {
  Use q(db_, statement(kChunkInsert));
  q.bind(1, list).bind(2, capacity).step();
  return sqlite3_last_insert_rowid(db_);
}

Location Store::append(int64_t list, int64_t rowid, const void* vector) {
  // Past this, a transaction's buffered appends are written out early.
  constexpr size_t kPendingBudget = size_t{64} << 20;
  PendingTail* tail = pending_.tail(list);
  if (!tail) {
    bool found;
    ChunkInfo last = last_chunk(list, &found);
    if (found) {
      tail = &pending_.begin(list, last.id, last.count, last.capacity);
    } else {
      // A list's first chunk starts small; later ones are full size.
      int64_t capacity = chunk_capacity_ < 16 ? chunk_capacity_ : 16;
      tail = &pending_.begin(list, new_chunk_row(list, capacity), 0, 0);
      tail->capacity = capacity;
    }
  }
  int64_t slot;
  if (!pending_.append(*tail, rowid, vector, &slot)) {
    // Full at full size: write it and start a new full-size chunk.
    flush_tail(*tail);
    pending_.flush_list(list);
    tail = &pending_.begin(list, new_chunk_row(list, chunk_capacity_), 0, 0);
    tail->capacity = chunk_capacity_;
    pending_.append(*tail, rowid, vector, &slot);
  }
  Location loc{tail->chunk, slot};
  note_write(loc.chunk);
  if (pending_.bytes() > kPendingBudget) flush();
  return loc;
}

// One list's appends, in one write per payload: in place when the chunk has
// room, else the chunk rewritten at its grown capacity (or written whole,
// for a chunk new in this flush).
void Store::flush_tail(const PendingTail& t) {
  int64_t vb = static_cast<int64_t>(vector_bytes_);
  int64_t n = static_cast<int64_t>(t.rowids.size());
  if (n == 0) return;
  if (t.grows()) {
    std::vector<unsigned char> rowids(static_cast<size_t>(t.capacity) * 8, 0);
    std::vector<unsigned char> vectors(static_cast<size_t>(t.capacity * vb), 0);
    if (t.stored_count > 0) {
      Blob r(*this, "rowids", false), v(*this, "vectors", false);
      r.at(t.chunk, t.stored_capacity * 8);
      r.read(rowids.data(), t.stored_count * 8, 0);
      v.at(t.chunk, t.stored_capacity * vb);
      v.read(vectors.data(), t.stored_count * vb, 0);
    }
    std::memcpy(rowids.data() + t.stored_count * 8, t.rowids.data(), static_cast<size_t>(n) * 8);
    std::memcpy(vectors.data() + t.stored_count * vb, t.vectors.data(), static_cast<size_t>(n * vb));
    {
      Use q(db_, statement(t.stored_capacity == 0 ? kVectorsInsertData : kVectorsReplace));
      q.bind(1, t.chunk).bind_blob(2, rowids.data(), rowids.size()).bind_blob(3, vectors.data(), vectors.size()).step();
    }
    Use q(db_, statement(kChunkSetCapacity));
    q.bind(1, t.chunk).bind(2, t.capacity).step();
  } else {
    Blob r(*this, "rowids", true), v(*this, "vectors", true);
    r.at(t.chunk, t.capacity * 8);
    r.write(t.rowids.data(), n * 8, t.stored_count * 8);  // little-endian hosts only (vector.h)
    v.at(t.chunk, t.capacity * vb);
    v.write(t.vectors.data(), n * vb, t.stored_count * vb);
  }
  set_count(t.chunk, t.count());
}

void Store::flush() {
  if (pending_.empty()) return;
  directory_valid_ = false;
  // A flush at a savepoint or the commit inserts payload rows after the
  // application's own INSERT: what it reads from last_insert_rowid() stays.
  sqlite3_int64 last_rowid = sqlite3_last_insert_rowid(db_);
  pending_.flush([&](int64_t, const PendingTail& t) { flush_tail(t); });
  sqlite3_set_last_insert_rowid(db_, last_rowid);
}

void Store::flush_chunk(int64_t chunk) {
  if (pending_.holds_chunk(chunk)) flush();
}

void Store::discard_pending() {
  pending_.discard();
  directory_valid_ = false;
}

void Store::remove(const Location& loc) {
  flush();
  ChunkInfo hole = chunk_info(loc.chunk);
  bool found;
  ChunkInfo last = last_chunk(hole.list, &found);
  if (!found || last.count < 1 || loc.slot < 0 || loc.slot >= hole.count) corrupt("row slot " + std::to_string(loc.slot) + " of chunk " + std::to_string(loc.chunk) + " is not live");
  note_write(hole.id);
  note_write(last.id);
  int64_t tail = last.count - 1;
  if (last.id != hole.id || tail != loc.slot) {
    // Move the list's last vector into the hole.
    std::vector<unsigned char> moved(vector_bytes_);
    int64_t moved_rowid;
    {
      Blob r(*this, "rowids", false), v(*this, "vectors", false);
      r.at(last.id, last.capacity * 8);
      r.read(&moved_rowid, 8, tail * 8);
      v.at(last.id, last.capacity * static_cast<int64_t>(vector_bytes_));
      v.read(moved.data(), static_cast<int64_t>(vector_bytes_), tail * static_cast<int64_t>(vector_bytes_));
    }
    write_slot(hole.id, loc.slot, moved_rowid, moved.data());
    move_row(moved_rowid, loc);
  }
  if (tail == 0) {
    Use a(db_, statement(kChunkDelete));
    a.bind(1, last.id).step();
    Use b(db_, statement(kVectorsDelete));
    b.bind(1, last.id).step();
  } else {
    set_count(last.id, tail);
  }
}

void Store::overwrite(const Location& loc, const void* vector) {
  flush_chunk(loc.chunk);
  note_write(loc.chunk);
  int64_t rowid;
  ChunkInfo info = chunk_info(loc.chunk);
  if (loc.slot < 0 || loc.slot >= info.count)
    corrupt("slot " + std::to_string(loc.slot) + " of chunk " + std::to_string(loc.chunk) + " is not live");
  {
    Blob r(*this, "rowids", false);
    r.at(loc.chunk, info.capacity * 8);
    r.read(&rowid, 8, loc.slot * 8);
  }
  write_slot(loc.chunk, loc.slot, rowid, vector);
}

void Store::read_vector(int64_t rowid, const Location& loc, void* out) {
  flush_chunk(loc.chunk);
  ChunkInfo info = chunk_info(loc.chunk);
  if (loc.slot < 0 || loc.slot >= info.count)
    corrupt("slot " + std::to_string(loc.slot) + " of chunk " + std::to_string(loc.chunk) + " is not live");
  int64_t stored = 0;
  {
    Blob r(*this, "rowids", false);
    r.at(loc.chunk, info.capacity * 8);
    r.read(&stored, 8, loc.slot * 8);
  }
  if (stored != rowid)
    corrupt("row " + std::to_string(rowid) + " points at slot " + std::to_string(loc.slot) + " of chunk " +
            std::to_string(loc.chunk) + ", which holds row " + std::to_string(stored));
  Blob v(*this, "vectors", false);
  int64_t vb = static_cast<int64_t>(vector_bytes_);
  v.at(loc.chunk, info.capacity * vb);
  v.read(out, vb, loc.slot * vb);
}

// ---- IVF maintenance ---------------------------------------------------------

int64_t Store::list_of(int64_t chunk) {
  flush_chunk(chunk);
  if (!wrote_in_transaction_) {
    chunks(-1);  // builds the directory
    auto it = list_by_chunk_.find(chunk);
    if (it != list_by_chunk_.end()) return it->second;
  }
  return chunk_info(chunk).list;
}

void Store::drop_chunk(int64_t chunk) {
  flush_chunk(chunk);
  note_write(chunk);
  Use a(db_, statement(kChunkDelete));
  a.bind(1, chunk).step();
  Use b(db_, statement(kVectorsDelete));
  b.bind(1, chunk).step();
}

void Store::shift_lists(int64_t from, int64_t delta) {
  flush();
  wrote_in_transaction_ = true;
  directory_valid_ = false;
  exec(db_, sql_format("UPDATE \"%w\".\"%w_chunks\" SET list = list + %lld WHERE list >= %lld", schema_.c_str(),
                  table_.c_str(), static_cast<long long>(delta), static_cast<long long>(from)));
}

void Store::write_centroids(size_t k, size_t dim, const float* rows) {
  exec(db_, sql_format("DELETE FROM \"%w\".\"%w_centroids\"", schema_.c_str(), table_.c_str()));
  sqlite3_stmt* stmt = nullptr;
  std::string sql =
      sql_format("INSERT INTO \"%w\".\"%w_centroids\"(list, centroid) VALUES (?1, ?2)", schema_.c_str(), table_.c_str());
  check_rc(db_, sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr));
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> owner(stmt, sqlite3_finalize);
  for (size_t i = 0; i < k; ++i) {
    sqlite3_bind_int64(stmt, 1, static_cast<int64_t>(i));
    sqlite3_bind_blob64(stmt, 2, rows + i * dim, dim * 4, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) check_rc(db_, sqlite3_reset(stmt));
    sqlite3_reset(stmt);
  }
}

std::vector<float> Store::read_centroids(size_t dim, size_t* k) {
  sqlite3_stmt* stmt = nullptr;
  std::string sql =
      sql_format("SELECT list, centroid FROM \"%w\".\"%w_centroids\" ORDER BY list", schema_.c_str(), table_.c_str());
  check_rc(db_, sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr));
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> owner(stmt, sqlite3_finalize);
  std::vector<float> rows;
  size_t n = 0;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (sqlite3_column_int64(stmt, 0) != static_cast<int64_t>(n)) corrupt("centroid " + std::to_string(n) + " is missing");
    const void* blob = sqlite3_column_blob(stmt, 1);
    if (static_cast<size_t>(sqlite3_column_bytes(stmt, 1)) != dim * 4)
      corrupt("centroid " + std::to_string(n) + " is " + std::to_string(sqlite3_column_bytes(stmt, 1)) +
              " bytes, expected " + std::to_string(dim * 4));
    rows.resize((n + 1) * dim);
    std::memcpy(rows.data() + n * dim, blob, dim * 4);
    for (size_t t = 0; t < dim; ++t)
      if (!std::isfinite(rows[n * dim + t])) corrupt("centroid " + std::to_string(n) + " is not finite");
    ++n;
  }
  check_rc(db_, rc);
  *k = n;
  return rows;
}

// ---- scans and the cache -----------------------------------------------------

void Store::refresh() {
  if (wrote_in_transaction_) return;  // nobody else can write meanwhile
  Use q(db_, statement(kDataVersion));
  if (!q.step()) return;
  unsigned version = static_cast<unsigned>(q.int_at(0));
  if (version != data_version_) {
    invalidate_cache();
    data_version_ = version;
  }
}

void Store::invalidate_cache() {
  ++generation_;
  directory_valid_ = false;
  cache_.clear();
  cache_bytes_ = 0;
}

void Store::end_transaction(bool rolled_back) {
  // Written chunks were dropped from the cache as they were written and
  // never cached since; the rest still holds committed data.
  written_.clear();
  wrote_in_transaction_ = false;
  directory_valid_ = false;
  if (rolled_back) {
    pending_.discard();
    ++generation_;
  }
}

ChunkView Store::load(const ChunkInfo& chunk, std::vector<unsigned char>* buffer) {
  flush_chunk(chunk.id);
  int64_t vb = static_cast<int64_t>(vector_bytes_);
  size_t rowid_bytes = static_cast<size_t>(chunk.count) * 8;
  size_t vector_bytes = static_cast<size_t>(chunk.count) * vector_bytes_;
  // rowids first (8-byte aligned: the buffer comes from operator new), then
  // the vectors.
  buffer->resize(rowid_bytes + vector_bytes);
  unsigned char* rowids = buffer->data();
  unsigned char* vectors = buffer->data() + rowid_bytes;
  Blob r(*this, "rowids", false), v(*this, "vectors", false);
  r.at(chunk.id, chunk.capacity * 8);
  r.read(rowids, static_cast<int64_t>(rowid_bytes), 0);
  v.at(chunk.id, chunk.capacity * vb);
  v.read(vectors, static_cast<int64_t>(vector_bytes), 0);
  return ChunkView{chunk.id, chunk.count, vectors, reinterpret_cast<const int64_t*>(rowids)};
}

const Block& Store::load_block(const ChunkInfo& chunk, std::vector<unsigned char>* buffer, Block* scratch) {
  auto it = cache_.find(chunk.id);
  if (it != cache_.end() && it->second->count == chunk.count) return *it->second;
  const Quantizer* quantizer = this->quantizer();  // before load(): learning one reads chunks
  ChunkView view = load(chunk, buffer);
  bool cacheable = written_.count(chunk.id) == 0 && cache_bytes_ < cache_budget_;
  Block* block = scratch;
  std::unique_ptr<Block> cached;
  if (cacheable) {
    cached.reset(new Block);
    block = cached.get();
  }
  prepare_block(spec_.element_type, spec_.dims, spec_.metric, view.vectors, view.rowids, view.count, block);
  if (quantizer) prepare_code_block(*quantizer, spec_.element_type, view.vectors, view.count, &block->codes);
  if (!cacheable) return *block;
  if (it != cache_.end()) {
    cache_bytes_ -= it->second->memory();
    cache_.erase(it);
  }
  cache_bytes_ += block->memory();
  return *(cache_[chunk.id] = std::move(cached));
}

}  // namespace quiver
