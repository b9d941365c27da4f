// search-app: desktop search over a folder of text files, in one SQLite file.
//
//   search-app index FOLDER DB [--words WORDS_DB]   index (again: only what changed)
//   search-app query DB TEXT [-k N]                 the paragraphs nearest to TEXT
//   search-app shell DB [-k N], search-app DB       ask at a prompt
//
// SQLite and Quiver are linked in; Quiver is registered for every connection
// with sqlite3_auto_extension.
#include <quiver.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "index_db.h"
#include "indexer.h"
#include "search.h"

#ifndef SEARCH_APP_WORDS
#define SEARCH_APP_WORDS "glove.db"
#endif

namespace {

constexpr int kDefaultK = 10;
constexpr int kMaxK = 1000;

const char* kUsage =
    "usage:\n"
    "  search-app index FOLDER DB [--words WORDS_DB]  index the text files under FOLDER into DB;\n"
    "                                                  again, it reads only new and changed files\n"
    "  search-app query DB TEXT [-k N]                the N (10) distinct paragraphs nearest to TEXT\n"
    "  search-app shell DB [-k N]                     ask at a prompt (also: search-app DB)\n"
    "WORDS_DB is an SQLite file with a table words(id, word, embedding), id the word's\n"
    "frequency rank (see sql/glove/load.sql); it is copied into DB when DB is created.\n"
    "Default: " SEARCH_APP_WORDS "\n";

struct UsageError {
  std::string message;
};

// Arguments without the options, and the options' values.
struct Args {
  std::vector<std::string> positional;
  std::string words;
  int k = kDefaultK;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--words" || arg == "-k") {
      if (i + 1 == argc) throw UsageError{arg + " needs a value"};
      std::string value = argv[++i];
      if (arg == "--words") {
        a.words = value;
      } else {
        char* end = nullptr;
        long k = std::strtol(value.c_str(), &end, 10);
        if (value.empty() || *end || k < 1 || k > kMaxK)
          throw UsageError{"-k takes a number from 1 to " + std::to_string(kMaxK) + ", not \"" + value + "\""};
        a.k = static_cast<int>(k);
      }
    } else if (arg == "-h" || arg == "--help") {
      throw UsageError{""};
    } else if (arg.size() > 1 && arg[0] == '-') {
      throw UsageError{"unknown option \"" + arg + "\""};
    } else {
      a.positional.push_back(arg);
    }
  }
  return a;
}

int run_index(const Args& a) {
  if (a.positional.size() != 3) throw UsageError{"index takes a FOLDER and a DB"};
  const std::string &folder = a.positional[1], &path = a.positional[2];
  if (!a.words.empty() && access(path.c_str(), F_OK) == 0)
    throw AppError("\"" + path + "\" already has its word vectors; --words is for a new index");
  Progress progress(stderr);
  IndexDb index = IndexDb::open_for_indexing(path, a.words.empty() ? SEARCH_APP_WORDS : a.words,
                                             [&](const std::string& message) { progress.note(message); });
  IndexReport r = index_folder(index, folder, progress);
  std::printf("%s files: %s read (%s binary or unreadable, skipped), %s unchanged, %s removed\n",
              with_commas(r.seen).c_str(), with_commas(r.indexed).c_str(), with_commas(r.skipped).c_str(),
              with_commas(r.unchanged).c_str(), with_commas(r.removed).c_str());
  std::printf("%s paragraphs written, %s in the index (%s distinct); %s; %s\n", with_commas(r.paragraphs).c_str(),
              with_commas(r.total_paragraphs).c_str(), with_commas(r.passages).c_str(),
              r.lists ? (std::string(r.trained ? "IVF index trained: " : "IVF index: ") + with_commas(r.lists) +
                         " lists").c_str()
                      : "exact search (small collection)",
              duration_text(r.seconds).c_str());
  return 0;
}

int run_query(const Args& a) {
  if (a.positional.size() != 3) throw UsageError{"query takes a DB and a TEXT"};
  IndexDb index = IndexDb::open_for_queries(a.positional[1]);
  print_answer(search(index, a.positional[2], a.k), stdout);
  return 0;
}

int run_shell(const std::string& path, int k) {
  IndexDb index = IndexDb::open_for_queries(path);
  bool terminal = isatty(STDIN_FILENO);
  if (terminal)
    std::printf("%s distinct paragraphs of %s files. Type words to search; Ctrl-D or \"quit\" ends.\n",
                with_commas(index.db().integer("SELECT count(*) FROM passages")).c_str(),
                with_commas(index.db().integer("SELECT count(*) FROM files WHERE kind = 'text'")).c_str());
  std::string line;
  while (true) {
    if (terminal) {
      std::printf("search> ");
      std::fflush(stdout);
    }
    if (!std::getline(std::cin, line) || line == "quit" || line == "exit") break;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      print_answer(search(index, line, k), stdout);
    } catch (const AppError& e) {
      std::printf("%s\n", e.what());
    }
    if (terminal) std::printf("\n");
  }
  if (terminal) std::printf("\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  sqlite3_auto_extension(reinterpret_cast<void (*)(void)>(sqlite3_quiver_init));
  try {
    Args a = parse(argc, argv);
    if (a.positional.empty()) throw UsageError{""};
    const std::string& command = a.positional[0];
    if (command == "index") return run_index(a);
    if (command == "query") return run_query(a);
    if (command == "shell") {
      if (a.positional.size() != 2) throw UsageError{"shell takes a DB"};
      return run_shell(a.positional[1], a.k);
    }
    if (a.positional.size() == 1) return run_shell(command, a.k);
    throw UsageError{"unknown command \"" + command + "\""};
  } catch (const UsageError& e) {
    if (!e.message.empty()) std::fprintf(stderr, "search-app: %s\n", e.message.c_str());
    std::fputs(kUsage, stderr);
    return 2;
  } catch (const AppError& e) {
    std::fprintf(stderr, "search-app: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "search-app: out of memory\n");
    return 1;
  }
}
