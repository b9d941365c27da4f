#include "indexer.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <vector>

#include "embedder.h"
#include "text.h"

namespace fs = std::filesystem;

namespace {

// Commit about this often, so an interrupted run keeps what it did.
constexpr double kCommitSeconds = 2.0;

struct FileInfo {
  std::string path;
  int64_t size;
  int64_t mtime_ns;
};

struct Known {
  int64_t id;
  int64_t size;
  int64_t mtime_ns;
};

// Regular files under root, in path order. Symbolic links are not followed
// (Debian's doc folders link to each other's files).
std::vector<FileInfo> list_files(const fs::path& root) {
  std::vector<FileInfo> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  if (ec) throw AppError("cannot read folder \"" + root.string() + "\": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    if (it->is_symlink(ec) || !it->is_regular_file(ec)) continue;
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    out.push_back({it->path().string(), static_cast<int64_t>(st.st_size),
                   static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec});
  }
  std::sort(out.begin(), out.end(), [](const FileInfo& a, const FileInfo& b) { return a.path < b.path; });
  return out;
}

const char* kind_name(FileKind kind) {
  switch (kind) {
    case FileKind::Text: return "text";
    case FileKind::Binary: return "binary";
    case FileKind::Unreadable: return "unreadable";
  }
  return "unreadable";
}

// FNV-1a, 64 bits: a passage's text, to find its copies.
int64_t text_hash(const std::string& text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return static_cast<int64_t>(h);
}

// The passages that only this file uses (its own rows aside).
#define ONLY_HERE                                                         \
  "SELECT passage_id FROM paragraphs AS p WHERE file_id = ?1 AND NOT EXISTS" \
  " (SELECT 1 FROM paragraphs AS o WHERE o.passage_id = p.passage_id AND o.file_id != ?1)"

class Writer {
 public:
  Writer(Database& db, Embedder& embedder)
      : db_(db),
        embedder_(embedder),
        drop_vectors_(db_, "DELETE FROM passage_vectors WHERE rowid IN (" ONLY_HERE ")"),
        drop_passages_(db_, "DELETE FROM passages WHERE id IN (" ONLY_HERE ")"),
        drop_paragraphs_(db_, "DELETE FROM paragraphs WHERE file_id = ?1"),
        drop_file_(db_, "DELETE FROM files WHERE id = ?1"),
        update_file_(db_, "UPDATE files SET size = ?2, mtime_ns = ?3, kind = ?4 WHERE id = ?1"),
        insert_file_(db_, "INSERT INTO files (path, size, mtime_ns, kind) VALUES (?1, ?2, ?3, ?4)"),
        find_passage_(db_, "SELECT id FROM passages WHERE hash = ?1 AND text = ?2"),
        insert_passage_(db_, "INSERT INTO passages (hash, text) VALUES (?1, ?2)"),
        insert_vector_(db_, "INSERT INTO passage_vectors (rowid, embedding) VALUES (?1, ?2)"),
        insert_paragraph_(db_, "INSERT INTO paragraphs (file_id, line, passage_id) VALUES (?1, ?2, ?3)") {}

  // A file's paragraphs leave, and the passages no other file has.
  void drop_contents(int64_t file) {
    drop_vectors_.bind(1, file).run();
    drop_passages_.bind(1, file).run();
    drop_paragraphs_.bind(1, file).run();
  }
  void drop(int64_t file) {
    drop_contents(file);
    drop_file_.bind(1, file).run();
  }

  // Writes a file's paragraphs (replacing what an earlier run wrote for it);
  // returns how many had known words, or -1 if it is not text.
  int64_t write(const FileInfo& f, const Known* known) {
    FileText text = read_text_file(f.path);
    int64_t file;
    if (known) {
      file = known->id;
      drop_contents(file);
      update_file_.bind(1, file).bind(2, f.size).bind(3, f.mtime_ns).bind(4, std::string(kind_name(text.kind))).run();
    } else {
      insert_file_.bind(1, f.path).bind(2, f.size).bind(3, f.mtime_ns).bind(4, std::string(kind_name(text.kind))).run();
      file = sqlite3_last_insert_rowid(db_.handle());
    }
    if (text.kind != FileKind::Text) return -1;
    int64_t written = 0;
    for (const Paragraph& p : split_paragraphs(text.text)) {
      int64_t passage = find_or_add_passage(p.text);
      if (passage == 0) continue;  // no known word: nothing to find it by
      insert_paragraph_.bind(1, file).bind(2, p.line).bind(3, passage).run();
      ++written;
    }
    return written;
  }

 private:
  // The passage's id (0 if it has no known word), embedded once per text.
  int64_t find_or_add_passage(const std::string& text) {
    int64_t hash = text_hash(text), id = 0;
    find_passage_.bind(1, hash).bind(2, text);
    if (find_passage_.step()) id = find_passage_.integer(0);
    find_passage_.reset();
    if (id) return id;
    std::vector<float> vector = embedder_.embed(text);
    if (vector.empty()) return 0;
    insert_passage_.bind(1, hash).bind(2, text).run();
    id = sqlite3_last_insert_rowid(db_.handle());
    insert_vector_.bind(1, id).bind_blob(2, vector.data(), static_cast<int>(sizeof(float) * vector.size())).run();
    return id;
  }

  Database& db_;
  Embedder& embedder_;
  Statement drop_vectors_, drop_passages_, drop_paragraphs_, drop_file_, update_file_, insert_file_, find_passage_,
      insert_passage_, insert_vector_, insert_paragraph_;
};

// Trains the IVF lists again when they no longer fit the collection: it has
// grown large enough without them, or a quarter of it is new or moved since
// they were trained, or it has shrunk to less than half.
bool should_train(Database& db, int64_t* lists) {
  Statement s(db, "SELECT rows, lists, trained_rows, changed FROM quiver_stats('passage_vectors')");
  if (!s.step()) return false;
  int64_t rows = s.integer(0), trained_rows = s.integer(2), changed = s.integer(3);
  *lists = s.integer(1);
  s.reset();
  if (rows < kIvfParagraphs) return false;
  return *lists == 0 || changed * 4 > rows || trained_rows > 2 * rows;
}

}  // namespace

IndexReport index_folder(IndexDb& index, const std::string& folder, Progress& progress) {
  auto started = std::chrono::steady_clock::now();
  std::error_code ec;
  fs::path root = fs::canonical(folder, ec);
  if (ec || !fs::is_directory(root, ec)) throw AppError("no folder \"" + folder + "\"");
  Database& db = index.db();

  IndexReport report;
  std::vector<FileInfo> files = list_files(root);
  report.seen = static_cast<int64_t>(files.size());

  // What the index knows under root: paths from "root/" up to, not including,
  // "root0" ('0' follows '/').
  std::string prefix = root.string();
  if (prefix.back() != '/') prefix += '/';
  std::string after = prefix.substr(0, prefix.size() - 1) + '0';
  std::map<std::string, Known> known;
  {
    Statement s(db, "SELECT path, id, size, mtime_ns FROM files WHERE path >= ?1 AND path < ?2");
    s.bind(1, prefix).bind(2, after);
    while (s.step()) known[s.text(0)] = Known{s.integer(1), s.integer(2), s.integer(3)};
  }

  // New and changed files; what is left in `known` is gone from the folder.
  struct Task {
    const FileInfo* file;
    bool is_known;
    Known was;
  };
  std::vector<Task> todo;
  int64_t todo_bytes = 0;
  for (const FileInfo& f : files) {
    Task task{&f, false, {}};
    auto it = known.find(f.path);
    if (it != known.end()) {
      task = Task{&f, true, it->second};
      known.erase(it);
      if (task.was.size == f.size && task.was.mtime_ns == f.mtime_ns) {
        ++report.unchanged;
        continue;
      }
    }
    todo.push_back(task);
    todo_bytes += f.size;
  }

  // The whole vocabulary in memory, when there is something to read.
  if (!todo.empty()) progress.note("loading the vocabulary ...");
  Embedder embedder(db, index.dims(), !todo.empty());
  Writer writer(db, embedder);
  db.exec("BEGIN");
  for (const auto& gone : known) writer.drop(gone.second.id);
  report.removed = static_cast<int64_t>(known.size());

  progress.start(static_cast<int64_t>(todo.size()), todo_bytes);
  auto committed = std::chrono::steady_clock::now();
  int64_t bytes = 0;
  for (const Task& task : todo) {
    int64_t written = writer.write(*task.file, task.is_known ? &task.was : nullptr);
    if (written < 0) ++report.skipped;
    else report.paragraphs += written;
    ++report.indexed;
    bytes += task.file->size;
    progress.update(report.indexed, bytes, report.paragraphs);
    auto now = std::chrono::steady_clock::now();
    if (std::chrono::duration<double>(now - committed).count() >= kCommitSeconds) {
      db.exec("COMMIT; BEGIN");
      committed = now;
    }
  }
  db.exec("COMMIT");
  progress.finish();

  if (should_train(db, &report.lists)) {
    progress.note("training the IVF index on " + with_commas(db.integer("SELECT count(*) FROM passages")) +
                  " distinct paragraphs ...");
    db.exec("INSERT INTO passage_vectors (passage_vectors) VALUES ('rebuild')");
    report.trained = true;
    report.lists = db.integer("SELECT lists FROM quiver_stats('passage_vectors')");
  }
  report.total_paragraphs = db.integer("SELECT count(*) FROM paragraphs");
  report.passages = db.integer("SELECT count(*) FROM passages");
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}
