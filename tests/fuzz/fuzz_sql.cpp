// Fuzz target: SQL sessions on a quiver table, checked against a mirror.
//
// The first input bytes declare a table: element type, metric, dimensions,
// the vector column's place among a metadata integer `m`, a metadata text
// `tag` and an auxiliary text `note`, and a flat or IVF index with one to
// four lists. The rest drives a sequence of INSERT (one or several rows, OR
// REPLACE / OR IGNORE, automatic rowids), UPDATE (vector, values, rowid),
// DELETE, KNN (k, ORDER BY distance LIMIT / OFFSET, distance bounds,
// metadata and rowid filters with affinity, collations, LIKE / GLOB and ORs,
// probes), filters SQLite keeps to itself (ORs across columns, expressions,
// NOT IN) under the streaming LIMIT form, other orders (ORDER BY rowid, a
// metadata column, distance DESC, a k subquery sorted again) compared with
// the same query on the mirror, 'rebuild' / 'optimize' / 'integrity-check',
// and BEGIN / COMMIT / ROLLBACK / SAVEPOINT / RELEASE / ROLLBACK TO.
//
// Every write runs on the quiver table and on "mirror", an ordinary table
// with the same columns (the vector's validity as CHECK constraints), and
// must succeed on both or fail on both. Every query is checked against a
// brute force over the mirror with the SQL distance functions (knn_check.h):
// exactly for a flat index, an untrained IVF one or probes = all lists.
// Vectors have small integer or half-integer elements, so that l2, dot and
// hamming scores are exact and ties are common. Stored rows are compared
// with the mirror's along the way, and the session ends with
// 'integrity-check', which must pass. Any difference aborts.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_db.h"
#include "knn_check.h"

namespace {

// Operations per input: bounds the time one input takes.
constexpr int kMaxSteps = 64;

using fuzz::check;
using fuzz::Result;
using fuzz::Rows;
using fuzz::Value;

enum class Type { Float32, Int8, Bit };

// The declared table, and how the mirror and the reference express it.
struct Table {
  Type type = Type::Float32;
  std::string metric = "l2";
  int dims = 4;
  bool ivf = false;
  int lists = 1;
  int vector_position = 0;

  // The constructor that reads the mirror's bare blobs (and JSON) as the
  // table's type.
  const char* constructor() const {
    return type == Type::Float32 ? "vector" : type == Type::Int8 ? "vector_int8" : "vector_bit";
  }
  // The table's distance between two vector expressions, in SQL functions.
  std::string distance(const std::string& a, const std::string& b) const {
    std::string args = std::string("(") + constructor() + "(" + a + "), " + constructor() + "(" + b + "))";
    if (metric == "cosine") return "cosine_distance" + args;
    if (metric == "dot") return "-dot_product" + args;
    if (metric == "hamming") return "hamming_distance" + args;
    return "l2_distance" + args;
  }
  // Cosine distances are rounded differently by the scan (float32) and the
  // SQL functions; with these vectors every other score is exact.
  double tolerance() const { return metric == "cosine" ? 1e-5 : 0; }
  int elements_per_value() const { return type == Type::Bit ? dims / 8 : dims; }
};

class Session {
 public:
  explicit Session(FuzzedDataProvider& in) : in_(in) {}

  void run() {
    declare();
    for (int step = 0; step < kMaxSteps && in_.remaining_bytes() > 0; ++step) {
      switch (in_.ConsumeIntegralInRange(0, 14)) {
        case 0: case 1: insert(); break;
        case 2: insert_several(); break;
        case 3: update_vector(); break;
        case 4: update_values(); break;
        case 5: update_rowid(); break;
        case 6: remove(); break;
        case 7: case 8: knn(); break;
        case 9: stream(); break;
        case 10: range(); break;
        case 11: command(); break;
        case 12: transaction(); break;
        case 13: compare_rows(); break;
        case 14: other_order(); break;
      }
    }
    if (!sqlite3_get_autocommit(db_.get())) db_.must(in_.ConsumeBool() ? "COMMIT" : "ROLLBACK");
    compare_rows();
    db_.must("INSERT INTO t(t) VALUES ('integrity-check')");
  }

 private:
  void declare() {
    t_.type = static_cast<Type>(in_.ConsumeIntegralInRange(0, 2));
    if (t_.type == Type::Bit) {
      t_.metric = "hamming";
      t_.dims = 8 * in_.ConsumeIntegralInRange(1, 3);
    } else {
      t_.metric = in_.PickValueInArray({"l2", "cosine", "dot"});
      t_.dims = in_.ConsumeIntegralInRange(1, 12);
    }
    t_.ivf = in_.ConsumeBool();
    t_.lists = in_.ConsumeIntegralInRange(1, 4);
    t_.vector_position = in_.ConsumeIntegralInRange(0, 3);

    std::vector<std::string> columns = {"m integer", "tag text", "+note text"};
    const char* type_name = t_.type == Type::Float32 ? "float" : t_.type == Type::Int8 ? "int8" : "bit";
    columns.insert(columns.begin() + t_.vector_position,
                   "v " + std::string(type_name) + "[" + std::to_string(t_.dims) + "] distance=" + t_.metric);
    std::string args;
    for (const std::string& c : columns) args += c + ", ";
    args += t_.ivf ? "index=ivf, lists=" + std::to_string(t_.lists) : "index=flat";
    db_.must("CREATE VIRTUAL TABLE t USING quiver(" + args + ")");

    db_.must("CREATE TABLE mirror(id INTEGER PRIMARY KEY, v BLOB NOT NULL CHECK (" + valid_sql("v") +
             "), m INTEGER, tag TEXT, note TEXT)");
  }

  // Whether vector expression x is one the table takes, in SQL.
  std::string valid_sql(const std::string& x) const {
    std::string v = std::string(t_.constructor()) + "(" + x + ")";
    std::string sql = "vector_dims(" + v + ") = " + std::to_string(t_.dims);
    return t_.metric == "cosine" ? sql + " AND vector_norm(" + v + ") > 0" : sql;
  }

  // ---- values --------------------------------------------------------------

  // A vector for the table: usually valid (right size; not zero for cosine),
  // as a blob or as JSON text; sometimes NULL, of another size, or garbage.
  Value vector(bool* valid) {
    int kind = in_.ConsumeIntegralInRange(0, 15);
    *valid = false;
    if (kind == 0) return Value();
    if (kind == 1) {
      // Garbage, most likely; the mirror's CHECK expression judges it.
      Value v = Value::text(in_.ConsumeRandomLengthString(16));
      Result r = db_.run("SELECT " + valid_sql("?1"), {v});
      *valid = r.ok() && r.rows[0][0] == Value::integer(1);
      return v;
    }
    int count = kind == 2 ? in_.ConsumeIntegralInRange(1, 24) : t_.elements_per_value();
    bool json = in_.ConsumeIntegralInRange(0, 3) == 0;
    std::string blob, text = "[";
    bool zero = true;
    for (int i = 0; i < count; ++i) {
      if (t_.type == Type::Bit) {
        auto byte = in_.ConsumeIntegral<uint8_t>();
        blob += static_cast<char>(byte);
        for (int b = 0; b < 8; ++b) text += std::string(i || b ? "," : "") + ((byte >> b) & 1 ? "1" : "0");
        zero = zero && byte == 0;
      } else if (t_.type == Type::Int8) {
        auto x = in_.ConsumeIntegralInRange<int8_t>(-3, 3);
        blob += static_cast<char>(x);
        text += (i ? "," : "") + std::to_string(x);
        zero = zero && x == 0;
      } else {
        float x = 0.5f * in_.ConsumeIntegralInRange(-6, 6);
        char bytes[4];
        std::memcpy(bytes, &x, 4);
        blob.append(bytes, 4);
        char number[16];
        std::snprintf(number, sizeof number, "%s%g", i ? "," : "", x);
        text += number;
        zero = zero && x == 0;
      }
    }
    *valid = count == t_.elements_per_value() && !(zero && t_.metric == "cosine");
    return json ? Value::text(text + "]") : Value::blob(blob);
  }

  // Mostly a small pool, so that writes collide; sometimes NULL (an
  // automatic rowid where that applies) or far away.
  Value rowid(bool allow_null = true) {
    int kind = in_.ConsumeIntegralInRange(0, 15);
    if (kind == 0 && allow_null) return Value();
    if (kind == 1) return Value::integer(in_.PickValueInArray<int64_t>({-7, 0, int64_t{1} << 40}));
    return Value::integer(in_.ConsumeIntegralInRange(1, 16));
  }
  Value m(bool allow_null = true) {
    int kind = in_.ConsumeIntegralInRange(0, 9);
    if (kind == 0 && allow_null) return Value();
    if (kind == 1) return Value::text("7");  // integer affinity makes it 7 in both tables
    return Value::integer(in_.ConsumeIntegralInRange(-1, 4));
  }
  Value text(const char* const* pool, bool allow_null) {
    int i = in_.ConsumeIntegralInRange(0, allow_null ? 3 : 2);
    return i == 3 ? Value() : Value::text(pool[i]);
  }
  Value tag(bool allow_null = true) {
    static const char* const kTags[] = {"a", "b", "c"};
    if (in_.ConsumeIntegralInRange(0, 7) == 0) return Value::text("A");  // equal to "a" under NOCASE
    return text(kTags, allow_null);
  }
  Value note(bool allow_null = true) {
    static const char* const kNotes[] = {"x", "y", "z"};
    return text(kNotes, allow_null);
  }
  std::string literal(const Value& v) {
    if (v.type == SQLITE_INTEGER) return std::to_string(v.i);
    if (v.type == SQLITE_TEXT) return "'" + v.s + "'";
    return "NULL";
  }

  // A WHERE condition both tables understand. Conditions on m, tag and
  // rowid run inside the quiver scan; one on the auxiliary `note` is
  // SQLite's to apply afterwards, so only where LIMIT, not k, cuts the rows;
  // so are the forms SQLite never offers a virtual table (`kept`: ORs across
  // columns, expressions, NOT IN, a collation on !=).
  // Comparisons are with values, not NULL: SQLite skips a virtual table
  // whose `=` constraint is NULL without asking it, query vector unchecked.
  std::string filter(bool allow_auxiliary, bool allow_kept = false) {
    std::string where;
    int count = in_.ConsumeIntegralInRange(0, 2);
    for (int i = 0; i < count; ++i) {
      std::string c;
      switch (in_.ConsumeIntegralInRange(0, allow_kept ? 23 : allow_auxiliary ? 18 : 17)) {
        case 0: c = "m = " + literal(m(false)); break;
        case 1: c = "m != " + literal(m(false)); break;
        case 2: c = "m < " + literal(m(false)); break;
        case 3: c = "m >= " + literal(m(false)); break;
        case 4: c = in_.ConsumeBool() ? "m IS NULL" : "m IS NOT NULL"; break;
        case 5: c = "m IN (" + literal(m(false)) + ", " + literal(m(false)) + ")"; break;
        case 6: c = "tag = " + literal(tag(false)); break;
        case 7: c = "tag IS NOT " + literal(tag()); break;
        case 8: c = "tag IN (" + literal(tag(false)) + ", " + literal(tag(false)) + ")"; break;
        case 9:
          c = "rowid IN (" + literal(rowid(false)) + ", " + literal(rowid(false)) + ", " + literal(rowid(false)) + ")";
          break;
        case 10: c = "rowid > " + literal(rowid(false)); break;
        // Affinity: text compared with the integer column, a number with text.
        case 11: c = "m " + std::string(in_.PickValueInArray({"=", "<=", ">"})) + " '" + std::to_string(in_.ConsumeIntegralInRange(-1, 4)) + "'"; break;
        case 12: c = "tag " + std::string(in_.PickValueInArray({"=", ">", "<"})) + " " + literal(tag(false)) + " COLLATE NOCASE"; break;
        case 13: c = "tag LIKE " + std::string(in_.PickValueInArray({"'a'", "'A%'", "'_'", "'%'"})); break;
        case 14: c = "tag GLOB " + std::string(in_.PickValueInArray({"'a'", "'[ab]'", "'*'", "'A'"})); break;
        case 15: c = "(rowid = " + literal(rowid(false)) + " OR rowid = " + literal(rowid(false)) + ")"; break;
        case 16: c = "(m = " + literal(m(false)) + " OR m = " + literal(m(false)) + ")"; break;
        case 17: c = "tag COLLATE NOCASE IN (" + literal(tag(false)) + ", " + literal(tag(false)) + ")"; break;
        case 18: c = "note = " + literal(note(false)); break;
        case 19: c = "(tag = " + literal(tag(false)) + " OR m = " + literal(m(false)) + ")"; break;
        case 20: c = "(rowid = " + literal(rowid(false)) + " OR tag = " + literal(tag(false)) + ")"; break;
        case 21: c = "m % 2 = 0"; break;
        case 22: c = "tag NOT IN (" + literal(tag(false)) + ")"; break;
        case 23: c = "tag != " + literal(tag(false)) + " COLLATE NOCASE"; break;
      }
      where += " AND " + c;
    }
    return where;
  }

  // OR REPLACE / OR IGNORE concern rowid conflicts. A bad vector fails
  // the quiver table outright but is a constraint the mirror may ignore or
  // replace, so it gets no conflict clause.
  std::string conflict(bool valid) {
    int kind = in_.ConsumeIntegralInRange(0, 3);
    if (!valid || kind < 2) return "";
    return kind == 2 ? "OR REPLACE" : "OR IGNORE";
  }

  // ---- writes --------------------------------------------------------------

  // Runs `sql` on both tables: $T is the table; $V(x) is x for the quiver
  // table and the typed constructor of x for the mirror, which stores what
  // the quiver table would.
  void write(const std::string& sql, const std::vector<Value>& params) {
    auto expand = [&](const std::string& table, const std::string& constructor) {
      std::string s = sql;
      for (size_t at; (at = s.find("$T")) != std::string::npos;) s.replace(at, 2, table);
      for (size_t at; (at = s.find("$V")) != std::string::npos;) s.replace(at, 2, constructor);
      return s;
    };
    Result quiver = db_.run(expand("t", ""), params);
    Result mirror = db_.run(expand("mirror", t_.constructor()), params);
    check(quiver.ok() == mirror.ok(), "the tables disagree on: " + expand("t", "") +
                                          "\n  quiver: " + (quiver.ok() ? "ok" : quiver.error) +
                                          "\n  mirror: " + (mirror.ok() ? "ok" : mirror.error));
  }

  void insert() {
    bool valid;
    Value v = vector(&valid);
    write("INSERT " + conflict(valid) + " INTO $T(rowid, v, m, tag, note) VALUES (?1, $V(?2), ?3, ?4, ?5)",
          {rowid(), v, m(), tag(), note()});
  }

  void insert_several() {
    int rows = in_.ConsumeIntegralInRange(2, 4);
    std::vector<Value> params;
    std::string values;
    bool all_valid = true;
    for (int r = 0; r < rows; ++r) {
      bool valid;
      Value id = rowid();
      if (id.type == SQLITE_NULL) id = Value::integer(r + 1);  // the tables could choose differently mid-statement
      params.insert(params.end(), {id, vector(&valid), m(), tag(), note()});
      all_valid = all_valid && valid;
      int p = r * 5;
      values += std::string(r ? ", " : "") + "(?" + std::to_string(p + 1) + ", $V(?" + std::to_string(p + 2) +
                "), ?" + std::to_string(p + 3) + ", ?" + std::to_string(p + 4) + ", ?" + std::to_string(p + 5) + ")";
    }
    write("INSERT " + conflict(all_valid) + " INTO $T(rowid, v, m, tag, note) VALUES " + values, params);
  }

  void update_vector() {
    bool valid;
    Value v = vector(&valid);
    if (in_.ConsumeBool())
      write("UPDATE " + conflict(valid) + " $T SET v = $V(?1) WHERE rowid = ?2", {v, rowid()});
    else
      write("UPDATE $T SET v = $V(?1), tag = ?2 WHERE m = ?3", {v, tag(), m()});
  }

  void update_values() {
    if (in_.ConsumeBool())
      write("UPDATE $T SET m = ?1, tag = ?2, note = ?3 WHERE rowid = ?4", {m(), tag(), note(), rowid()});
    else
      write("UPDATE $T SET note = ?1 WHERE tag IS ?2", {note(), tag()});
  }

  void update_rowid() {
    // One row at a time: which of several rows moves first is up to each
    // table, and decides which conflicts happen.
    write("UPDATE " + conflict(true) + " $T SET rowid = ?1 WHERE rowid = ?2", {rowid(), rowid()});
  }

  void remove() {
    switch (in_.ConsumeIntegralInRange(0, 3)) {
      case 0: write("DELETE FROM $T WHERE m = ?1", {m()}); break;
      case 1: write("DELETE FROM $T WHERE rowid > ?1", {rowid()}); break;
      default: write("DELETE FROM $T WHERE rowid = ?1", {rowid()}); break;
    }
  }

  // ---- queries -------------------------------------------------------------

  // Trained IVF lists now, 0 for a flat or untrained table.
  int64_t trained_lists() {
    Rows r = db_.must("SELECT value FROM t_config WHERE key = 'lists'");
    return r.empty() ? 0 : std::atoll(r[0][0].s.c_str());
  }

  // The probes constraint for a query, and whether the index answers it
  // exactly: probes = 65536 (the most allowed) reaches every list.
  std::string probes(bool* exact) {
    int64_t lists = trained_lists();
    bool all = in_.ConsumeBool() && t_.ivf;  // probes on a flat table is an error
    *exact = all || lists <= 1;
    return all ? " AND probes = 65536" : "";
  }

  // Runs `sql` (?1 is the query vector) and checks it; the reference takes
  // the rows `where` lets through in the mirror.
  void query(const std::string& sql, const std::string& where, const Value& q, bool query_valid,
             fuzz::Expectation e) {
    Result got = db_.run(sql, {q});
    if (!query_valid) {
      // An error, or nothing when SQLite proves the WHERE false and never
      // starts the scan (m = 1 AND m < 0).
      check(!got.ok() || got.rows.empty(), "a bad query vector was accepted: " + sql + "\n  query vector: " + fuzz::show(q));
      return;
    }
    check(got.ok(), sql + ": " + got.error + "\n  query vector: " + fuzz::show(q));
    std::vector<fuzz::Scored> answer;
    for (const fuzz::Row& r : got.rows) answer.push_back({r[0].i, r[1].type == SQLITE_INTEGER ? static_cast<double>(r[1].i) : r[1].d});  // hamming: INTEGER
    Rows ref = db_.must("SELECT id, " + t_.distance("v", "?1") + " FROM mirror WHERE 1" + where, {q});
    for (const fuzz::Row& r : ref)
      e.reference.push_back({r[0].i, r[1].type == SQLITE_INTEGER ? static_cast<double>(r[1].i) : r[1].d});
    std::sort(e.reference.begin(), e.reference.end(), [](const fuzz::Scored& a, const fuzz::Scored& b) {
      return a.distance < b.distance || (a.distance == b.distance && a.rowid < b.rowid);
    });
    e.tolerance = t_.tolerance();
    fuzz::check_answer(answer, e, sql);
  }

  void knn() {
    bool valid, exact;
    Value q = vector(&valid);
    int k = in_.ConsumeIntegralInRange(1, 20);
    std::string where = filter(false);
    std::string sql = "SELECT rowid, distance FROM t WHERE v MATCH ?1 AND k = " + std::to_string(k) + where +
                      probes(&exact) + (in_.ConsumeBool() ? " ORDER BY distance" : "");
    fuzz::Expectation e;
    e.limit = static_cast<size_t>(k);
    e.exact = exact;
    query(sql, where, q, valid, e);
  }

  void stream() {
    bool valid, exact;
    Value q = vector(&valid);
    std::string where = filter(true, true);
    fuzz::Expectation e;
    std::string sql = "SELECT rowid, distance FROM t WHERE v MATCH ?1" + where + probes(&exact);
    // A stream is exact on every index; a LIMIT that SQLite passes down
    // (3.41+) makes a search through the probes, as k does.
    e.exact = true;
    if (in_.ConsumeBool()) {
      e.limit = static_cast<size_t>(in_.ConsumeIntegralInRange(0, 12));
      e.offset = static_cast<size_t>(in_.ConsumeIntegralInRange(0, 6));
      sql += " ORDER BY distance LIMIT " + std::to_string(e.limit) + " OFFSET " + std::to_string(e.offset);
      e.exact = exact;
    }
    query(sql, where, q, valid, e);
  }

  // Orders the search does not deliver: SQLite sorts, and LIMIT applies
  // after that; the answer is the mirror's to the same query. Exact scores
  // only (not cosine), so that ties compare alike.
  void other_order() {
    bool valid;
    Value q = vector(&valid);
    if (!valid || t_.tolerance() > 0) return;
    std::string where = filter(true, true);
    std::string d = t_.distance("v", "?1");
    const std::string every_list = t_.ivf ? " AND probes = 65536" : "";
    std::string limit = " LIMIT " + std::to_string(in_.ConsumeIntegralInRange(0, 6)) + " OFFSET " +
                        std::to_string(in_.ConsumeIntegralInRange(0, 3));
    std::string k = std::to_string(in_.ConsumeIntegralInRange(1, 10));
    std::string quiver, mirror;
    switch (in_.ConsumeIntegralInRange(0, 4)) {
      case 0:
        quiver = "SELECT rowid FROM t WHERE v MATCH ?1" + where + " ORDER BY rowid DESC" + limit;
        mirror = "SELECT id FROM mirror WHERE 1" + where + " ORDER BY id DESC" + limit;
        break;
      case 1:
        quiver = "SELECT rowid FROM t WHERE v MATCH ?1" + where + " ORDER BY m, tag, rowid" + limit;
        mirror = "SELECT id FROM mirror WHERE 1" + where + " ORDER BY m, tag, id" + limit;
        break;
      case 2:
        quiver = "SELECT rowid FROM t WHERE v MATCH ?1" + where + " ORDER BY distance DESC, rowid DESC" + limit;
        mirror = "SELECT id FROM mirror WHERE 1" + where + " ORDER BY " + d + " DESC, id DESC" + limit;
        break;
      case 3:
        // k through every list (probes on IVF tables only), then sorted again by SQLite.
        quiver = "SELECT rowid FROM (SELECT rowid, distance FROM t WHERE v MATCH ?1 AND k = " + k +
                 every_list + ") ORDER BY distance DESC, rowid DESC" + limit;
        mirror = "SELECT id FROM (SELECT id, " + d + " AS x FROM mirror ORDER BY x, id LIMIT " + k +
                 ") ORDER BY x DESC, id DESC" + limit;
        break;
      case 4:
        quiver = "SELECT rowid FROM t WHERE v MATCH ?1" + where + " AND distance <= 2" + every_list + " ORDER BY tag, rowid" + limit;
        mirror = "SELECT id FROM mirror WHERE " + d + " <= 2" + where + " ORDER BY tag, id" + limit;
        break;
    }
    Result got = db_.run(quiver, {q});
    check(got.ok(), quiver + ": " + got.error + "\n  query vector: " + fuzz::show(q));
    Rows want = db_.must(mirror, {q});
    check(fuzz::same(got.rows, want), "answers differ\n  query: " + quiver + "\n  quiver: " + fuzz::show(got.rows) +
                                          "\n  mirror: " + fuzz::show(want) + "\n  query vector: " + fuzz::show(q));
  }

  void range() {
    bool valid, exact;
    Value q = vector(&valid);
    fuzz::Expectation e;
    e.bounded = true;
    e.inclusive = in_.ConsumeBool();
    int step = in_.ConsumeIntegralInRange(-4, 40);
    // Bounds on the grid the distances fall on, to hit them exactly.
    if (t_.metric == "l2") e.bound = std::sqrt(0.25 * std::max(step, 0));
    else if (t_.metric == "cosine") e.bound = step / 20.0;
    else if (t_.metric == "dot") e.bound = 0.25 * step - 5;
    else e.bound = step;
    char bound[32];
    std::snprintf(bound, sizeof bound, "%.17g", e.bound);
    std::string where = filter(false);
    std::string sql = "SELECT rowid, distance FROM t WHERE v MATCH ?1 AND distance " +
                      std::string(e.inclusive ? "<= " : "< ") + bound + where + probes(&exact);
    if (in_.ConsumeBool()) {
      e.limit = static_cast<size_t>(in_.ConsumeIntegralInRange(1, 8));
      sql += " AND k = " + std::to_string(e.limit);
    }
    e.exact = exact;
    query(sql, where, q, valid, e);
  }

  // ---- commands, transactions, contents -------------------------------------

  void command() {
    const char* c = in_.PickValueInArray({"rebuild", "optimize", "integrity-check"});
    db_.must(std::string("INSERT INTO t(t) VALUES ('") + c + "')");
  }

  void transaction() {
    // Errors (COMMIT with no transaction, an unknown savepoint) are fine:
    // they leave both tables alike.
    db_.run(in_.PickValueInArray({"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT a", "SAVEPOINT b", "RELEASE a",
                                  "RELEASE b", "ROLLBACK TO a", "ROLLBACK TO b"}));
  }

  // A full scan, or a rowid range, of each table.
  void compare_rows() {
    std::string where = in_.ConsumeBool() ? "" : " WHERE rowid > -100";
    Rows quiver = db_.must("SELECT rowid, v, m, tag, note FROM t" + where + " ORDER BY rowid");
    Rows mirror = db_.must("SELECT rowid, v, m, tag, note FROM mirror" + where + " ORDER BY rowid");
    check(fuzz::same(quiver, mirror),
          "stored rows differ\n  quiver: " + fuzz::show(quiver) + "\n  mirror: " + fuzz::show(mirror));
  }

  FuzzedDataProvider& in_;
  fuzz::Db db_;
  Table t_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  Session(in).run();
  return 0;
}
