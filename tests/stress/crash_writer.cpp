// crash_writer DB LOG SEED MODE: writes the stress workload (workload.h) into
// the quiver table "t" of DB until it is killed.
//
// LOG holds one line "C <number>" per committed transaction, appended and
// fsynced after its COMMIT returned; transactions the workload rolls back
// leave no line. On start the writer replays the logged transactions to know
// the table's rows, so a writer killed at any moment can be followed by
// another. MODE is the journal mode: delete or wal.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "quiver.h"
#include "workload.h"

namespace {

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "crash_writer: %s\n", message.c_str());
  std::exit(2);
}

void exec(sqlite3* db, const std::string& sql) {
  quiver_test::Result r = quiver_test::run(db, sql);
  if (!r.ok()) die(sql + ": " + r.error);
}

}  // namespace

int main(int argc, char* argv[]) {
  if (argc != 5) die("usage: crash_writer DB LOG SEED delete|wal");
  const std::string db_path = argv[1], log_path = argv[2], mode = argv[4];
  const uint64_t seed = std::strtoull(argv[3], nullptr, 10);

  // Replay what committed.
  stress::State state;
  uint64_t last = 0;
  {
    std::ifstream in(log_path);
    std::string tag;
    uint64_t number;
    while (in >> tag >> number) {
      if (tag != "C" || number <= last) die("malformed log");
      for (uint64_t n = last + 1; n <= number; ++n) {
        stress::Transaction t = stress::make_transaction(seed, n, state);
        // Numbers between two logged ones rolled back, or nothing is right.
        if (n < number && !t.rolled_back) die("transaction " + std::to_string(n) + " is missing from the log");
        if (n == number) stress::apply(t, &state);
      }
      last = number;
    }
  }

  int log = open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (log < 0) die("cannot open " + log_path);
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK || quiver_register(db) != SQLITE_OK) die("cannot open " + db_path);
  sqlite3_busy_timeout(db, 5000);
  exec(db, "PRAGMA journal_mode = " + mode);
  exec(db, "PRAGMA synchronous = FULL");
  exec(db, "PRAGMA wal_autocheckpoint = 50");  // checkpoints often, so kills land in them too

  for (uint64_t number = last + 1;; ++number) {
    stress::Transaction t = stress::make_transaction(seed, number, state);
    exec(db, "BEGIN");
    std::string error;
    if (stress::execute(db, "t", t, &error) != SQLITE_OK)
      die("transaction " + std::to_string(number) + ": " + error);
    if (t.rolled_back) {
      exec(db, "ROLLBACK");
      continue;
    }
    exec(db, "COMMIT");
    std::string line = "C " + std::to_string(number) + "\n";
    if (write(log, line.data(), line.size()) != static_cast<ssize_t>(line.size()) || fsync(log) != 0)
      die("cannot write " + log_path);
    stress::apply(t, &state);
  }
}
