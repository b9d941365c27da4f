#include "embedder.h"

#include <algorithm>
#include <cstring>

Embedder::Embedder(Database& db, int dims, bool preload)
    : dims_(dims),
      tokens_(db, "SELECT token FROM quiver_tokens(?1)"),
      word_(db, "SELECT vector FROM words WHERE word = ?1"),
      found_(static_cast<size_t>(dims)),
      preloaded_(preload) {
  if (!preload) return;
  size_t bytes = sizeof(float) * static_cast<size_t>(dims);
  auto words = static_cast<size_t>(db.integer("SELECT count(*) FROM words"));
  vectors_.reserve(words * static_cast<size_t>(dims));
  index_.reserve(words);
  Statement all(db, "SELECT word, vector FROM words");
  while (all.step()) {
    if (static_cast<size_t>(all.bytes(1)) != bytes) throw AppError("a vector of the words table has the wrong size");
    size_t at = vectors_.size();
    vectors_.resize(at + static_cast<size_t>(dims));
    std::memcpy(vectors_.data() + at, all.blob(1), bytes);
    index_.emplace(all.text(0), at);
  }
}

const float* Embedder::lookup(const std::string& word) {
  if (preloaded_) {
    auto it = index_.find(word);
    return it == index_.end() ? nullptr : vectors_.data() + it->second;
  }
  word_.bind(1, word);
  const float* out = nullptr;
  if (word_.step() && static_cast<size_t>(word_.bytes(0)) == sizeof(float) * found_.size()) {
    std::memcpy(found_.data(), word_.blob(0), sizeof(float) * found_.size());
    out = found_.data();
  }
  word_.reset();
  return out;
}

std::vector<float> Embedder::embed(const std::string& text, std::vector<std::string>* unknown) {
  std::vector<double> sums(static_cast<size_t>(dims_), 0.0);
  size_t known = 0;
  tokens_.bind(1, text);
  while (tokens_.step()) {
    std::string word = tokens_.text(0);
    const float* v = lookup(word);
    if (!v) {
      if (unknown && std::find(unknown->begin(), unknown->end(), word) == unknown->end()) unknown->push_back(word);
      continue;
    }
    for (size_t i = 0; i < sums.size(); ++i) sums[i] += v[i];
    ++known;
  }
  std::vector<float> out;
  if (known == 0) return out;
  out.resize(sums.size());
  bool zero = true;
  for (size_t i = 0; i < sums.size(); ++i) {
    out[i] = static_cast<float>(sums[i] / static_cast<double>(known));
    zero = zero && out[i] == 0.0f;
  }
  if (zero) out.clear();  // opposite words cancelled out: no direction to compare by cosine
  return out;
}

size_t Embedder::count_words(const std::string& text) {
  size_t n = 0;
  tokens_.bind(1, text);
  while (tokens_.step()) ++n;
  return n;
}
