// quiver_tokens, the word splitter (README "Near-duplicates, topics and
// document vectors"), through a real SQLite connection: edge cases (empty,
// NULL, separators only, numbers, Latin-1 capitals, other scripts, Unicode
// punctuation, invalid UTF-8), byte offsets, a correlated join, and random
// texts against a reference tokenizer written from the rules.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "quiver.h"
#include "support/db.h"
#include "support/sql.h"

namespace {

using quiver_test::Bytes;
using quiver_test::Db;
using quiver_test::Rows;
using quiver_test::Value;

struct Tok {
  std::string token;
  int64_t position, offset;
  bool operator==(const Tok& o) const { return token == o.token && position == o.position && offset == o.offset; }
};

std::ostream& operator<<(std::ostream& os, const Tok& t) {
  return os << "{'" << t.token << "', " << t.position << ", " << t.offset << "}";
}

std::vector<Tok> tokens(const Db& db, const Value& text) {
  std::vector<Tok> out;
  for (const auto& r : db.query("SELECT token, position, offset FROM quiver_tokens(?1)", {text})) {
    REQUIRE(r[0].type == SQLITE_TEXT);
    out.push_back({r[0].s, r[1].i, r[2].i});
  }
  return out;
}
std::vector<Tok> tokens(const Db& db, const std::string& text) { return tokens(db, Value::text(text)); }

// Just the words.
std::vector<std::string> words(const Db& db, const std::string& text) {
  std::vector<std::string> out;
  for (const Tok& t : tokens(db, text)) out.push_back(t.token);
  return out;
}
using W = std::vector<std::string>;

TEST_CASE("tokens: empty, NULL and separator-only texts have no words", "[tokens]") {
  Db db;
  REQUIRE(tokens(db, "").empty());
  REQUIRE(tokens(db, Value::null()).empty());
  REQUIRE(tokens(db, "!?.,;:'\"()[]{}<>/\\|-_+=*&^%$#@~`").empty());
  REQUIRE(tokens(db, " \t\n\r\v\f ").empty());
  REQUIRE(tokens(db, "\xE2\x80\x94 \xC2\xAB\xC2\xBB\xC2\xA0\xE2\x80\xA6\xE3\x80\x82").empty());  // — «» nbsp … 。
  REQUIRE(db.error("SELECT * FROM quiver_tokens()") == "quiver_tokens: missing argument");
}

TEST_CASE("tokens: words, numbers and case", "[tokens]") {
  Db db;
  REQUIRE(tokens(db, "Toner for the 3rd floor printer!") ==
          std::vector<Tok>{{"toner", 0, 0}, {"for", 1, 6}, {"the", 2, 10}, {"3rd", 3, 14}, {"floor", 4, 18}, {"printer", 5, 24}});
  REQUIRE(tokens(db, "12.5") == std::vector<Tok>{{"12", 0, 0}, {"5", 1, 3}});
  REQUIRE(words(db, "v2.0-beta_3 x86_64 1,000") == W{"v2", "0", "beta", "3", "x86", "64", "1", "000"});
  REQUIRE(words(db, "HeLLo WORLD abcXYZ") == W{"hello", "world", "abcxyz"});
  REQUIRE(words(db, "don't") == W{"don", "t"});
  // Numbers and blobs are read as their text.
  REQUIRE(tokens(db, Value::real(12.5)) == std::vector<Tok>{{"12", 0, 0}, {"5", 1, 3}});
  REQUIRE(tokens(db, Value::integer(-42)) == std::vector<Tok>{{"42", 0, 1}});
  REQUIRE(tokens(db, Value::blob(Bytes{'A', 'b', ' ', 'c'})) == std::vector<Tok>{{"ab", 0, 0}, {"c", 1, 3}});
}

TEST_CASE("tokens: Latin-1 capitals are lowercased, other scripts kept, Unicode punctuation separates", "[tokens]") {
  Db db;
  REQUIRE(words(db, "\xC3\x89" "cole \xC3\x87" "A \xC3\x80 \xC3\x9E" "orn \xC3\x96L") ==
          W{"\xC3\xA9" "cole", "\xC3\xA7" "a", "\xC3\xA0", "\xC3\xBE" "orn", "\xC3\xB6l"});  // École ÇA À Þorn ÖL
  REQUIRE(words(db, "stra\xC3\x9F" "e \xC3\xBF") == W{"stra\xC3\x9F" "e", "\xC3\xBF"});          // ß, ÿ stay
  REQUIRE(words(db, "2\xC3\x97" "3 6\xC3\xB7" "2") == W{"2", "3", "6", "2"});                    // × ÷ separate
  // Cyrillic, Greek and CJK are words, kept as they are (no case folding).
  REQUIRE(words(db, "\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0 \xCE\xA9mega \xE6\x9D\xB1\xE4\xBA\xAC") ==
          W{"\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0", "\xCE\xA9mega", "\xE6\x9D\xB1\xE4\xBA\xAC"});
  // — “ ” … « » nbsp ¿ ‘ ’ and CJK 。、 between words.
  REQUIRE(words(db,
                "a\xE2\x80\x94" "b\xE2\x80\x9C" "c\xE2\x80\x9D" "d\xE2\x80\xA6" "e\xC2\xAB" "f\xC2\xBB" "g\xC2\xA0" "h\xC2\xBF" "i"
                "\xE2\x80\x98" "j\xE2\x80\x99" "k") == W{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"});
  REQUIRE(words(db, "\xE6\x9D\xB1\xE4\xBA\xAC\xE3\x80\x82\xE5\xA4\xA7\xE9\x98\xAA\xE3\x80\x81") ==
          W{"\xE6\x9D\xB1\xE4\xBA\xAC", "\xE5\xA4\xA7\xE9\x98\xAA"});  // 東京。大阪、
}

TEST_CASE("tokens: invalid UTF-8 is kept as part of words, never rejected", "[tokens]") {
  Db db;
  REQUIRE(tokens(db, "a\xFF" "b c\x80") == std::vector<Tok>{{"a\xFF" "b", 0, 0}, {"c\x80", 1, 4}});
  REQUIRE(tokens(db, "x \xE2") == std::vector<Tok>{{"x", 0, 0}, {"\xE2", 1, 2}});          // a truncated — at the end
  REQUIRE(tokens(db, "\xC2 y") == std::vector<Tok>{{"\xC2", 0, 0}, {"y", 1, 2}});          // a lone lead byte
  REQUIRE(tokens(db, "\xC3") == std::vector<Tok>{{"\xC3", 0, 0}});                          // a truncated capital
  REQUIRE(tokens(db, "\xE2\x80") == std::vector<Tok>{{"\xE2\x80", 0, 0}});
  // Through SQL with a cast blob, too.
  REQUIRE(db.integer("SELECT count(*) FROM quiver_tokens(CAST(X'41FF42200043' AS TEXT))") == 2);
}

TEST_CASE("tokens: offsets point at each word in the original bytes, and positions count up", "[tokens]") {
  Db db;
  const std::string ascii = "  The QUICK brown-fox, (jumps) over 13 lazy dogs... again!";
  // ASCII: substr by characters is by bytes.
  REQUIRE(db.integer("SELECT count(*) FROM quiver_tokens(?1)", {Value::text(ascii)}) == 10);
  REQUIRE(db.integer("SELECT count(*) FROM quiver_tokens(?1) WHERE lower(substr(?1, offset + 1, length(token))) = token",
                     {Value::text(ascii)}) == 10);
  // Any text: compare bytes.
  const std::string mixed = "\xC2\xAB\xC3\x89t\xC3\xA9\xC2\xBB \xE2\x80\x94 Caf\xC3\x89 \xE6\x9D\xB1\xE4\xBA\xAC, na\xC3\xAFve\xE2\x80\xA6 X";
  std::vector<Tok> got = tokens(db, mixed);
  REQUIRE(got.size() == 5);
  REQUIRE(db.integer("SELECT count(*) FROM quiver_tokens(?1) AS t WHERE t.position = (SELECT count(*) FROM "
                     "quiver_tokens(?1) AS u WHERE u.offset < t.offset)",
                     {Value::text(mixed)}) == 5);
  for (size_t i = 0; i < got.size(); ++i) {
    INFO(got[i]);
    REQUIRE(got[i].position == static_cast<int64_t>(i));
    if (i > 0) REQUIRE(got[i].offset > got[i - 1].offset);
    std::string original = mixed.substr(static_cast<size_t>(got[i].offset), got[i].token.size());
    // Lowercase the original as the tokenizer does: ASCII and Latin-1 capitals.
    for (size_t b = 0; b < original.size(); ++b) {
      unsigned char c = static_cast<unsigned char>(original[b]);
      if (c >= 'A' && c <= 'Z') original[b] = static_cast<char>(c + 32);
      if (c == 0xC3 && b + 1 < original.size() && static_cast<unsigned char>(original[b + 1]) >= 0x80 &&
          static_cast<unsigned char>(original[b + 1]) <= 0x9E) {
        original[b + 1] = static_cast<char>(static_cast<unsigned char>(original[b + 1]) + 0x20);
        ++b;
      }
    }
    REQUIRE(original == got[i].token);
  }
  REQUIRE(got[0].token == "\xC3\xA9t\xC3\xA9");
  REQUIRE(got[1].token == "caf\xC3\xA9");
}

TEST_CASE("tokens: a correlated join over a table of texts", "[tokens]") {
  Db db;
  db.exec("CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT)");
  db.exec("INSERT INTO docs VALUES (1, 'Printer out of toner'), (2, NULL), (3, ''), (4, 'Toner: ordered!'), "
          "(5, 'printer, printer')");
  Rows rows = db.query("SELECT docs.id, t.token, t.position FROM docs, quiver_tokens(docs.body) AS t ORDER BY docs.id, t.position");
  std::vector<std::tuple<int64_t, std::string, int64_t>> got;
  for (const auto& r : rows) got.emplace_back(r[0].i, r[1].s, r[2].i);
  REQUIRE(got == std::vector<std::tuple<int64_t, std::string, int64_t>>{{1, "printer", 0},
                                                                          {1, "out", 1},
                                                                          {1, "of", 2},
                                                                          {1, "toner", 3},
                                                                          {4, "toner", 0},
                                                                          {4, "ordered", 1},
                                                                          {5, "printer", 0},
                                                                          {5, "printer", 1}});
  // Document frequency of each word.
  Rows df = db.query("SELECT token, count(DISTINCT docs.id) FROM docs, quiver_tokens(docs.body) GROUP BY token ORDER BY token");
  REQUIRE(df.size() == 5);
  REQUIRE(df[3][0].s == "printer");
  REQUIRE(df[3][1].i == 2);
  REQUIRE(df[4][0].s == "toner");
  REQUIRE(df[4][1].i == 2);
}

TEST_CASE("tokens: an OR over the result columns", "[tokens]") {
  Db db;
  REQUIRE(db.integer("SELECT count(*) FROM quiver_tokens('a b c') WHERE +token = 'a' OR +position = 2") == 2);
  REQUIRE(db.integer("SELECT count(*) FROM quiver_tokens('a b c') WHERE token = 'a' OR position = 2") == 2);
}

TEST_CASE("tokens: random texts against a reference tokenizer", "[tokens]") {
  // Pieces with their role and lowercased form, glued at random.
  struct Piece {
    const char* text;
    bool word;
    const char* lower;
  };
  const Piece pieces[] = {
      {"a", true, "a"},          {"Z", true, "z"},           {"7", true, "7"},
      {"q", true, "q"},          {"\xC3\x89", true, "\xC3\xA9"},  // É
      {"\xC3\xA9", true, "\xC3\xA9"},                           // é
      {"\xC3\x9E", true, "\xC3\xBE"},                           // Þ
      {"\xC3\x9F", true, "\xC3\x9F"},                           // ß
      {"\xD0\x96", true, "\xD0\x96"},                           // Ж
      {"\xE6\x9D\xB1", true, "\xE6\x9D\xB1"},                   // 東
      {"\xFF", true, "\xFF"},                                   // invalid bytes
      {"\x80", true, "\x80"},
      {" ", false, ""},          {",", false, ""},           {"\n", false, ""},
      {".", false, ""},          {"'", false, ""},           {"\xC3\x97", false, ""},  // ×
      {"\xC2\xA0", false, ""},                                                      // nbsp
      {"\xC2\xAB", false, ""},                                                      // «
      {"\xE2\x80\x94", false, ""},                                                  // —
      {"\xE2\x80\x9D", false, ""},                                                  // ”
      {"\xE2\x80\xA6", false, ""},                                                  // …
      {"\xE3\x80\x81", false, ""},                                                  // 、
  };
  const size_t n = sizeof pieces / sizeof pieces[0];
  Db db;
  std::mt19937 rng(2024);
  for (int round = 0; round < 300; ++round) {
    std::string text;
    std::vector<Tok> want;
    bool in_word = false;
    size_t length = rng() % 40;
    for (size_t i = 0; i < length; ++i) {
      const Piece& p = pieces[rng() % n];
      if (p.word) {
        if (!in_word) want.push_back({"", static_cast<int64_t>(want.size()), static_cast<int64_t>(text.size())});
        want.back().token += p.lower;
      }
      in_word = p.word;
      text += p.text;
    }
    INFO("text: " << text);
    REQUIRE(tokens(db, text) == want);
  }
}

}  // namespace
