// Fuzz target: damaged shadow tables.
//
// A small quiver table is built from the first input bytes (element type,
// metric, dimensions, rows; IVF tables are trained), then the rest of the
// input writes into its shadow tables, as a user with defensive mode off or
// a damaged file could: bytes into the t_vectors payloads, numbers into
// t_chunks counts, capacities and lists, t_rows chunks and slots, values into
// t_config, blobs into t_centroids, and rows deleted or added anywhere.
// Then queries of every kind, writes and commands run twice: on the
// connection that did the damage (its caches predate it) and on a fresh one.
// Errors are the expected outcome; a crash, a sanitizer report, a leak or a
// hang (libFuzzer's -timeout) is a bug.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "fuzz_db.h"

namespace {

using fuzz::Value;

// One database for the connections of one input, freed with the last of them.
constexpr char kDatabase[] = "file:/fuzz_shadow?vfs=memdb";

// Values chosen to sit on the checks' edges, or far beyond them.
int64_t number(FuzzedDataProvider& in) {
  static const int64_t kEdges[] = {0, 1, -1, 2, 15, 16, 17, 4096, 65536, 65537, int64_t{1} << 20, (int64_t{1} << 20) + 1,
                                   int64_t{1} << 31, int64_t{1} << 40, std::numeric_limits<int64_t>::max(),
                                   std::numeric_limits<int64_t>::min()};
  return in.ConsumeBool() ? in.PickValueInArray(kEdges) : in.ConsumeIntegralInRange<int64_t>(-4, 40);
}

Value any_value(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 4)) {
    case 0: return Value();
    case 1: return Value::integer(number(in));
    case 2: return Value::real(in.ConsumeFloatingPoint<double>());
    case 3: return Value::text(in.ConsumeRandomLengthString(24));
    default: return Value::blob(in.ConsumeRandomLengthString(64));
  }
}

// The table: vectors of small integers (the first never 0, so that cosine
// takes them all), a metadata column m and an auxiliary note.
void build(fuzz::Db& db, FuzzedDataProvider& in) {
  int type = in.ConsumeIntegralInRange(0, 2);
  int dims = type == 2 ? 8 * in.ConsumeIntegralInRange(1, 2) : in.ConsumeIntegralInRange(1, 16);
  const char* metric = type == 2 ? "hamming" : in.PickValueInArray({"l2", "cosine", "dot"});
  const char* type_name = type == 0 ? "float" : type == 1 ? "int8" : "bit";
  bool ivf = in.ConsumeBool();
  std::string index = ivf ? "index=ivf, lists=" + std::to_string(in.ConsumeIntegralInRange(1, 3)) : "index=flat";
  db.must(std::string("CREATE VIRTUAL TABLE t USING quiver(v ") + type_name + "[" + std::to_string(dims) +
          "] distance=" + metric + ", m integer, +note text, " + index + ")");
  int rows = in.ConsumeIntegralInRange(1, 40);
  for (int r = 1; r <= rows; ++r) {
    std::string json = "[";
    for (int i = 0; i < dims; ++i) json += (i ? "," : "") + std::to_string(i ? (r * 7 + i * 3) % 5 - 2 : 1 + r % 3);
    db.must("INSERT INTO t(rowid, v, m, note) VALUES (?1, ?2, ?3, 'n')",
            {Value::integer(r), Value::text(json + "]"), Value::integer(r % 4)});
  }
  if (ivf) db.must("INSERT INTO t(t) VALUES ('rebuild')");
}

// A key of some existing row of `table`, or any number.
Value some_key(fuzz::Db& db, FuzzedDataProvider& in, const char* table, const char* key) {
  fuzz::Rows keys = db.must(std::string("SELECT ") + key + " FROM " + table);
  if (keys.empty() || in.ConsumeIntegralInRange(0, 7) == 0) return Value::integer(number(in));
  return keys[in.ConsumeIntegralInRange<size_t>(0, keys.size() - 1)][0];
}

// Writes one piece of damage; a write the shadow tables' own constraints
// refuse is damage not done.
void damage(fuzz::Db& db, FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 9)) {
    case 0:
    case 1: {  // bytes into a payload, in place or past its end
      const char* column = in.ConsumeBool() ? "vectors" : "rowids";
      Value id = some_key(db, in, "t_vectors", "id");
      fuzz::Rows r = db.must(std::string("SELECT ") + column + " FROM t_vectors WHERE id = ?1", {id});
      if (r.empty() || r[0][0].type != SQLITE_BLOB) return;
      std::string bytes = r[0][0].s;
      size_t at = in.ConsumeIntegralInRange<size_t>(0, bytes.size());
      std::string patch = in.ConsumeRandomLengthString(16);
      bytes.replace(at, std::min(patch.size(), bytes.size() - at), patch);
      db.run(std::string("UPDATE t_vectors SET ") + column + " = ?1 WHERE id = ?2", {Value::blob(bytes), id});
      break;
    }
    case 2:  // a payload replaced by anything
      db.run(std::string("UPDATE t_vectors SET ") + (in.ConsumeBool() ? "vectors" : "rowids") + " = ?1 WHERE id = ?2",
             {any_value(in), some_key(db, in, "t_vectors", "id")});
      break;
    case 3:
      db.run(std::string("UPDATE t_chunks SET ") + in.PickValueInArray({"count", "capacity", "list", "id"}) +
                 " = ?1 WHERE id = ?2",
             {Value::integer(number(in)), some_key(db, in, "t_chunks", "id")});
      break;
    case 4:
      db.run(std::string("UPDATE t_rows SET ") + in.PickValueInArray({"chunk", "slot", "rowid"}) +
                 " = ?1 WHERE rowid = ?2",
             {Value::integer(number(in)), some_key(db, in, "t_rows", "rowid")});
      break;
    case 5:
      db.run("UPDATE t_rows SET c0 = ?1, c1 = ?2 WHERE rowid = ?3",
             {any_value(in), any_value(in), some_key(db, in, "t_rows", "rowid")});
      break;
    case 6:
      db.run("INSERT OR REPLACE INTO t_config(key, value) VALUES (?1, ?2)",
             {some_key(db, in, "t_config", "key"), in.ConsumeBool() ? Value::integer(number(in)) : any_value(in)});
      break;
    case 7:
      db.run("INSERT OR REPLACE INTO t_centroids(list, centroid) VALUES (?1, ?2)",
             {in.ConsumeBool() ? some_key(db, in, "t_centroids", "list") : Value::integer(number(in)), any_value(in)});
      break;
    case 8: {
      static const char* const kDeletes[] = {
          "DELETE FROM t_vectors WHERE id = ?1", "DELETE FROM t_chunks WHERE id = ?1",
          "DELETE FROM t_rows WHERE rowid = ?1", "DELETE FROM t_centroids WHERE list = ?1",
          "DELETE FROM t_config WHERE key = ?1"};
      static const char* const kTables[] = {"t_vectors", "t_chunks", "t_rows", "t_centroids", "t_config"};
      static const char* const kKeys[] = {"id", "id", "rowid", "list", "key"};
      size_t i = in.ConsumeIntegralInRange<size_t>(0, 4);
      db.run(kDeletes[i], {some_key(db, in, kTables[i], kKeys[i])});
      break;
    }
    default:
      db.run("INSERT INTO t_rows(rowid, chunk, slot, c0) VALUES (?1, ?2, ?3, 1)",
             {Value::integer(number(in)), some_key(db, in, "t_chunks", "id"), Value::integer(number(in))});
      break;
  }
}

// Everything a user can do with the table; results are not checked.
void use(fuzz::Db& db) {
  fuzz::Rows some = db.must("SELECT vectors FROM t_vectors LIMIT 1");
  // A query vector: the first bytes of a payload, of the right size or not.
  Value q = some.empty() ? Value::text("[1]") : some[0][0];
  static const char* const kStatements[] = {
      "SELECT rowid, distance FROM t WHERE v MATCH ?1 AND k = 5",
      "SELECT rowid, distance FROM t WHERE v MATCH ?1 AND k = 5 AND m = 1 AND probes = 65536",
      "SELECT rowid, distance FROM t WHERE v MATCH ?1 ORDER BY distance LIMIT 3 OFFSET 2",
      "SELECT rowid, distance FROM t WHERE v MATCH ?1 AND distance < 2",
      "SELECT rowid, distance FROM t WHERE v MATCH ?1 AND rowid IN (1, 2, 3)",
      "SELECT a.rowid, b.rowid FROM t a JOIN t b ON b.v MATCH a.v AND b.k = 2",
      "SELECT rowid, v, m, note, cluster FROM t",
      "SELECT * FROM t WHERE rowid = 3",
      "SELECT rowid FROM t WHERE rowid > 2 AND m < 3",
      "INSERT INTO t(rowid, v, m) VALUES (100, ?1, 1)",
      "UPDATE t SET v = ?1 WHERE rowid = 2",
      "UPDATE t SET rowid = 200 WHERE rowid = 3",
      "UPDATE t SET m = 5 WHERE rowid = 4",
      "DELETE FROM t WHERE rowid = 5",
      "INSERT INTO t(t) VALUES ('optimize')",
      "INSERT INTO t(t) VALUES ('integrity-check')",
      "INSERT INTO t(t) VALUES ('rebuild')",
      "SELECT * FROM quiver_stats('t')",
      "SELECT * FROM quiver_clusters('t')",
      "SELECT * FROM quiver_recall('t', 5, 3)",
      "SELECT * FROM quiver_pairs('t', 1.5)",
      "SELECT rowid, distance FROM t WHERE v MATCH ?1 AND k = 5",
  };
  for (const char* sql : kStatements) db.run(sql, {q});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  fuzz::Db damaged(kDatabase);
  sqlite3_db_config(damaged.get(), SQLITE_DBCONFIG_DEFENSIVE, 0, nullptr);
  build(damaged, in);
  for (int i = 0; i < 8 && in.remaining_bytes() > 0; ++i) damage(damaged, in);
  use(damaged);
  fuzz::Db fresh(kDatabase);
  use(fresh);
  fresh.run("DROP TABLE t");
  return 0;
}
