#include "fuzz_db.h"

#include <cstring>
#include <utility>

namespace fuzz {

bool same(const Value& a, const Value& b) {
  if (a.type == SQLITE_FLOAT && b.type == SQLITE_FLOAT) return std::memcmp(&a.d, &b.d, sizeof a.d) == 0;
  return a == b;
}

bool same(const Rows& a, const Rows& b) {
  if (a.size() != b.size()) return false;
  for (size_t r = 0; r < a.size(); ++r) {
    if (a[r].size() != b[r].size()) return false;
    for (size_t c = 0; c < a[r].size(); ++c)
      if (!same(a[r][c], b[r][c])) return false;
  }
  return true;
}

Db::Db(const char* path) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI;
  check(sqlite3_open_v2(path, &db_, flags, nullptr) == SQLITE_OK, std::string("cannot open ") + path);
  check(quiver_register(db_) == SQLITE_OK, "quiver_register failed");
}

Rows Db::must(const std::string& sql, const std::vector<Value>& params) {
  Result r = run(sql, params);
  check(r.ok(), sql + ": " + r.error);
  return std::move(r.rows);
}

}  // namespace fuzz
