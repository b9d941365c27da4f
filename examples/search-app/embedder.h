// A text's vector: the mean of the vectors of its words that the vocabulary
// knows (the words of quiver_tokens; each vector normalized and weighted by
// ln(2 + frequency rank) when the index was created, see index_db.h). The
// mean is taken in double and stored as float32, as vector_mean does.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "sqlite_db.h"

class Embedder {
 public:
  // Preloaded, the whole vocabulary is read into memory once (for indexing,
  // where a lookup per word in the words table would dominate); otherwise
  // each word is looked up there (for a query's few words).
  Embedder(Database& db, int dims, bool preload);

  // Empty when no word of the text is known. Words not in the vocabulary
  // are added to *unknown (each once, in order) if it is given.
  std::vector<float> embed(const std::string& text, std::vector<std::string>* unknown = nullptr);
  // How many words the text has.
  size_t count_words(const std::string& text);

 private:
  const float* lookup(const std::string& word);

  int dims_;
  Statement tokens_, word_;
  std::unordered_map<std::string, size_t> index_;  // word -> offset in vectors_ (preloaded)
  std::vector<float> vectors_;
  std::vector<float> found_;                      // the looked-up vector (not preloaded)
  bool preloaded_;
};
