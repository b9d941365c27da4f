#include "progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

namespace {

// Plain lines this far apart; the bar is redrawn ten times a second.
constexpr double kLineSeconds = 5.0;
constexpr double kBarSeconds = 0.1;

int terminal_columns(std::FILE* out) {
  struct winsize w;
  if (ioctl(fileno(out), TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
  return 80;
}

}  // namespace

std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

std::string duration_text(double seconds) {
  auto s = static_cast<int64_t>(seconds + 0.5);
  char buffer[32];
  if (s < 60)
    std::snprintf(buffer, sizeof buffer, "%d s", static_cast<int>(s));
  else if (s < 3600)
    std::snprintf(buffer, sizeof buffer, "%d:%02d", static_cast<int>(s / 60), static_cast<int>(s % 60));
  else
    std::snprintf(buffer, sizeof buffer, "%d:%02d:%02d", static_cast<int>(s / 3600), static_cast<int>(s / 60 % 60),
                  static_cast<int>(s % 60));
  return buffer;
}

Progress::Progress(std::FILE* out) : out_(out), terminal_(isatty(fileno(out))) {}

void Progress::start(int64_t files, int64_t bytes) {
  total_files_ = files;
  total_bytes_ = bytes;
  started_ = drawn_ = Clock::now();
  if (terminal_) draw(false);
}

void Progress::update(int64_t files, int64_t bytes, int64_t paragraphs) {
  files_ = files;
  bytes_ = bytes;
  paragraphs_ = paragraphs;
  double since = std::chrono::duration<double>(Clock::now() - drawn_).count();
  if (since >= (terminal_ ? kBarSeconds : kLineSeconds)) draw(false);
}

void Progress::finish() { draw(true); }

void Progress::note(const std::string& message) {
  if (bar_shown_) std::fputs("\r\033[K", out_);
  bar_shown_ = false;
  std::fprintf(out_, "%s\n", message.c_str());
  std::fflush(out_);
}

void Progress::draw(bool last) {
  drawn_ = Clock::now();
  double elapsed = std::chrono::duration<double>(drawn_ - started_).count();
  double fraction = total_bytes_ > 0 ? static_cast<double>(bytes_) / static_cast<double>(total_bytes_)
                                     : (total_files_ > 0 ? static_cast<double>(files_) / total_files_ : 1.0);
  fraction = std::min(1.0, std::max(0.0, fraction));
  std::string rate = elapsed > 0.5 ? with_commas(static_cast<int64_t>(paragraphs_ / elapsed)) + " paragraphs/s" : "";
  std::string eta;
  if (last)
    eta = "in " + duration_text(elapsed);
  else if (fraction > 0.01 && elapsed > 1.0)
    eta = "ETA " + duration_text(elapsed * (1 - fraction) / fraction);

  char percent[8];
  std::snprintf(percent, sizeof percent, "%3d%%", static_cast<int>(fraction * 100));
  std::string text = std::string(percent) + "  " + with_commas(files_) + "/" + with_commas(total_files_) + " files  " +
                     with_commas(paragraphs_) + " paragraphs";
  if (!rate.empty()) text += "  " + rate;
  if (!eta.empty()) text += "  " + eta;

  if (!terminal_) {
    std::fprintf(out_, "indexing: %s\n", text.c_str());
    std::fflush(out_);
    return;
  }
  // [#######.......] then the figures, cut to the terminal's width so the
  // line never wraps (a wrapped line cannot be redrawn with '\r').
  int columns = terminal_columns(out_);
  int room = columns - 1 - static_cast<int>(text.size()) - 3;
  int width = std::min(30, room);
  std::string line;
  if (width >= 10) {
    int filled = static_cast<int>(fraction * width + 0.5);
    line = "[" + std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(width - filled), '.') +
           "] ";
  }
  line += text;
  if (static_cast<int>(line.size()) > columns - 1) line.resize(static_cast<size_t>(std::max(0, columns - 1)));
  std::fprintf(out_, "\r%s\033[K%s", line.c_str(), last ? "\n" : "");
  std::fflush(out_);
  bar_shown_ = !last;
}
