#include "workload.h"

#include <cstring>
#include <iterator>
#include <set>

#include "kmeans.h"

namespace stress {

using quiver_test::Result;
using quiver_test::Value;

const char* const kTableArguments = "embedding float[8], tag text, n integer, index=ivf, lists=4";

namespace {

// splitmix64: the same numbers in every process and on every platform, so a
// run replays from its seed. Every bound passed to below() is above 0, where
// it is next() % n.
using quiver::Rng;

Bytes random_vector(Rng& rng) {
  Bytes b(4 * kDims);
  for (uint32_t i = 0; i < kDims; ++i) {
    float x = static_cast<float>(static_cast<int>(rng.below(2001)) - 1000) / 256.0f;  // exact in float32
    std::memcpy(b.data() + 4 * i, &x, 4);
  }
  return b;
}

Row random_row(Rng& rng) {
  static const char* const tags[] = {"a", "b", "c"};
  return Row{random_vector(rng), tags[rng.below(3)], static_cast<int64_t>(rng.below(100))};
}

int64_t pick(Rng& rng, const std::set<int64_t>& ids) {
  return *std::next(ids.begin(), static_cast<long>(rng.below(ids.size())));
}

}  // namespace

Transaction make_transaction(uint64_t seed, uint64_t number, const State& state) {
  Rng rng(seed * 0x100000001b3ull ^ number);
  Transaction t;
  t.number = number;
  t.rolled_back = rng.below(10) == 0;
  // The rowids as the transaction goes, so later ops see earlier ones.
  std::set<int64_t> ids;
  for (const auto& entry : state) ids.insert(entry.first);
  int count = 1 + static_cast<int>(rng.below(8));
  for (int i = 0; i < count; ++i) {
    Op op;
    uint64_t dice = rng.below(100);
    // Keep the table between a few dozen and a few hundred rows.
    if (ids.size() > 300) dice = 50 + dice / 2;
    if (ids.empty() || dice < 40) {
      op.kind = Op::Insert;
      op.rowid = rng.below(4) == 0 ? 0 : (ids.empty() ? 0 : *ids.rbegin()) + 1 + static_cast<int64_t>(rng.below(3));
    } else if (dice < 45) {
      op.kind = Op::Replace;
      op.rowid = pick(rng, ids);
    } else if (dice < 60) {
      op.kind = Op::UpdateVector;
      op.rowid = pick(rng, ids);
    } else if (dice < 70) {
      op.kind = Op::UpdateTag;
      op.rowid = pick(rng, ids);
    } else if (dice < 73) {
      op.kind = Op::Move;
      op.rowid = pick(rng, ids);
      op.to = *ids.rbegin() + 1 + static_cast<int64_t>(rng.below(3));
    } else if (dice < 97) {
      op.kind = Op::Delete;
      op.rowid = pick(rng, ids);
    } else {
      op.kind = Op::Rebuild;
    }
    op.row = random_row(rng);
    switch (op.kind) {
      case Op::Insert: ids.insert(op.rowid ? op.rowid : (ids.empty() ? 1 : *ids.rbegin() + 1)); break;
      case Op::Move: ids.erase(op.rowid), ids.insert(op.to); break;
      case Op::Delete: ids.erase(op.rowid); break;
      default: break;
    }
    t.ops.push_back(op);
  }
  return t;
}

void apply(const Transaction& t, State* state) {
  if (t.rolled_back) return;
  for (const Op& op : t.ops) {
    switch (op.kind) {
      case Op::Insert: {
        int64_t id = op.rowid ? op.rowid : state->empty() ? 1 : state->rbegin()->first + 1;
        (*state)[id] = op.row;
        break;
      }
      case Op::Replace: (*state)[op.rowid] = op.row; break;
      case Op::UpdateVector: (*state)[op.rowid].vector = op.row.vector; break;
      case Op::UpdateTag:
        (*state)[op.rowid].tag = op.row.tag;
        (*state)[op.rowid].n = op.row.n;
        break;
      case Op::Move: {
        Row moved = state->at(op.rowid);
        state->erase(op.rowid);
        (*state)[op.to] = moved;
        break;
      }
      case Op::Delete: state->erase(op.rowid); break;
      case Op::Rebuild: break;
    }
  }
}

int execute(sqlite3* db, const std::string& table, const Transaction& t, std::string* error) {
  const std::string q = quiver_test::quote_id(table);
  for (const Op& op : t.ops) {
    Value rowid = op.rowid ? Value::integer(op.rowid) : Value::null();
    Result r;
    switch (op.kind) {
      case Op::Insert:
      case Op::Replace:
        r = quiver_test::run(db,
                             std::string(op.kind == Op::Replace ? "INSERT OR REPLACE" : "INSERT") + " INTO " + q +
                                 "(rowid, embedding, tag, n) VALUES (?1, ?2, ?3, ?4)",
                             {rowid, Value::blob(op.row.vector), Value::text(op.row.tag), Value::integer(op.row.n)});
        break;
      case Op::UpdateVector:
        r = quiver_test::run(db, "UPDATE " + q + " SET embedding = ?2 WHERE rowid = ?1",
                             {rowid, Value::blob(op.row.vector)});
        break;
      case Op::UpdateTag:
        r = quiver_test::run(db, "UPDATE " + q + " SET tag = ?2, n = ?3 WHERE rowid = ?1",
                             {rowid, Value::text(op.row.tag), Value::integer(op.row.n)});
        break;
      case Op::Move:
        r = quiver_test::run(db, "UPDATE " + q + " SET rowid = ?2 WHERE rowid = ?1", {rowid, Value::integer(op.to)});
        break;
      case Op::Delete: r = quiver_test::run(db, "DELETE FROM " + q + " WHERE rowid = ?1", {rowid}); break;
      case Op::Rebuild: r = quiver_test::run(db, "INSERT INTO " + q + "(" + q + ") VALUES ('rebuild')"); break;
    }
    if (!r.ok()) {
      *error = r.error;
      return r.rc;
    }
  }
  return SQLITE_OK;
}

int read_state(sqlite3* db, const std::string& table, State* out, std::string* error) {
  Result r = quiver_test::run(db, "SELECT rowid, embedding, tag, n FROM " + quiver_test::quote_id(table));
  if (!r.ok()) {
    *error = r.error;
    return r.rc;
  }
  out->clear();
  for (const quiver_test::Row& row : r.rows)
    (*out)[row[0].i] = Row{Bytes(row[1].s.begin(), row[1].s.end()), row[2].s, row[3].i};
  return SQLITE_OK;
}

std::string difference(const State& want, const State& got) {
  if (want == got) return "";
  std::string out = "expected " + std::to_string(want.size()) + " rows, found " + std::to_string(got.size());
  for (const auto& [id, row] : want) {
    auto it = got.find(id);
    if (it == got.end()) return out + "; row " + std::to_string(id) + " is missing";
    if (!(it->second == row)) return out + "; row " + std::to_string(id) + " differs";
  }
  for (const auto& entry : got)
    if (!want.count(entry.first)) return out + "; row " + std::to_string(entry.first) + " is extra";
  return out;
}

Bytes query_vector(uint64_t seed, uint64_t number) {
  Rng rng(seed ^ (number * 0x9e3779b97f4a7c15ull) ^ 0x51ull);
  return random_vector(rng);
}

}  // namespace stress
