// The random write workload of the stress programs: transactions of
// inserts, replaces, updates (vector, metadata, rowid), deletes and
// 'rebuild' on a quiver IVF table, each one a pure function of (seed,
// transaction number, the rows before it). A process that knows which
// transactions committed can so recompute the table's exact contents, and a
// restarted writer can carry on where the last one stopped.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "../support/sql.h"

namespace stress {

using quiver_test::Bytes;

constexpr uint32_t kDims = 8;
constexpr int kLists = 4;

// CREATE VIRTUAL TABLE arguments of the table the workload writes.
extern const char* const kTableArguments;

struct Row {
  Bytes vector;  // kDims float32
  std::string tag;
  int64_t n = 0;
  bool operator==(const Row& o) const { return vector == o.vector && tag == o.tag && n == o.n; }
};

using State = std::map<int64_t, Row>;  // by rowid

struct Op {
  enum Kind { Insert, Replace, UpdateVector, UpdateTag, Move, Delete, Rebuild } kind = Insert;
  int64_t rowid = 0;
  int64_t to = 0;  // Move: the new rowid
  Row row;         // Insert, Replace: the row; UpdateVector: its vector; UpdateTag: its tag and n
};

struct Transaction {
  uint64_t number = 0;
  bool rolled_back = false;  // run, then ROLLBACK: never visible
  std::vector<Op> ops;
};

// Transaction `number` (from 1) of the workload `seed`, given the rows
// before it.
Transaction make_transaction(uint64_t seed, uint64_t number, const State& state);

// The rows after a committed transaction.
void apply(const Transaction& t, State* state);

// Runs the ops on `table` inside the caller's transaction. Returns SQLITE_OK,
// or the failing result code with the message in *error.
int execute(sqlite3* db, const std::string& table, const Transaction& t, std::string* error);

// The table's rows as the workload sees them, read through `db`.
int read_state(sqlite3* db, const std::string& table, State* out, std::string* error);

// A one-line summary of how two states differ ("" when equal).
std::string difference(const State& want, const State& got);

// A deterministic query vector.
Bytes query_vector(uint64_t seed, uint64_t number);

}  // namespace stress
