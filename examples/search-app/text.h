// Documents as the index sees them: a file's text (gzip files decompressed)
// and its paragraphs with their line numbers. No SQLite here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

enum class FileKind { Text, Binary, Unreadable };

struct FileText {
  FileKind kind = FileKind::Unreadable;
  std::string text;  // UTF-8 when kind is Text
};

// Reads a file, decompressing it if it is gzip (Debian's /usr/share/doc is
// mostly changelog.gz). A NUL byte anywhere makes it Binary: images, archives,
// other compressed formats and UTF-16 all have them. Text that is not valid
// UTF-8 is read as Latin-1, which old changelogs are.
FileText read_text_file(const std::string& path);

struct Paragraph {
  int64_t line;      // of its first line, counting from 1
  std::string text;  // its lines, joined by '\n'
};

// A paragraph is a run of non-blank lines, cut after kMaxLines lines or once
// it holds kMaxBytes, so a file without blank lines still gives results that
// point near the place.
constexpr size_t kMaxLines = 40;
constexpr size_t kMaxBytes = 4096;
std::vector<Paragraph> split_paragraphs(const std::string& text);

// True when s is well-formed UTF-8.
bool is_utf8(const std::string& s);
// Latin-1 bytes as UTF-8.
std::string latin1_to_utf8(const std::string& s);
