#include "search.h"

#include <unistd.h>

#include <chrono>

#include "embedder.h"

namespace {

// Snippets show about this many bytes of a paragraph.
constexpr size_t kSnippetBytes = 200;

// The paragraph on one line: runs of white space as one space, cut at a
// character boundary after about kSnippetBytes.
std::string snippet(const std::string& text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    if (out.size() >= kSnippetBytes && (static_cast<unsigned char>(c) & 0xC0) != 0x80) return out + " ...";
    out.push_back(c);
  }
  return out;
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
  Statement s(index.db(),
              "SELECT f.path, p.line, v.distance, p.text"
              " FROM paragraph_vectors AS v"
              " JOIN paragraphs AS p ON p.id = v.rowid"
              " JOIN files AS f ON f.id = p.file_id"
              " WHERE v.embedding MATCH ?1 AND v.k = ?2"
              " ORDER BY v.distance");
  s.bind_blob(1, vector.data(), static_cast<int>(sizeof(float) * vector.size())).bind(2, int64_t{k});
  while (s.step()) answer.hits.push_back(Hit{s.text(0), s.integer(1), s.real(2), s.text(3)});
  answer.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return answer;
}

void print_answer(const Answer& answer, std::FILE* out) {
  bool terminal = isatty(fileno(out));
  const char* bold = terminal ? "\033[1m" : "";
  const char* plain = terminal ? "\033[0m" : "";
  int rank = 0;
  for (const Hit& h : answer.hits) {
    std::fprintf(out, "%2d. %.3f  %s%s:%lld%s\n", ++rank, h.distance, bold, h.path.c_str(),
                 static_cast<long long>(h.line), plain);
    std::fprintf(out, "    %s\n", snippet(h.text).c_str());
  }
  std::string unknown;
  for (const std::string& w : answer.unknown_words) unknown += (unknown.empty() ? "" : ", ") + w;
  std::fprintf(out, "%zu result%s in %.1f ms%s%s%s\n", answer.hits.size(), answer.hits.size() == 1 ? "" : "s",
               answer.milliseconds, unknown.empty() ? "" : " (not in the vocabulary, ignored: ",
               unknown.c_str(), unknown.empty() ? "" : ")");
  std::fflush(out);
}
