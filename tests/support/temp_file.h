// A database file in the temp directory ($TMPDIR, else /tmp), removed with
// its journals before and after use.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace quiver_test {

class TempFile {
 public:
  // `tag` names the test in the file name; pid and a counter keep it unique.
  explicit TempFile(const std::string& tag) {
    const char* dir = std::getenv("TMPDIR");
    static int counter = 0;
    path_ = std::string(dir && *dir ? dir : "/tmp") + "/quiver_test_" + tag + "_" + std::to_string(getpid()) + "_" +
            std::to_string(++counter) + ".db";
    remove_all();
  }
  ~TempFile() { remove_all(); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  void remove_all() const {
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
  }
  std::string path_;
};

}  // namespace quiver_test
