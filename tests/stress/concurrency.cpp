// concurrency [--seconds S] [--readers R] [--seed N]
//
// WAL mode: one writer process and R reader processes for S seconds on one
// database holding an IVF quiver table t (4 lists, trained) and a flat one f,
// which the writer keeps equal: each transaction of the stress workload
// (workload.h) goes to both. Each reader repeats, inside one read
// transaction (BEGIN ... COMMIT: one snapshot for the answers and their
// reference), on both tables: KNN with every list probed, filtered KNN, a
// range query, and on t a KNN at the default probes, each checked against a
// brute force with l2_distance over the same snapshot. Exact queries must
// give the nearest rows at their distances; the approximate one real rows at
// their true distances, in order. Any error (SQLITE_CORRUPT included), wrong
// answer or crashed process fails the run.
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "quiver.h"
#include "workload.h"

namespace {

using quiver_test::Result;
using quiver_test::Rows;
using quiver_test::Value;
using Clock = std::chrono::steady_clock;

const char* const kFlatArguments = "embedding float[8], tag text, n integer";

[[noreturn]] void die(const std::string& who, const std::string& message) {
  std::fprintf(stderr, "concurrency: %s: %s\n", who.c_str(), message.c_str());
  std::fflush(stderr);
  _exit(1);
}

sqlite3* connect(const std::string& path, const std::string& who) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK || quiver_register(db) != SQLITE_OK) die(who, "cannot open");
  sqlite3_busy_timeout(db, 10000);
  return db;
}

Result must(sqlite3* db, const std::string& who, const std::string& sql, const std::vector<Value>& params = {}) {
  Result r = quiver_test::run(db, sql, params);
  if (!r.ok()) die(who, sql + ": " + r.error + " (result code " + std::to_string(r.rc) + ")");
  return r;
}

// Commits the workload into both tables; the number of commits by the end.
uint64_t write_loop(sqlite3* db, const std::string& who, uint64_t seed, uint64_t first, stress::State* state,
               Clock::time_point until, uint64_t max_transactions) {
  uint64_t commits = 0;
  for (uint64_t number = first; number - first < max_transactions && Clock::now() < until; ++number) {
    stress::Transaction t = stress::make_transaction(seed, number, *state);
    must(db, who, "BEGIN IMMEDIATE");
    std::string error;
    for (const char* table : {"t", "f"})
      if (stress::execute(db, table, t, &error) != SQLITE_OK) die(who, "transaction " + std::to_string(number) + ": " + error);
    must(db, who, t.rolled_back ? "ROLLBACK" : "COMMIT");
    stress::apply(t, state);
    commits += !t.rolled_back;
  }
  return commits;
}

struct Reference {
  std::map<int64_t, std::pair<double, std::string>> rows;  // rowid -> distance, tag
  // The distances of the rows that pass `tag` ("" for all), nearest first.
  std::vector<double> sorted(const std::string& tag) const {
    std::vector<double> out;
    for (const auto& entry : rows)
      if (tag.empty() || entry.second.second == tag) out.push_back(entry.second.first);
    std::sort(out.begin(), out.end());
    return out;
  }
};

bool near(double a, double b) { return std::fabs(a - b) <= 1e-4 * (1 + std::fabs(b)); }

// Rows (rowid, distance) of a search: real rows that pass `tag`, at their
// true distances, nearest first, each once; with `exact`, the nearest ones.
std::string judge(const Rows& got, const Reference& ref, const std::string& tag, size_t k, bool exact) {
  std::vector<double> want = ref.sorted(tag);
  if (exact && got.size() != std::min(k, want.size()))
    return std::to_string(got.size()) + " rows instead of " + std::to_string(std::min(k, want.size()));
  if (got.size() > k) return std::to_string(got.size()) + " rows for k = " + std::to_string(k);
  std::vector<int64_t> seen;
  for (size_t i = 0; i < got.size(); ++i) {
    int64_t rowid = got[i][0].i;
    double d = got[i][1].d;
    auto it = ref.rows.find(rowid);
    if (it == ref.rows.end()) return "row " + std::to_string(rowid) + " is not in the table";
    if (!tag.empty() && it->second.second != tag) return "row " + std::to_string(rowid) + " fails the filter";
    if (!near(d, it->second.first))
      return "row " + std::to_string(rowid) + " at distance " + std::to_string(d) + ", really " +
             std::to_string(it->second.first);
    if (i > 0 && d < got[i - 1][1].d) return "rows out of order";
    if (exact && !near(d, want[i])) return "row " + std::to_string(i) + " is not among the nearest";
    seen.push_back(rowid);
  }
  std::sort(seen.begin(), seen.end());
  if (std::adjacent_find(seen.begin(), seen.end()) != seen.end()) return "a row comes twice";
  return "";
}

std::string judge_range(const Rows& got, const Reference& ref, double bound) {
  std::map<int64_t, double> found;
  for (const auto& row : got) {
    auto it = ref.rows.find(row[0].i);
    if (it == ref.rows.end() || !near(row[1].d, it->second.first) || it->second.first > bound + 1e-4)
      return "row " + std::to_string(row[0].i) + " is not within the range";
    found[row[0].i] = row[1].d;
  }
  for (const auto& entry : ref.rows)
    if (entry.second.first < bound - 1e-4 && !found.count(entry.first))
      return "row " + std::to_string(entry.first) + " is missing from the range";
  return "";
}

// Checks queries until `until`; the number checked.
uint64_t read_loop(sqlite3* db, const std::string& who, uint64_t seed, Clock::time_point until) {
  uint64_t checked = 0;
  // Every list of the IVF table t; f is flat, where probes is an error.
  const std::string every_list = " AND probes = " + std::to_string(stress::kLists);
  for (uint64_t i = 1; Clock::now() < until; ++i) {
    Value q = Value::blob(stress::query_vector(seed, i));
    must(db, who, "BEGIN");
    for (const std::string table : {"t", "f"}) {
      Reference ref;
      for (const auto& row : must(db, who, "SELECT rowid, l2_distance(embedding, ?1), tag FROM " + table, {q}).rows)
        ref.rows[row[0].i] = {row[1].d, row[2].s};
      const std::string knn = "SELECT rowid, distance FROM " + table + " WHERE embedding MATCH ?1 AND ";
      struct Query {
        std::string sql;
        std::string tag;
        size_t k;
        bool exact;
      };
      const std::string probes = table == "t" ? every_list : "";
      std::vector<Query> queries = {{knn + "k = 10" + probes, "", 10, true},
                                    {knn + "k = 5 AND tag = 'a'" + probes, "a", 5, true}};
      if (table == "t") queries.push_back({knn + "k = 10", "", 10, false});
      for (const Query& query : queries) {
        std::string failure = judge(must(db, who, query.sql, {q}).rows, ref, query.tag, query.k, query.exact);
        if (!failure.empty()) die(who, query.sql + ": " + failure);
        ++checked;
      }
      std::string failure = judge_range(
          must(db, who, knn + "distance < 6" + probes, {q}).rows, ref, 6);
      if (!failure.empty()) die(who, table + " range: " + failure);
      ++checked;
    }
    must(db, who, "COMMIT");
  }
  return checked;
}

struct Options {
  double seconds = 3;
  int readers = 3;
  uint64_t seed = 1;
};

Options parse(int argc, char* argv[]) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds") o.seconds = std::atof(argv[i + 1]);
    else if (a == "--readers") o.readers = std::atoi(argv[i + 1]);
    else if (a == "--seed") o.seed = std::strtoull(argv[i + 1], nullptr, 10);
    else argc = 0;
  }
  if (argc % 2 == 0 || o.seconds <= 0 || o.readers < 1) {
    std::fprintf(stderr, "usage: concurrency [--seconds S] [--readers R] [--seed N]\n");
    std::exit(2);
  }
  return o;
}

}  // namespace

int main(int argc, char* argv[]) {
  Options o = parse(argc, argv);
  const char* dir = std::getenv("TMPDIR");
  const std::string base = std::string(dir && *dir ? dir : "/tmp") + "/quiver_concurrency_" + std::to_string(getpid());
  const std::string path = base + ".db";
  auto remove_files = [&] {
    for (const char* suffix : {".db", ".db-wal", ".db-shm"}) std::remove((base + suffix).c_str());
  };
  remove_files();

  // A trained index to start from; no connection stays open across fork().
  stress::State state;
  uint64_t next = 1;
  {
    sqlite3* db = connect(path, "setup");
    must(db, "setup", "PRAGMA journal_mode = wal");
    must(db, "setup", std::string("CREATE VIRTUAL TABLE t USING quiver(") + stress::kTableArguments + ")");
    must(db, "setup", std::string("CREATE VIRTUAL TABLE f USING quiver(") + kFlatArguments + ")");
    write_loop(db, "setup", o.seed, next, &state, Clock::time_point::max(), 60);
    next += 60;
    must(db, "setup", "INSERT INTO t(t) VALUES ('rebuild')");
    sqlite3_close(db);
  }

  const Clock::time_point until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                      std::chrono::duration<double>(o.seconds));
  struct Child {
    pid_t pid;
    int pipe;
    std::string who;
  };
  std::vector<Child> children;
  for (int i = 0; i <= o.readers; ++i) {
    int fds[2];
    if (pipe(fds) != 0) return 2;
    std::string who = i == 0 ? "writer" : "reader " + std::to_string(i);
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) {
      close(fds[0]);
      sqlite3* db = connect(path, who);
      uint64_t count = i == 0 ? write_loop(db, who, o.seed, next, &state, until, UINT64_MAX)
                              : read_loop(db, who, o.seed + static_cast<uint64_t>(i), until);
      if (sqlite3_close(db) != SQLITE_OK) die(who, "a statement was left open");
      if (::write(fds[1], &count, sizeof count) != sizeof count) _exit(1);
      _exit(0);
    }
    close(fds[1]);
    children.push_back({pid, fds[0], who});
  }

  bool ok = true;
  uint64_t commits = 0, checked = 0;
  for (const Child& c : children) {
    uint64_t count = 0;
    bool got = ::read(c.pipe, &count, sizeof count) == sizeof count;
    close(c.pipe);
    int status = 0;
    waitpid(c.pid, &status, 0);
    if (!got || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "concurrency: %s failed (status %d)\n", c.who.c_str(), status);
      ok = false;
    }
    (c.who == "writer" ? commits : checked) += count;
  }
  std::printf("concurrency: %llu commits by 1 writer, %llu queries checked by %d readers, %.1f s\n",
              static_cast<unsigned long long>(commits), static_cast<unsigned long long>(checked), o.readers,
              o.seconds);
  if (ok) remove_files();
  return ok && commits > 0 && checked > 0 ? 0 : 1;
}
