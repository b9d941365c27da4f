#include "search.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "embedder.h"

namespace {

// Snippets show at most this many characters of a paragraph; on a terminal,
// no more than fit on the line after the indent.
constexpr size_t kSnippetChars = 200;
constexpr size_t kIndent = 4;

size_t snippet_chars(std::FILE* out) {
  struct winsize w;
  if (ioctl(fileno(out), TIOCGWINSZ, &w) == 0 && w.ws_col > kIndent + 20)
    return std::min(kSnippetChars, static_cast<size_t>(w.ws_col) - kIndent - 1);
  return kSnippetChars;
}

// The paragraph on one line: runs of white space as one space, cut to
// `chars` characters (a UTF-8 sequence is one), " ..." marking the cut.
std::string snippet(const std::string& text, size_t chars) {
  std::string flat;
  for (char c : text) {
    bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    if (!space) flat.push_back(c);
    else if (!flat.empty() && flat.back() != ' ') flat.push_back(' ');
  }
  size_t count = 0, cut = 0;
  for (size_t i = 0; i < flat.size(); ++i) {
    if ((static_cast<unsigned char>(flat[i]) & 0xC0) == 0x80) continue;  // inside a character
    if (count == chars - 4) cut = i;
    ++count;
  }
  return count <= chars ? flat : flat.substr(0, cut) + " ...";
}

}  // namespace

Answer search(IndexDb& index, const std::string& query, int k) {
  auto started = std::chrono::steady_clock::now();
  if (query.find_first_not_of(" \t\r\n\f\v") == std::string::npos) throw AppError("the query is empty");
  Embedder embedder(index.db(), index.dims(), false);
  Answer answer;
  std::vector<float> vector = embedder.embed(query, &answer.unknown_words);
  if (vector.empty()) {
    if (embedder.count_words(query) == 0) throw AppError("the query has no words: \"" + query + "\"");
    throw AppError("no word of the query is in the vocabulary: \"" + query + "\"");
  }
  Statement nearest(index.db(),
                    "SELECT v.rowid, v.distance, s.text FROM passage_vectors AS v JOIN passages AS s ON s.id = v.rowid"
                    " WHERE v.embedding MATCH ?1 AND v.k = ?2 ORDER BY v.distance");
  // The first place of a passage, by path and line, and how many it has.
  Statement place(index.db(),
                  "SELECT f.path, p.line, count(*) OVER () FROM paragraphs AS p JOIN files AS f ON f.id = p.file_id"
                  " WHERE p.passage_id = ?1 ORDER BY f.path, p.line LIMIT 1");
  nearest.bind_blob(1, vector.data(), static_cast<int>(sizeof(float) * vector.size())).bind(2, int64_t{k});
  while (nearest.step()) {
    Hit h{"", 0, nearest.real(1), nearest.text(2), 0};
    place.bind(1, nearest.integer(0));
    if (!place.step()) throw AppError("the index is damaged: a passage without a place");
    h.path = place.text(0);
    h.line = place.integer(1);
    h.places = place.integer(2);
    place.reset();
    answer.hits.push_back(std::move(h));
  }
  answer.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return answer;
}

void print_answer(const Answer& answer, std::FILE* out) {
  bool terminal = isatty(fileno(out));
  const char* bold = terminal ? "\033[1m" : "";
  const char* plain = terminal ? "\033[0m" : "";
  size_t chars = snippet_chars(out);
  int rank = 0;
  for (const Hit& h : answer.hits) {
    std::string more = h.places > 1 ? "  (and " + std::to_string(h.places - 1) + " more)" : "";
    std::fprintf(out, "%2d. %.3f  %s%s:%lld%s%s\n", ++rank, h.distance, bold, h.path.c_str(),
                 static_cast<long long>(h.line), plain, more.c_str());
    std::fprintf(out, "    %s\n", snippet(h.text, chars).c_str());
  }
  std::string unknown;
  for (const std::string& w : answer.unknown_words) unknown += (unknown.empty() ? "" : ", ") + w;
  std::fprintf(out, "%zu result%s in %.1f ms%s%s%s\n", answer.hits.size(), answer.hits.size() == 1 ? "" : "s",
               answer.milliseconds, unknown.empty() ? "" : " (not in the vocabulary, ignored: ",
               unknown.c_str(), unknown.empty() ? "" : ")");
  std::fflush(out);
}
