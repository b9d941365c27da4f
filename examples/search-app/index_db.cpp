#include "index_db.h"

#include <sys/stat.h>

#include <cstdio>

namespace {

constexpr int kFormat = 1;

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool has_table(Database& db, const char* schema, const char* name) {
  Statement s(db, (std::string("SELECT 1 FROM ") + schema + ".sqlite_master WHERE type = 'table' AND name = ?1").c_str());
  bool found = s.bind(1, std::string(name)).step();
  s.reset();
  return found;
}

}  // namespace

IndexDb::IndexDb(const std::string& path, int flags) : path_(path), db_(std::make_unique<Database>(path, flags)) {
  // Another process may be indexing while this one reads (WAL): wait for it.
  sqlite3_busy_timeout(db_->handle(), 5000);
}

IndexDb IndexDb::open_for_indexing(const std::string& path, const std::string& words_source,
                                   const std::function<void(const std::string&)>& note) {
  bool fresh = !file_exists(path);
  IndexDb index(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (fresh || index.db().integer("SELECT count(*) FROM sqlite_master") == 0) {
    try {
      if (!file_exists(words_source))
        throw AppError("no word vectors at \"" + words_source +
                       "\" (build them with cmake/glove-db.sh, or name a database with a words table: --words FILE)");
      note("creating " + path + " with the word vectors of " + words_source + " ...");
      index.create(words_source);
    } catch (...) {
      // Leave no empty index behind.
      index.db_.reset();
      if (fresh)
        for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
      throw;
    }
  } else {
    index.check_format();
  }
  index.db().exec("PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536");
  return index;
}

IndexDb IndexDb::open_for_queries(const std::string& path) {
  if (!file_exists(path))
    throw AppError("no index at \"" + path + "\" (make one with: search-app index FOLDER " + path + ")");
  IndexDb index(path, SQLITE_OPEN_READONLY);
  index.check_format();
  return index;
}

void IndexDb::check_format() {
  if (!has_table(*db_, "main", "meta")) throw AppError("\"" + path_ + "\" is not a search-app index");
  int64_t format = db_->integer("SELECT value FROM meta WHERE key = 'format'");
  if (format != kFormat)
    throw AppError("\"" + path_ + "\" has index format " + std::to_string(format) + ", this program reads format " +
                   std::to_string(kFormat) + ": index into a new file");
  dims_ = static_cast<int>(db_->integer("SELECT value FROM meta WHERE key = 'dims'"));
}

void IndexDb::create(const std::string& words_source) {
  Database& db = *db_;
  db.exec("PRAGMA journal_mode = WAL");
  {
    Statement attach(db, "ATTACH ?1 AS source");
    attach.bind(1, words_source).run();
  }
  if (!has_table(db, "source", "words"))
    throw AppError("\"" + words_source + "\" has no table words(id, word, embedding)");
  dims_ = static_cast<int>(db.integer("SELECT vector_dims(embedding) FROM source.words LIMIT 1"));
  if (dims_ <= 0) throw AppError("the words table of \"" + words_source + "\" is empty");

  std::string d = std::to_string(dims_);
  db.exec("BEGIN");
  db.exec(
      "CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
      "CREATE TABLE words (word TEXT PRIMARY KEY, vector BLOB NOT NULL CHECK (vector_dims(vector) = " + d + "))"
      "  WITHOUT ROWID;"
      "CREATE TABLE files (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, size INTEGER NOT NULL,"
      "  mtime_ns INTEGER NOT NULL, kind TEXT NOT NULL);"
      "CREATE TABLE passages (id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, text TEXT NOT NULL);"
      "CREATE INDEX passages_by_hash ON passages(hash);"
      "CREATE TABLE paragraphs (id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL REFERENCES files(id),"
      "  line INTEGER NOT NULL, passage_id INTEGER NOT NULL REFERENCES passages(id));"
      "CREATE INDEX paragraphs_by_file ON paragraphs(file_id);"
      "CREATE INDEX paragraphs_by_passage ON paragraphs(passage_id);"
      // train=manual: the indexer trains once, after a run (should_train), not at every large commit.
      "CREATE VIRTUAL TABLE passage_vectors USING quiver(embedding float[" + d + "] distance=cosine, index=ivf, train=manual);"
      "INSERT INTO words (word, vector)"
      "  SELECT word, vector_scale(vector_normalize(embedding), ln(2 + id)) FROM source.words ORDER BY word;");
  Statement meta(db, "INSERT INTO meta (key, value) VALUES (?1, ?2)");
  meta.bind(1, std::string("format")).bind(2, int64_t{kFormat}).run();
  meta.bind(1, std::string("dims")).bind(2, int64_t{dims_}).run();
  meta.bind(1, std::string("words")).bind(2, words_source).run();
  db.exec("COMMIT");
  db.exec("DETACH source");
}
