// The index file: one SQLite database that holds everything a query needs.
//
//   meta(key PRIMARY KEY, value)    'format' = 1, 'dims', 'words' (where the vocabulary came from)
//   words(word PRIMARY KEY, vector) the vocabulary, copied in when the index is created: each word's
//                                   vector normalized and weighted by ln(2 + frequency rank), the
//                                   pooling of sql/recipes/document_vectors.sql
//   files(id, path UNIQUE, size, mtime_ns, kind)
//                                   every file seen, with what re-indexing compares; kind is
//                                   'text', 'binary' or 'unreadable'
//   passages(id, hash, text)        each distinct paragraph text once (half of /usr/share/doc's
//                                   paragraphs are copies: licences in every copyright file), hash
//                                   its FNV-1a hash; only texts with at least one known word
//   paragraphs(id, file_id, line, passage_id)
//                                   every place a passage appears
//   passage_vectors                 quiver(embedding float[dims] distance=cosine, index=ivf); its
//                                   rowid is the passage's id
//
// A text's vector is the mean of its known words' vectors (embedder.h).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "sqlite_db.h"

class IndexDb {
 public:
  // Opens an index for writing, creating it (with the vocabulary of the
  // `words` table in the database words_source, after telling note) if the
  // file is new.
  static IndexDb open_for_indexing(const std::string& path, const std::string& words_source,
                                   const std::function<void(const std::string&)>& note);
  // Opens an existing index for queries.
  static IndexDb open_for_queries(const std::string& path);

  Database& db() { return *db_; }
  int dims() const { return dims_; }

 private:
  IndexDb(const std::string& path, int flags);
  void create(const std::string& words_source);
  void check_format();

  std::string path_;
  std::unique_ptr<Database> db_;
  int dims_ = 0;
};
