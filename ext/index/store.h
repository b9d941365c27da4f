// Storage of a quiver table in shadow tables.
//
// A table T in schema S keeps everything in five ordinary tables, declared
// through xShadowName (their suffixes have no '_': SQLite 3.40 finds a shadow
// table's owner by splitting its name at the last '_'):
//
//   "T_config"  (key TEXT PRIMARY KEY, value) WITHOUT ROWID
//       format = 1, type, dims, metric, chunk (vectors per full chunk) and
//       the index settings; a mismatch with the declaration is an error.
//       Quantized tables: "quantizer", the hex text of its bytes
//       (quantize.h's serialize_quantizer); the codes are not stored.
//   "T_chunks"  (id INTEGER PRIMARY KEY, list INTEGER, count INTEGER,
//                capacity INTEGER, UNIQUE (list, id))
//       one row per chunk of vectors: its IVF list (0 for a flat index), the
//       slots in use [0, count) and the slots allocated.
//   "T_vectors" (id INTEGER PRIMARY KEY, rowids BLOB, vectors BLOB)
//       the chunk's payload, same id: `rowids` is capacity int64 little-endian
//       rowids, `vectors` capacity encoded vectors (vector.h) back to back, so
//       a scan reads one contiguous blob per chunk: 4·d bytes a vector for
//       float32, 2·d for float16 and bfloat16, d for int8, d/8 for bit. Kept apart from T_chunks so
//       that count updates do not expire open blob handles.
//   "T_rows"    (rowid INTEGER PRIMARY KEY, chunk INTEGER, slot INTEGER,
//                c0, c1, ...)
//       where each row's vector lives, and its metadata and auxiliary values
//       (column ci is the i-th non-vector column, with its declared affinity).
//       Each metadata column has an index, "T_rows_ci" (auxiliary columns,
//       which no search filters on, have none), so that a selective filter
//       reads only the rows it passes. Renaming keeps the index names (SQLite
//       renames no index), so a name already taken gets a suffix "_2", ...
//       Tables made before these indexes existed have none; their filters
//       scan T_rows.
//   "T_centroids" (list INTEGER PRIMARY KEY, centroid BLOB)
//       the IVF coarse quantizer (ivf.h): one float32 vector per list, in the
//       quantizer's space; empty for a flat or untrained table.
//
// Invariants (checked by 'integrity-check'): every T_rows row points at a
// live slot whose rowid is its own; slot counts add up to the row count; in
// each list every chunk but the last (highest id) is full, because deletes
// move the list's last vector into the hole. Chunks start small and grow, so
// a small table stays small.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "append_buffer.h"
#include "block.h"
#include "errors.h"
#include "list_source.h"
#include "plan.h"
#include "quantize.h"
#include "sqlite_api.h"
#include "statement.h"
#include "table_spec.h"

namespace quiver {

constexpr int kFormatVersion = 1;

// The shadow table suffixes, in one place for create, drop, rename and
// xShadowName.
extern const char* const kShadowParts[];
bool is_shadow_part(const char* suffix);

// A condition on a row's rowid or metadata, from the plan, with the value
// xFilter received for it (for IN, the list SQLite passes with
// sqlite3_vtab_in).
struct RowCondition {
  PlanArg arg;
  sqlite3_value* value = nullptr;
};

// What select_rows() returns per row.
enum class RowSelection {
  Locations,  // chunk, slot, rowid
  Values,     // rowid, chunk, slot, c0, c1, ... in rowid order
  Rowids,     // rowid, in rowid order
};

// What compare_with_content() runs: rowids with a vector in the content
// table but no row here (missing), rows here the content table lacks or has
// with a NULL vector (extra), and for the rows in both: rowid, chunk, slot,
// the content vector, and whether a declared column differs (both). Each in
// rowid order.
struct ContentComparison {
  Statement missing, extra, both;
};

struct Location {
  int64_t chunk = 0;
  int64_t slot = 0;
};

// A chunk's live payload, borrowed: vectors[slot * vector_bytes], rowids[slot].
struct ChunkView {
  int64_t id = 0;
  int64_t count = 0;
  const unsigned char* vectors = nullptr;
  const int64_t* rowids = nullptr;
};

class Store {
 public:
  Store(sqlite3* db, std::string schema, std::string table, const TableSpec& spec);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // DDL. create() also writes the config; open() checks it.
  void create();
  void open();
  void drop();
  void rename(const std::string& new_table);

  const TableSpec& spec() const { return spec_; }
  size_t vector_bytes() const { return vector_bytes_; }
  int64_t chunk_capacity() const { return chunk_capacity_; }
  sqlite3* db() const { return db_; }
  const std::string& schema() const { return schema_; }
  const std::string& table() const { return table_; }
  std::string shadow(const char* part) const { return table_ + "_" + part; }

  // Rows.
  bool locate(int64_t rowid, Location* out);
  void insert_row(int64_t rowid, const Location& loc, sqlite3_value** values);  // values: one per column, or null
  void update_row_values(int64_t rowid, sqlite3_value** values);
  void move_row(int64_t rowid, const Location& loc);
  void delete_row(int64_t rowid);
  int64_t row_count();
  // The rowid an INSERT without one gets: one past the largest.
  int64_t next_rowid();

  // Queries on the rows (store_rows.cpp). The statements are the caller's
  // to step; values are bound when they return.
  Statement select_rows(RowSelection what, const std::vector<RowCondition>& conditions);
  // rowid, chunk, slot, c0, ... of the row bound to ?1.
  Statement row_lookup();
  // rowid, chunk, slot of every row, by chunk and slot.
  Statement rows_in_chunk_order();
  // T_rows against an external content table (content_sync.h): `content` is
  // its FROM term with alias d, `rowid` and `vector` its columns there, and
  // `declared` the expressions of the declared columns, in order.
  ContentComparison compare_with_content(const std::string& content, const std::string& rowid,
                                         const std::string& vector, const std::vector<std::string>& declared);

  // Vectors. append() returns where the vector went; remove() frees a slot by
  // moving the list's last vector into it. Appends are buffered per list
  // (append_buffer.h) and written at flush(): every other operation flushes
  // what it reads first.
  Location append(int64_t list, int64_t rowid, const void* vector);
  void remove(const Location& loc);
  void overwrite(const Location& loc, const void* vector);
  // The vector of `rowid`, which must be the row stored at `loc`.
  void read_vector(int64_t rowid, const Location& loc, void* out);

  // Call at the start of each query and write: drops what is cached if any
  // connection changed the database since it was filled.
  void refresh();
  // Counts cache invalidations, so layers above can tell when what they
  // cached (IVF centroids) must be reloaded.
  uint64_t generation() const { return generation_; }

  // Chunks, for scans. list < 0 means every list. Loading the directory
  // checks that the chunks' counts add up to the rows table.
  std::vector<ChunkInfo> chunks(int64_t list);
  // The chunk's payload as stored, read into `buffer`.
  ChunkView load(const ChunkInfo& chunk, std::vector<unsigned char>* buffer);
  // The chunk prepared for scanning (block.h): from the cache, or read and
  // prepared into `scratch`. Valid until the next call or the next write.
  const Block& load_block(const ChunkInfo& chunk, std::vector<unsigned char>* buffer, Block* scratch);

  // Maintenance for IVF rebuilds.
  int64_t list_of(int64_t chunk);
  void drop_chunk(int64_t chunk);
  // Adds delta to the list of every chunk whose list is >= from.
  void shift_lists(int64_t from, int64_t delta);
  void write_centroids(size_t k, size_t dim, const float* rows);
  std::vector<float> read_centroids(size_t dim, size_t* k);

  // Config key/value.
  std::string config(const std::string& key);
  // A count kept in config: missing is 0; anything but a number from 0 to
  // `max` is damage, refused before arithmetic uses it.
  int64_t config_count(const std::string& key, int64_t max);
  // A real number kept in config: missing is 0; anything but a finite
  // number is damage.
  double config_number(const std::string& key);
  void set_config(const std::string& key, const std::string& value);

  // Quantized tables (store_quantizer.cpp): the quantizer the cached
  // chunks' codes are made with (nullptr for a table without quantize=). It
  // is config "quantizer", stored by train_quantizer() with the row count
  // it saw ("quantizer_rows"); until one is stored (a small flat table never
  // rebuilt), one learned from the rows at first use and kept in memory. A change empties the cache, whose codes it made.
  const Quantizer* quantizer();
  // Learns the quantizer from the current rows and stores it ('rebuild',
  // IVF training).
  void train_quantizer();
  // The same when none is stored or the rows have doubled since (a flat
  // table, at the commit of a bulk write).
  void train_quantizer_if_grown();

  // Transaction boundaries. Chunks written in the transaction are never
  // cached; a rollback also makes the layers above reload (generation()).
  void end_transaction(bool rolled_back);
  void invalidate_cache();
  // Writes the buffered appends (at each savepoint and at xSync); forgets
  // them when SQLite rolls back (they all came after the last savepoint).
  void flush();
  void discard_pending();

 private:
  class Blob;

  sqlite3_stmt* statement(int id);
  std::string value_columns() const;  // ", c0, c1, ..."
  std::string metadata_indexes_sql();
  ChunkInfo last_chunk(int64_t list, bool* found);
  ChunkInfo chunk_info(int64_t id);
  std::vector<ChunkInfo> query_chunks(int64_t list);
  void check_directory(int64_t vectors);
  void set_count(int64_t id, int64_t count);
  void write_slot(int64_t chunk, int64_t slot, int64_t rowid, const void* vector);
  void note_write(int64_t chunk);
  int64_t new_chunk_row(int64_t list, int64_t capacity);
  void flush_tail(const PendingTail& tail);
  void flush_chunk(int64_t chunk);

  sqlite3* db_;
  std::string schema_, table_;
  TableSpec spec_;
  size_t vector_bytes_;
  int64_t chunk_capacity_ = 0;
  std::vector<sqlite3_stmt*> statements_;
  AppendBuffer pending_{1, 1};

  // Prepared chunks cached between queries, up to cache_budget_ bytes. Only
  // committed data is cached: a chunk written in the current transaction is
  // dropped and read from the database until the transaction ends, and a
  // commit by another connection (PRAGMA data_version) empties the cache.
  std::unordered_map<int64_t, std::unique_ptr<Block>> cache_;
  std::unordered_set<int64_t> written_;  // chunks written in this transaction
  // The chunk directory (T_chunks) by list, under the same rules as cache_.
  std::unordered_map<int64_t, std::vector<ChunkInfo>> directory_;
  std::vector<ChunkInfo> all_chunks_;
  std::unordered_map<int64_t, int64_t> list_by_chunk_;
  bool directory_valid_ = false;
  size_t cache_bytes_ = 0;
  size_t cache_budget_ = 0;
  bool wrote_in_transaction_ = false;
  unsigned data_version_ = 0;
  uint64_t generation_ = 0;
  // The quantizer, its serialized bytes, and the generation it was read at.
  Quantizer quantizer_;
  std::string quantizer_bytes_;
  uint64_t quantizer_generation_ = UINT64_MAX;
  Quantizer learn_quantizer();
  void use_quantizer(Quantizer q);
};

}  // namespace quiver
