// Brings an index up to date with a folder: reads the files that are new or
// changed (size or modification time), drops the ones that are gone, and
// trains the IVF index again once the collection is large and has changed.
#pragma once

#include <cstdint>
#include <string>

#include "index_db.h"
#include "progress.h"

struct IndexReport {
  int64_t seen = 0;       // files under the folder
  int64_t indexed = 0;    // new or changed, read now
  int64_t unchanged = 0;  // left as they were
  int64_t removed = 0;    // gone from the folder, dropped from the index
  int64_t skipped = 0;    // of the indexed: binary or unreadable
  int64_t paragraphs = 0; // written now
  int64_t total_paragraphs = 0;
  int64_t passages = 0;   // distinct paragraph texts in the index
  int64_t lists = 0;      // IVF lists after the run (0: exact scan)
  bool trained = false;   // the IVF index was trained by this run
  double seconds = 0;
};

// Below this many distinct paragraphs a query scans them all (exact and fast
// enough); from here on, they are clustered into IVF lists.
constexpr int64_t kIvfParagraphs = 10000;

IndexReport index_folder(IndexDb& index, const std::string& folder, Progress& progress);
