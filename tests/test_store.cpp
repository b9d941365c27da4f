// The shadow-table store (ext/index/store.h) through its public API on an
// in-memory SQLite database, without the virtual table: create and open
// (the config written and checked), appends read back chunk by chunk and
// through the prepared-block cache, the invariants of store.h (counts add
// up, every chunk of a list but the last full), removes that fill holes
// from the list's end, overwrites, config counts, centroids, list
// maintenance, rename and drop, transactions rolled back, the errors a
// damaged table gives, and the queries on the rows table: next_rowid, the
// plan's conditions compiled by select_rows (against the rows the test
// itself selects; IN lists come only from xFilter and are tested through
// SQL), row_lookup and rows_in_chunk_order.
#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "errors.h"
#include "half_block.h"
#include "store.h"
#include "support/db.h"

using quiver::ChunkInfo;
using quiver::ChunkView;
using quiver::ColumnSpec;
using quiver::ColumnType;
using quiver::ElementType;
using quiver::Location;
using quiver::Metric;
using quiver::SqlError;
using quiver::Store;
using quiver::TableSpec;
using quiver_test::Db;
using quiver_test::Value;

namespace {

TableSpec float_spec(uint32_t dims) {
  TableSpec spec;
  spec.vector_column = "embedding";
  spec.element_type = ElementType::Float32;
  spec.dims = dims;
  spec.metric = Metric::L2;
  spec.columns = {ColumnSpec{"tag", ColumnType::Text, false}};
  return spec;
}

std::vector<float> vector_of(int64_t rowid, uint32_t dims) {
  std::vector<float> v(dims);
  for (uint32_t t = 0; t < dims; ++t) v[t] = static_cast<float>(rowid) + 0.25f * static_cast<float>(t);
  return v;
}

// The message of the SqlError `body` throws; requires one, with `rc`.
std::string error_of(const std::function<void()>& body, int rc = SQLITE_CORRUPT_VTAB) {
  try {
    body();
  } catch (const SqlError& e) {
    CHECK(e.rc() == rc);
    return e.what();
  }
  FAIL("no error");
  return "";
}

// A store `t` of float[dims] with a mirror of where each row is.
struct Fixture {
  Db db{":memory:", 0, false};
  uint32_t dims;
  Store store;
  std::map<int64_t, int64_t> list_of_row;

  explicit Fixture(uint32_t d = 4) : dims(d), store(db.handle(), "main", "t", float_spec(d)) { store.create(); }

  // Appends and records the row, as an INSERT does.
  Location add(int64_t list, int64_t rowid) {
    std::vector<float> v = vector_of(rowid, dims);
    Location loc = store.append(list, rowid, v.data());
    store.insert_row(rowid, loc, nullptr);
    list_of_row[rowid] = list;
    return loc;
  }

  // Every row is where locate() says, with its own vector; the chunks hold
  // exactly the rows, their counts add up, and in each list every chunk but
  // the last (highest id) is full.
  void check() {
    std::vector<ChunkInfo> all = store.chunks(-1);
    std::map<int64_t, std::vector<ChunkInfo>> by_list;
    int64_t total = 0;
    std::vector<unsigned char> buffer;
    std::map<int64_t, int64_t> seen;  // rowid -> list
    for (const ChunkInfo& c : all) {
      by_list[c.list].push_back(c);
      total += c.count;
      REQUIRE(c.count >= 1);
      REQUIRE(c.count <= c.capacity);
      REQUIRE(c.capacity <= store.chunk_capacity());
      ChunkView view = store.load(c, &buffer);
      REQUIRE(view.id == c.id);
      REQUIRE(view.count == c.count);
      for (int64_t s = 0; s < c.count; ++s) {
        int64_t rowid = view.rowids[s];
        INFO("chunk " << c.id << " slot " << s << " row " << rowid);
        REQUIRE(seen.emplace(rowid, c.list).second);
        std::vector<float> want = vector_of(rowid, dims);
        REQUIRE(std::memcmp(view.vectors + s * 4 * dims, want.data(), 4 * dims) == 0);
        Location loc;
        REQUIRE(store.locate(rowid, &loc));
        REQUIRE(loc.chunk == c.id);
        REQUIRE(loc.slot == s);
        std::vector<float> read(dims);
        store.read_vector(rowid, loc, read.data());
        REQUIRE(read == want);
      }
    }
    REQUIRE(seen == list_of_row);
    REQUIRE(total == store.row_count());
    for (const auto& [list, chunks] : by_list) {
      REQUIRE(store.chunks(list).size() == chunks.size());
      for (size_t i = 0; i + 1 < chunks.size(); ++i) {
        REQUIRE(chunks[i].id < chunks[i + 1].id);
        REQUIRE(chunks[i].count == chunks[i].capacity);
      }
    }
  }
};

}  // namespace

TEST_CASE("store: create makes the five shadow tables and writes the config", "[store]") {
  for (uint32_t dims : {4u, 1024u, 16000u}) {
    INFO("float[" << dims << "]");
    Fixture f(dims);
    for (const char* part : {"config", "chunks", "vectors", "rows", "centroids"}) {
      CHECK(quiver::is_shadow_part(part));
      CHECK(f.db.integer("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                         {Value::text(std::string("t_") + part)}) == 1);
    }
    CHECK_FALSE(quiver::is_shadow_part("row"));
    CHECK_FALSE(quiver::is_shadow_part("rows "));
    CHECK(f.store.config("format") == "1");
    CHECK(f.store.config("type") == "float32");
    CHECK(f.store.config("dims") == std::to_string(dims));
    CHECK(f.store.config("metric") == "l2");
    // Full chunks of about 256 KiB, from 16 to 4096 vectors.
    int64_t want = std::min<int64_t>(4096, std::max<int64_t>(16, 256 * 1024 / (4 * dims)));
    CHECK(f.store.chunk_capacity() == want);
    CHECK(f.store.config("chunk") == std::to_string(want));
    CHECK(f.store.vector_bytes() == 4 * dims);
    CHECK(f.store.row_count() == 0);
    CHECK(f.store.chunks(-1).empty());
    // The metadata column c0 has the declared affinity.
    CHECK(f.db.text("SELECT type FROM pragma_table_info('t_rows') WHERE name = 'c0'") == "TEXT");
  }
}

TEST_CASE("store: open reads the config back and refuses one that disagrees with the declaration", "[store]") {
  Fixture f;
  f.add(0, 1);
  Store again(f.db.handle(), "main", "t", float_spec(4));
  again.open();
  CHECK(again.chunk_capacity() == f.store.chunk_capacity());
  CHECK(again.row_count() == 1);

  Store wider(f.db.handle(), "main", "t", float_spec(8));
  CHECK(error_of([&] { wider.open(); }) == "quiver: corrupt index: config dims is \"4\" but the table declares \"8\"");
  TableSpec cosine = float_spec(4);
  cosine.metric = Metric::Cosine;
  Store other(f.db.handle(), "main", "t", cosine);
  CHECK(error_of([&] { other.open(); }) ==
        "quiver: corrupt index: config metric is \"l2\" but the table declares \"cosine\"");
  f.db.exec("UPDATE t_config SET value = 'many' WHERE key = 'chunk'");
  CHECK(error_of([&] { again.open(); }) == "quiver: corrupt index: config chunk is \"many\"");
  f.db.exec("UPDATE t_config SET value = '0' WHERE key = 'chunk'");
  CHECK(error_of([&] { again.open(); }) == "quiver: corrupt index: config chunk is \"0\"");
  f.db.exec("UPDATE t_config SET value = '2' WHERE key = 'format'");
  CHECK(error_of([&] { again.open(); }) ==
        "quiver: unsupported storage format 2 in table t (this build reads format 1)");
  f.db.exec("DELETE FROM t_config WHERE key = 'format'");
  CHECK(error_of([&] { again.open(); }) ==
        "quiver: unsupported storage format (missing) in table t (this build reads format 1)");
}

TEST_CASE("store: appends fill each list's chunks in order, small first chunks growing to full ones", "[store]") {
  Fixture f(600);  // 2400-byte vectors: full chunks of 109
  REQUIRE(f.store.chunk_capacity() == 109);
  std::mt19937 rng(1);
  std::map<int64_t, std::vector<int64_t>> order;  // list -> rowids in append order
  f.db.exec("BEGIN");
  for (int64_t rowid = 1; rowid <= 700; ++rowid) {
    int64_t list = rowid <= 5 ? 3 : static_cast<int64_t>(rng() % 4);
    f.add(list, rowid);
    order[list].push_back(rowid);
  }
  f.store.flush();
  f.db.exec("COMMIT");
  f.store.end_transaction(false);
  f.check();
  for (const auto& [list, rowids] : order) {
    INFO("list " << list);
    std::vector<int64_t> stored;
    std::vector<unsigned char> buffer;
    std::vector<ChunkInfo> chunks = f.store.chunks(list);
    for (const ChunkInfo& c : chunks) {
      REQUIRE(c.list == list);
      ChunkView v = f.store.load(c, &buffer);
      stored.insert(stored.end(), v.rowids, v.rowids + v.count);
    }
    REQUIRE(stored == rowids);
    REQUIRE(chunks.front().capacity == 109);  // grown from 16 when it filled
  }
  // One list with fewer rows than a first chunk holds keeps a small chunk.
  f.db.exec("BEGIN");
  for (int64_t rowid = 1000; rowid < 1005; ++rowid) f.add(9, rowid);
  f.store.flush();
  f.db.exec("COMMIT");
  f.store.end_transaction(false);
  std::vector<ChunkInfo> small = f.store.chunks(9);
  REQUIRE(small.size() == 1);
  CHECK(small[0].count == 5);
  CHECK(small[0].capacity == 16);
  CHECK(f.db.integer("SELECT length(vectors) FROM t_vectors WHERE id = ?1", {Value::integer(small[0].id)}) == 16 * 2400);
  CHECK(f.db.integer("SELECT length(rowids) FROM t_vectors WHERE id = ?1", {Value::integer(small[0].id)}) == 16 * 8);
  f.check();
}

TEST_CASE("store: load_block prepares the chunk, from the cache once committed, never stale", "[store]") {
  Fixture f;
  for (int64_t rowid = 1; rowid <= 40; ++rowid) f.add(0, rowid);
  f.store.flush();
  f.store.end_transaction(false);
  std::vector<ChunkInfo> chunks = f.store.chunks(0);
  REQUIRE_FALSE(chunks.empty());
  std::vector<unsigned char> buffer;
  quiver::Block scratch;
  const quiver::Block& first = f.store.load_block(chunks[0], &buffer, &scratch);
  REQUIRE(first.count == chunks[0].count);
  for (int64_t s = 0; s < first.count; ++s) REQUIRE(first.rowids[static_cast<size_t>(s)] == s + 1);
  // Committed: the second load is the cached block.
  const quiver::Block& again = f.store.load_block(chunks[0], &buffer, &scratch);
  CHECK(&again == &first);
  // A write drops it: the next load sees the new vector.
  Location loc;
  REQUIRE(f.store.locate(3, &loc));
  std::vector<float> changed{9, 9, 9, 9};
  f.store.overwrite(loc, changed.data());
  const quiver::Block& after = f.store.load_block(f.store.chunks(0)[0], &buffer, &scratch);
  CHECK(quiver::panel_element(ElementType::Float32, after, 4, static_cast<size_t>(loc.slot), 2) == 9.0f);
  CHECK(after.rowids[static_cast<size_t>(loc.slot)] == 3);
}

TEST_CASE("store: remove fills the hole with the list's last vector and frees emptied chunks", "[store]") {
  Fixture f;
  f.db.exec("BEGIN");
  for (int64_t rowid = 1; rowid <= 300; ++rowid) f.add(rowid % 3, rowid);
  f.store.flush();
  f.db.exec("COMMIT");
  f.store.end_transaction(false);
  std::mt19937 rng(2);
  std::vector<int64_t> ids;
  for (const auto& r : f.list_of_row) ids.push_back(r.first);
  std::shuffle(ids.begin(), ids.end(), rng);
  for (size_t i = 0; i < ids.size(); ++i) {
    int64_t rowid = ids[i];
    Location loc;
    REQUIRE(f.store.locate(rowid, &loc));
    f.store.remove(loc);
    f.store.delete_row(rowid);
    f.list_of_row.erase(rowid);
    if (i % 37 == 0 || f.list_of_row.size() < 5) f.check();
  }
  CHECK(f.store.chunks(-1).empty());
  CHECK(f.db.integer("SELECT count(*) FROM t_vectors") == 0);
  CHECK(f.db.integer("SELECT count(*) FROM t_chunks") == 0);
}

TEST_CASE("store: overwrite keeps the row in its slot, and a stale location is reported", "[store]") {
  Fixture f;
  for (int64_t rowid = 1; rowid <= 20; ++rowid) f.add(0, rowid);
  Location loc;
  REQUIRE(f.store.locate(7, &loc));
  std::vector<float> v{-1, -2, -3, -4};
  f.store.overwrite(loc, v.data());
  std::vector<float> read(4);
  f.store.read_vector(7, loc, read.data());
  CHECK(read == v);
  Location other;
  REQUIRE(f.store.locate(8, &other));
  CHECK(error_of([&] { f.store.read_vector(7, other, read.data()); }) ==
        "quiver: corrupt index: row 7 points at slot " + std::to_string(other.slot) + " of chunk " +
            std::to_string(other.chunk) + ", which holds row 8");
  Location past{loc.chunk, 20};
  CHECK(error_of([&] { f.store.read_vector(7, past, read.data()); }) ==
        "quiver: corrupt index: slot 20 of chunk " + std::to_string(loc.chunk) + " is not live");
  CHECK(error_of([&] { f.store.overwrite(past, v.data()); }) ==
        "quiver: corrupt index: slot 20 of chunk " + std::to_string(loc.chunk) + " is not live");
  CHECK_FALSE(f.store.locate(99, &other));
}

TEST_CASE("store: config values, and counts refused unless a number from 0 to the maximum", "[store]") {
  Fixture f;
  CHECK(f.store.config("absent") == "");
  CHECK(f.store.config_count("absent", 10) == 0);
  f.store.set_config("n", "12");
  CHECK(f.store.config("n") == "12");
  CHECK(f.store.config_count("n", 12) == 12);
  f.store.set_config("n", "0");
  CHECK(f.store.config_count("n", 12) == 0);
  for (const char* bad : {"13", "-1", "abc", "12 ", "1e3", "0x1", "99999999999999999999"}) {
    INFO(bad);
    f.store.set_config("n", bad);
    CHECK(error_of([&] { f.store.config_count("n", 12); }) == std::string("quiver: corrupt index: config n is \"") + bad + "\"");
  }
}

TEST_CASE("store: centroids round-trip, and damaged ones are reported", "[store]") {
  Fixture f;
  std::vector<float> rows{1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4};
  f.store.write_centroids(3, 4, rows.data());
  size_t k = 0;
  CHECK(f.store.read_centroids(4, &k) == rows);
  CHECK(k == 3);
  // Written again: replaced, not added to.
  f.store.write_centroids(2, 4, rows.data());
  CHECK(f.store.read_centroids(4, &k) == std::vector<float>(rows.begin(), rows.begin() + 8));
  CHECK(k == 2);
  f.db.exec("UPDATE t_centroids SET centroid = zeroblob(12) WHERE list = 1");
  CHECK(error_of([&] { f.store.read_centroids(4, &k); }) == "quiver: corrupt index: centroid 1 is 12 bytes, expected 16");
  float inf = HUGE_VALF;
  std::vector<float> bad{1, inf, 0, 0};
  f.store.write_centroids(1, 4, bad.data());
  CHECK(error_of([&] { f.store.read_centroids(4, &k); }) == "quiver: corrupt index: centroid 0 is not finite");
  f.store.write_centroids(3, 4, rows.data());
  f.db.exec("DELETE FROM t_centroids WHERE list = 1");
  CHECK(error_of([&] { f.store.read_centroids(4, &k); }) == "quiver: corrupt index: centroid 1 is missing");
}

TEST_CASE("store: shift_lists, list_of and drop_chunk for rebuilds", "[store]") {
  Fixture f;
  for (int64_t rowid = 1; rowid <= 30; ++rowid) f.add(rowid % 3, rowid);
  f.store.flush();
  f.store.end_transaction(false);
  std::map<int64_t, int64_t> before;
  for (const ChunkInfo& c : f.store.chunks(-1)) before[c.id] = c.list;
  for (const auto& [chunk, list] : before) CHECK(f.store.list_of(chunk) == list);
  f.store.shift_lists(1, 5);
  for (const auto& [chunk, list] : before) CHECK(f.store.list_of(chunk) == (list >= 1 ? list + 5 : list));
  CHECK(f.store.chunks(1).empty());
  CHECK(f.store.chunks(6).size() == 1);
  // A dropped chunk leaves the directory with its payload; its rows go
  // with it, as a rebuild deletes them.
  int64_t dropped = f.store.chunks(0)[0].id;
  f.store.drop_chunk(dropped);
  f.db.exec("DELETE FROM t_rows WHERE chunk = " + std::to_string(dropped));
  CHECK(f.store.chunks(0).empty());
  CHECK(f.db.integer("SELECT count(*) FROM t_vectors WHERE id = " + std::to_string(dropped)) == 0);
  CHECK(f.store.row_count() == 20);
}

TEST_CASE("store: rename moves every shadow table, drop removes them", "[store]") {
  Fixture f;
  for (int64_t rowid = 1; rowid <= 10; ++rowid) f.add(0, rowid);
  f.store.flush();
  f.store.rename("u");
  CHECK(f.store.table() == "u");
  CHECK(f.store.shadow("rows") == "u_rows");
  // Tables move; the metadata index keeps its name, as SQLite renames no index.
  CHECK(f.db.integer("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name LIKE 't\\_%' ESCAPE '\\'") == 0);
  CHECK(f.db.integer("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name LIKE 't\\_%' ESCAPE '\\'") == 0);
  CHECK(f.db.integer("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name LIKE 'u\\_%' ESCAPE '\\'") == 5);
  // Still usable under the new name.
  f.add(0, 11);
  f.store.flush();
  f.store.end_transaction(false);
  f.check();
  f.store.drop();
  CHECK(f.db.integer("SELECT count(*) FROM sqlite_schema WHERE type = 'table'") == 0);
}

TEST_CASE("store: a rolled-back transaction leaves the committed rows, buffered or written", "[store]") {
  for (bool flushed : {false, true}) {
    INFO((flushed ? "appends written before the rollback" : "appends still buffered at the rollback"));
    Fixture f;
    f.db.exec("BEGIN");
    for (int64_t rowid = 1; rowid <= 25; ++rowid) f.add(0, rowid);
    f.store.flush();
    f.db.exec("COMMIT");
    f.store.end_transaction(false);
    f.check();
    auto committed = f.list_of_row;
    uint64_t generation = f.store.generation();

    f.db.exec("BEGIN");
    for (int64_t rowid = 26; rowid <= 60; ++rowid) f.add(rowid % 2, rowid);
    Location loc;
    REQUIRE(f.store.locate(5, &loc));
    f.store.remove(loc);  // flushes what is buffered
    f.store.delete_row(5);
    f.list_of_row.erase(5);
    for (int64_t rowid = 61; rowid <= 70; ++rowid) f.add(0, rowid);
    if (flushed) f.store.flush();
    // Inside the transaction the store sees its own writes.
    int64_t inside = 0;
    for (const ChunkInfo& c : f.store.chunks(-1)) inside += c.count;
    CHECK(inside == 25 - 1 + 35 + 10);
    f.db.exec("ROLLBACK");
    f.store.end_transaction(true);
    CHECK(f.store.generation() > generation);
    f.list_of_row = committed;
    f.check();
  }
}

TEST_CASE("store: a malformed chunk is reported as a corrupt index, naming it", "[store]") {
  Fixture f;
  for (int64_t rowid = 1; rowid <= 40; ++rowid) f.add(rowid % 2, rowid);
  f.store.flush();
  f.store.end_transaction(false);
  std::vector<ChunkInfo> chunks = f.store.chunks(0);
  const ChunkInfo c = chunks[0];
  std::string id = std::to_string(c.id);
  std::vector<unsigned char> buffer;

  f.db.exec("UPDATE t_vectors SET vectors = zeroblob(3) WHERE id = " + id);
  CHECK(error_of([&] { f.store.load(c, &buffer); }) == "quiver: corrupt index: chunk " + id +
                                                           " vectors payload is 3 bytes, expected " +
                                                           std::to_string(c.capacity * 16));
  f.db.exec("UPDATE t_vectors SET vectors = zeroblob(" + std::to_string(c.capacity * 16) + "), rowids = x'00' WHERE id = " + id);
  CHECK(error_of([&] { f.store.load(c, &buffer); }) == "quiver: corrupt index: chunk " + id +
                                                           " rowids payload is 1 bytes, expected " +
                                                           std::to_string(c.capacity * 8));
  // The directory no longer adds up: checked when it is loaded again.
  f.db.exec("UPDATE t_chunks SET count = count - 1 WHERE id = " + id);
  f.store.invalidate_cache();
  CHECK(error_of([&] { f.store.chunks(-1); }) == "quiver: corrupt index: the chunks hold 39 vectors but t_rows has 40 rows");
  f.db.exec("UPDATE t_chunks SET count = count + 1 WHERE id = " + id);
  f.db.exec("DELETE FROM t_vectors WHERE id = " + id);
  f.store.invalidate_cache();
  CHECK(error_of([&] { f.store.chunks(-1); }) == "quiver: corrupt index: t_vectors has " +
                                                     std::to_string(f.db.integer("SELECT count(*) FROM t_vectors")) +
                                                     " payloads for " + std::to_string(f.db.integer("SELECT count(*) FROM t_chunks")) +
                                                     " chunks");
  CHECK(error_of([&] { f.store.load(c, &buffer); }) == "quiver: corrupt index: chunk " + id + " has no rowids payload");
}

TEST_CASE("store: next_rowid is one past the largest, and refuses past the last rowid", "[store]") {
  Fixture f;
  CHECK(f.store.next_rowid() == 1);
  f.add(0, 5);
  f.add(0, -20);
  CHECK(f.store.next_rowid() == 6);
  f.add(0, INT64_MAX);
  CHECK(error_of([&] { f.store.next_rowid(); }, SQLITE_FULL) == "quiver: no rowid left (the largest rowid is in use)");
}

namespace {

// A copy of an SQL value, as xFilter receives it.
using OwnedValue = std::unique_ptr<sqlite3_value, void (*)(sqlite3_value*)>;
OwnedValue value_of(const Db& db, const Value& v) {
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db.handle(), "SELECT ?1", -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(quiver_test::bind_value(stmt, 1, v) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  OwnedValue out(sqlite3_value_dup(sqlite3_column_value(stmt, 0)), sqlite3_value_free);
  sqlite3_finalize(stmt);
  REQUIRE(out);
  return out;
}

}  // namespace

TEST_CASE("store: select_rows compiles plan conditions to the rows they select", "[store]") {
  using quiver::ArgKind;
  using quiver::Op;
  using quiver::PlanArg;
  using quiver::RowCondition;
  using quiver::RowSelection;
  Fixture f;
  // Tags cycle through these, NULL among them.
  const char* const tags[] = {"apple", "Apple", "pear", nullptr, "banana", "b%"};
  std::map<int64_t, const char*> tag_of;
  for (int64_t rowid = 1; rowid <= 60; ++rowid) {
    std::vector<float> v = vector_of(rowid, 4);
    Location loc = f.store.append(rowid % 2, rowid, v.data());
    const char* tag = tags[rowid % 6];
    OwnedValue value = value_of(f.db, tag ? Value::text(tag) : Value::null());
    sqlite3_value* values[] = {value.get()};
    f.store.insert_row(rowid, loc, values);
    tag_of[rowid] = tag;
  }
  f.store.flush();
  struct Case {
    const char* what;
    std::vector<PlanArg> args;
    std::vector<Value> values;
    std::function<bool(int64_t, const char*)> want;
  };
  auto is = [](const char* t, const char* s) { return t && std::string(t) == s; };
  const Case cases[] = {
      {"tag = 'apple'", {{ArgKind::Metadata, Op::Eq, 0, ""}}, {Value::text("apple")},
       [&](int64_t, const char* t) { return is(t, "apple"); }},
      {"tag = 'APPLE' COLLATE NOCASE", {{ArgKind::Metadata, Op::Eq, 0, "NOCASE"}}, {Value::text("APPLE")},
       [&](int64_t, const char* t) { return is(t, "apple") || is(t, "Apple"); }},
      {"tag != 'pear'", {{ArgKind::Metadata, Op::Ne, 0, ""}}, {Value::text("pear")},
       [&](int64_t, const char* t) { return t && !is(t, "pear"); }},
      {"tag < 'b'", {{ArgKind::Metadata, Op::Lt, 0, ""}}, {Value::text("b")},
       [&](int64_t, const char* t) { return t && std::string(t) < "b"; }},
      {"tag >= 'b'", {{ArgKind::Metadata, Op::Ge, 0, ""}}, {Value::text("b")},
       [&](int64_t, const char* t) { return t && std::string(t) >= "b"; }},
      {"tag IS NULL", {{ArgKind::Metadata, Op::IsNull, 0, ""}}, {Value::null()},
       [&](int64_t, const char* t) { return !t; }},
      {"tag IS NOT NULL", {{ArgKind::Metadata, Op::IsNotNull, 0, ""}}, {Value::null()},
       [&](int64_t, const char* t) { return t != nullptr; }},
      {"tag IS NULL (IS with a NULL value)", {{ArgKind::Metadata, Op::Is, 0, ""}}, {Value::null()},
       [&](int64_t, const char* t) { return !t; }},
      {"tag IS NOT 'pear'", {{ArgKind::Metadata, Op::IsNot, 0, ""}}, {Value::text("pear")},
       [&](int64_t, const char* t) { return !is(t, "pear"); }},
      {"tag LIKE 'a%'", {{ArgKind::Metadata, Op::Like, 0, ""}}, {Value::text("a%")},
       [&](int64_t, const char* t) { return is(t, "apple") || is(t, "Apple"); }},
      {"tag GLOB 'b*'", {{ArgKind::Metadata, Op::Glob, 0, ""}}, {Value::text("b*")},
       [&](int64_t, const char* t) { return is(t, "banana") || is(t, "b%"); }},
      {"rowid > 50 AND rowid <= 55", {{ArgKind::Rowid, Op::Gt, -1, ""}, {ArgKind::Rowid, Op::Le, -1, ""}},
       {Value::integer(50), Value::integer(55)}, [&](int64_t r, const char*) { return r > 50 && r <= 55; }},
      {"rowid = '7' (affinity)", {{ArgKind::Rowid, Op::Eq, -1, ""}}, {Value::text("7")},
       [&](int64_t r, const char*) { return r == 7; }},
      {"tag = 'apple' AND rowid > 30", {{ArgKind::Metadata, Op::Eq, 0, ""}, {ArgKind::Rowid, Op::Gt, -1, ""}},
       {Value::text("apple"), Value::integer(30)}, [&](int64_t r, const char* t) { return is(t, "apple") && r > 30; }},
      {"no condition", {}, {}, [&](int64_t, const char*) { return true; }},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    std::vector<OwnedValue> owned;
    std::vector<RowCondition> conditions;
    for (size_t i = 0; i < c.args.size(); ++i) {
      owned.push_back(value_of(f.db, c.values[i]));
      conditions.push_back({c.args[i], owned.back().get()});
    }
    std::vector<int64_t> want;
    for (const auto& [rowid, tag] : tag_of)
      if (c.want(rowid, tag)) want.push_back(rowid);
    REQUIRE_FALSE(want.empty());
    // Rowids, in rowid order.
    std::vector<int64_t> rowids;
    quiver::Statement ids = f.store.select_rows(RowSelection::Rowids, conditions);
    while (ids.step()) rowids.push_back(ids.int_at(0));
    CHECK(rowids == want);
    // Values: rowid, chunk, slot, c0 in rowid order.
    quiver::Statement values = f.store.select_rows(RowSelection::Values, conditions);
    std::vector<int64_t> in_order;
    while (values.step()) {
      int64_t rowid = values.int_at(0);
      in_order.push_back(rowid);
      Location loc;
      REQUIRE(f.store.locate(rowid, &loc));
      CHECK(values.int_at(1) == loc.chunk);
      CHECK(values.int_at(2) == loc.slot);
      const char* tag = tag_of.at(rowid);
      if (tag) CHECK(reinterpret_cast<const char*>(sqlite3_column_text(values.get(), 3)) == std::string(tag));
      else CHECK(values.null_at(3));
    }
    CHECK(in_order == want);
    // Locations: chunk, slot, rowid, in any order.
    quiver::Statement locations = f.store.select_rows(RowSelection::Locations, conditions);
    std::vector<int64_t> located;
    while (locations.step()) {
      Location loc;
      REQUIRE(f.store.locate(locations.int_at(2), &loc));
      CHECK(locations.int_at(0) == loc.chunk);
      CHECK(locations.int_at(1) == loc.slot);
      located.push_back(locations.int_at(2));
    }
    std::sort(located.begin(), located.end());
    CHECK(located == want);
  }
}

TEST_CASE("store: row_lookup gives one row's place and values, rows_in_chunk_order every row by place", "[store]") {
  Fixture f;
  for (int64_t rowid = 40; rowid >= 1; --rowid) {
    std::vector<float> v = vector_of(rowid, 4);
    Location loc = f.store.append(rowid % 3, rowid, v.data());
    OwnedValue tag = value_of(f.db, Value::text("t" + std::to_string(rowid)));
    sqlite3_value* values[] = {tag.get()};
    f.store.insert_row(rowid, loc, values);
  }
  f.store.flush();
  quiver::Statement lookup = f.store.row_lookup();
  for (int64_t rowid : {1, 17, 40}) {
    lookup.reset();
    lookup.bind(1, rowid);
    REQUIRE(lookup.step());
    Location loc;
    REQUIRE(f.store.locate(rowid, &loc));
    CHECK(lookup.int_at(0) == rowid);
    CHECK(lookup.int_at(1) == loc.chunk);
    CHECK(lookup.int_at(2) == loc.slot);
    CHECK(reinterpret_cast<const char*>(sqlite3_column_text(lookup.get(), 3)) == "t" + std::to_string(rowid));
    CHECK_FALSE(lookup.step());
  }
  lookup.reset();
  lookup.bind(1, int64_t{99});
  CHECK_FALSE(lookup.step());

  // Every row once, in (chunk, slot) order, where the chunks say it is.
  std::vector<std::pair<int64_t, int64_t>> want;
  std::map<std::pair<int64_t, int64_t>, int64_t> at;
  std::vector<unsigned char> buffer;
  for (const ChunkInfo& c : f.store.chunks(-1)) {
    ChunkView view = f.store.load(c, &buffer);
    for (int64_t s = 0; s < c.count; ++s) {
      want.push_back({c.id, s});
      at[{c.id, s}] = view.rowids[s];
    }
  }
  std::sort(want.begin(), want.end());
  quiver::Statement ordered = f.store.rows_in_chunk_order();
  std::vector<std::pair<int64_t, int64_t>> got;
  while (ordered.step()) {
    got.push_back({ordered.int_at(1), ordered.int_at(2)});
    CHECK(at.at(got.back()) == ordered.int_at(0));
  }
  CHECK(got == want);
}
