// A query: the paragraphs nearest to a text, and how they are shown.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "index_db.h"

// A passage near the query, at the first of its places (by path and line).
struct Hit {
  std::string path;
  int64_t line;
  double distance;  // cosine distance, 0 = same direction
  std::string text;
  int64_t places;   // files and lines where this text is a paragraph
};

struct Answer {
  std::vector<Hit> hits;
  std::vector<std::string> unknown_words;  // of the query, ignored
  double milliseconds = 0;                 // embedding the query and finding the hits
};

// The k distinct paragraphs nearest to the query; an AppError when the query has no
// word the vocabulary knows.
Answer search(IndexDb& index, const std::string& query, int k);

// Each hit as "path:line" (and how many more places), its distance and a
// one-line snippet, then the time.
void print_answer(const Answer& answer, std::FILE* out);
