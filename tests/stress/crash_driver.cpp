// crash_driver --writer PATH --mode delete|wal [--cycles N] [--seed S]
//              [--max-delay-ms M] [--keep]
//
// Crash safety: starts crash_writer on a fresh database, kills it with
// SIGKILL after a random delay, checks the database, and starts the next
// writer on it; N cycles. After each kill, with a new connection:
//   - PRAGMA integrity_check is "ok" and the table's 'integrity-check' passes;
//   - the table's rows are exactly the rows after the last transaction logged
//     as committed, or after the next transaction that commits in the
//     workload's order, if the kill fell between its COMMIT and the log's
//     fsync (the driver then logs it, so the next writer knows). A lost or a
//     partly applied transaction, or a rolled-back one that shows, fails;
//   - a KNN query through the index (all lists probed) gives the nearest rows
//     of those exact rows.
// Exit status 0 when every cycle passed; the files are kept otherwise.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "quiver.h"
#include "workload.h"

namespace {

struct Options {
  std::string writer;
  std::string mode;
  int cycles = 30;
  uint64_t seed = 1;
  int max_delay_ms = 250;
  bool keep = false;
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: crash_driver --writer PATH --mode delete|wal [--cycles N] [--seed S] [--max-delay-ms M] "
               "[--keep]\n");
  std::exit(2);
}

Options parse(int argc, char* argv[]) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (a == "--writer") o.writer = value();
    else if (a == "--mode") o.mode = value();
    else if (a == "--cycles") o.cycles = std::atoi(value().c_str());
    else if (a == "--seed") o.seed = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--max-delay-ms") o.max_delay_ms = std::atoi(value().c_str());
    else if (a == "--keep") o.keep = true;
    else usage();
  }
  if (o.writer.empty() || (o.mode != "delete" && o.mode != "wal") || o.cycles < 1 || o.max_delay_ms < 1) usage();
  return o;
}

double l2(const quiver_test::Bytes& a, const quiver_test::Bytes& b) {
  double sum = 0;
  for (uint32_t i = 0; i < stress::kDims; ++i) {
    float x, y;
    std::memcpy(&x, a.data() + 4 * i, 4);
    std::memcpy(&y, b.data() + 4 * i, 4);
    sum += (double{x} - y) * (double{x} - y);
  }
  return std::sqrt(sum);
}

// The committed history: the rows after the last committed transaction.
class History {
 public:
  History(uint64_t seed, std::string log) : seed_(seed), log_(std::move(log)) {}

  // Takes in the transactions the writer logged since the last call.
  bool read_log(std::string* error) {
    std::ifstream in(log_);
    std::string tag;
    uint64_t number;
    while (in >> tag >> number) {
      if (number <= last_) continue;
      if (tag != "C") return *error = "malformed log", false;
      while (last_ < number) {
        stress::Transaction t = stress::make_transaction(seed_, ++last_, state_);
        if (last_ < number && !t.rolled_back)
          return *error = "transaction " + std::to_string(last_) + " is missing from the log", false;
        if (last_ == number) stress::apply(t, &state_), ++committed_;
      }
    }
    return true;
  }

  // The next transaction that commits, and the rows after it.
  uint64_t next(stress::State* after) const {
    stress::State rows = state_;
    for (uint64_t n = last_ + 1;; ++n) {
      stress::Transaction t = stress::make_transaction(seed_, n, rows);
      if (t.rolled_back) continue;
      stress::apply(t, &rows);
      *after = rows;
      return n;
    }
  }

  // Records that transaction `number` committed, as the writer would have.
  void log_commit(uint64_t number) {
    std::ofstream out(log_, std::ios::app);
    out << "C " << number << "\n";
    out.close();
    std::string error;
    read_log(&error);
  }

  const stress::State& state() const { return state_; }
  uint64_t last() const { return last_; }
  uint64_t committed() const { return committed_; }

 private:
  uint64_t seed_;
  std::string log_;
  stress::State state_;
  uint64_t last_ = 0;
  uint64_t committed_ = 0;
};

// The checks after a kill; "" or what failed. *recovered: the last commit
// was not yet logged.
std::string check(const std::string& path, History* history, uint64_t query_number, bool* recovered) {
  *recovered = false;
  std::string error;
  if (!history->read_log(&error)) return error;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK || quiver_register(db) != SQLITE_OK) {
    sqlite3_close(db);
    return "cannot open the database";
  }
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> owner(db, sqlite3_close);
  sqlite3_busy_timeout(db, 5000);
  quiver_test::Result r = quiver_test::run(db, "PRAGMA integrity_check");
  if (!r.ok() || r.rows.size() != 1 || r.rows[0][0].s != "ok")
    return "PRAGMA integrity_check: " + (r.ok() ? (r.rows.empty() ? "" : r.rows[0][0].s) : r.error);
  r = quiver_test::run(db, "INSERT INTO t(t) VALUES ('integrity-check')");
  if (!r.ok()) return "'integrity-check': " + r.error;

  stress::State rows;
  if (stress::read_state(db, "t", &rows, &error) != SQLITE_OK) return "reading the rows: " + error;
  if (rows != history->state()) {
    stress::State after;
    uint64_t next = history->next(&after);
    if (rows != after)
      return "the rows are neither those after transaction " + std::to_string(history->last()) + " (" +
             stress::difference(history->state(), rows) + ") nor those after transaction " + std::to_string(next) +
             " (" + stress::difference(after, rows) + ")";
    history->log_commit(next);
    *recovered = true;
  }

  // The index answers over exactly these rows.
  quiver_test::Bytes q = stress::query_vector(0, query_number);
  r = quiver_test::run(db, "SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND k = 10 AND probes = " +
                               std::to_string(stress::kLists),
                       {quiver_test::Value::blob(q)});
  if (!r.ok()) return "KNN: " + r.error;
  std::vector<double> want;
  for (const auto& entry : rows) want.push_back(l2(q, entry.second.vector));
  std::sort(want.begin(), want.end());
  want.resize(std::min<size_t>(want.size(), 10));
  if (r.rows.size() != want.size()) return "KNN gave " + std::to_string(r.rows.size()) + " rows";
  for (size_t i = 0; i < want.size(); ++i) {
    auto it = rows.find(r.rows[i][0].i);
    if (it == rows.end() || std::fabs(l2(q, it->second.vector) - want[i]) > 1e-4 * (1 + want[i]) ||
        std::fabs(r.rows[i][1].d - want[i]) > 1e-4 * (1 + want[i]))
      return "KNN row " + std::to_string(i) + " is row " + std::to_string(r.rows[i][0].i) + ", not a nearest one";
  }
  return "";
}

}  // namespace

int main(int argc, char* argv[]) {
  Options o = parse(argc, argv);
  const char* dir = std::getenv("TMPDIR");
  const std::string base = std::string(dir && *dir ? dir : "/tmp") + "/quiver_crash_" + o.mode + "_" +
                           std::to_string(getpid());
  const std::string db_path = base + ".db", log_path = base + ".log";
  auto remove_files = [&] {
    for (const char* suffix : {".db", ".db-journal", ".db-wal", ".db-shm", ".log"}) std::remove((base + suffix).c_str());
  };
  remove_files();
  {
    sqlite3* db = nullptr;
    if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK || quiver_register(db) != SQLITE_OK) return 2;
    for (std::string sql : {"PRAGMA journal_mode = " + o.mode,
                            std::string("CREATE VIRTUAL TABLE t USING quiver(") + stress::kTableArguments + ")"}) {
      quiver_test::Result r = quiver_test::run(db, sql);
      if (!r.ok()) {
        std::fprintf(stderr, "%s: %s\n", sql.c_str(), r.error.c_str());
        return 2;
      }
    }
    sqlite3_close(db);
  }
  std::ofstream(log_path).close();

  History history(o.seed, log_path);
  std::srand(static_cast<unsigned>(o.seed));
  int recovered_total = 0, early = 0;
  const std::string seed_text = std::to_string(o.seed);
  auto started = std::chrono::steady_clock::now();
  for (int cycle = 1; cycle <= o.cycles; ++cycle) {
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) {
      execl(o.writer.c_str(), o.writer.c_str(), db_path.c_str(), log_path.c_str(), seed_text.c_str(), o.mode.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    // Some kills land while the writer still opens (and recovers) the
    // database; most while it writes.
    int delay = 1 + std::rand() % o.max_delay_ms;
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
      std::fprintf(stderr, "cycle %d: the writer ended by itself (status %d); files kept at %s.*\n", cycle, status,
                   base.c_str());
      return 1;
    }
    uint64_t before = history.last();
    bool recovered = false;
    std::string failure = check(db_path, &history, static_cast<uint64_t>(cycle), &recovered);
    if (!failure.empty()) {
      std::fprintf(stderr, "cycle %d (%s, killed after %d ms): %s; files kept at %s.*\n", cycle, o.mode.c_str(), delay,
                   failure.c_str(), base.c_str());
      return 1;
    }
    recovered_total += recovered;
    early += history.last() == before;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "crash (%s): %d kills, %llu transactions committed, %d found committed but not yet logged, %d kills before "
      "a commit, %zu rows, %.1f s\n",
      o.mode.c_str(), o.cycles, static_cast<unsigned long long>(history.committed()), recovered_total, early,
      history.state().size(), seconds);
  if (!o.keep) remove_files();
  return history.committed() > 0 ? 0 : 1;
}
