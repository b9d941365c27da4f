// Progress of an indexing run: a bar redrawn in place ('\r') when the output
// is a terminal, plain lines every few seconds when it is not (a log, a pipe).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

class Progress {
 public:
  explicit Progress(std::FILE* out);

  // The work ahead: files to read and their bytes (the ETA follows bytes).
  void start(int64_t files, int64_t bytes);
  // Work done so far; redraws when it is time to.
  void update(int64_t files, int64_t bytes, int64_t paragraphs);
  // The last state, for good.
  void finish();
  // A message on a line of its own (the bar, if any, is cleared first).
  void note(const std::string& message);

 private:
  using Clock = std::chrono::steady_clock;
  void draw(bool last);

  std::FILE* out_;
  bool terminal_;
  Clock::time_point started_, drawn_;
  int64_t total_files_ = 0, total_bytes_ = 0;
  int64_t files_ = 0, bytes_ = 0, paragraphs_ = 0;
  bool bar_shown_ = false;
};

// 1234567 as "1,234,567".
std::string with_commas(int64_t n);
// Seconds as "42 s", "3:07" or "1:02:03".
std::string duration_text(double seconds);
