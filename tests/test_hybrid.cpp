// quiver_hybrid (ext/sql/hybrid.cpp, ext/core/fusion.h, ext/core/hybrid_args.h) through
// real SQLite connections, on seeded synthetic data:
//   [hybrid]  the fused ranking against a reference written here from the
//             definition: the vector side by a brute-force L2 scan over the
//             documents' integer vectors (exact, so ties are real and broken
//             by rowid), the text side by FTS5's own ranking, metadata read
//             from the ordinary documents table, reciprocal rank fusion by a
//             map from rowid to ranks; random k, depth, rank constant,
//             weights and filters, flat and trained IVF tables (probes =
//             lists), one side left out; rows found by one side only;
//             attached schemas; every argument error with its message.
#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <cstring>
#include <string>
#include <vector>

#include "fusion.h"
#include "quiver.h"
#include "support/db.h"

namespace {

using quiver_test::Db;
using quiver_test::Rows;
using quiver_test::Value;

constexpr int kDims = 6;
const char* const kWords[] = {"apple", "pear", "plum", "fig", "kiwi", "lime", "date", "yuzu"};
const char* const kLangs[] = {"en", "de", "fr"};

struct Doc {
  int64_t id;
  std::vector<float> v;  // small integers: exact distances
  std::string body;
  std::string lang;
  int64_t n;
};

std::string blob_of(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

// Documents in an ordinary table `docs`, their text in FTS5 `docs_fts`,
// their vectors (with lang and n as metadata) in quiver table `idx`.
struct Corpus {
  std::vector<Doc> docs;

  void build(const Db& db, std::mt19937& rng, int count, const std::string& index_options) {
    std::uniform_int_distribution<int> coord(-3, 3), word(0, 7), words(1, 4), lang(0, 2), n(0, 9);
    db.exec("CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT, lang TEXT, n INTEGER)");
    db.exec("CREATE VIRTUAL TABLE docs_fts USING fts5(body, content=docs, content_rowid=id)");
    db.exec("CREATE VIRTUAL TABLE idx USING quiver(embedding float[" + std::to_string(kDims) +
            "] distance=l2, lang text, n integer, +note text" + index_options + ")");
    db.exec("BEGIN");
    for (int i = 0; i < count; ++i) {
      Doc d;
      d.id = 1 + i * 3;  // rowids with gaps
      d.v.resize(kDims);
      for (float& x : d.v) x = static_cast<float>(coord(rng));
      if (std::all_of(d.v.begin(), d.v.end(), [](float x) { return x == 0; })) d.v[0] = 1;
      int nw = words(rng);
      for (int w = 0; w < nw; ++w) d.body += std::string(w ? " " : "") + kWords[word(rng)];
      d.lang = kLangs[lang(rng)];
      d.n = n(rng);
      db.exec("INSERT INTO docs VALUES (?1, ?2, ?3, ?4)",
              {Value::integer(d.id), Value::text(d.body), Value::text(d.lang), Value::integer(d.n)});
      // Every 7th document has text only: the text side alone can find it.
      if (i % 7 != 3)
        db.exec("INSERT INTO idx(rowid, embedding, lang, n, note) VALUES (?1, ?2, ?3, ?4, 'x')",
                {Value::integer(d.id), Value::blob(blob_of(d.v)), Value::text(d.lang), Value::integer(d.n)});
      else
        d.v.clear();
      docs.push_back(std::move(d));
    }
    db.exec("INSERT INTO docs_fts(docs_fts) VALUES ('rebuild')");
    db.exec("COMMIT");
  }
};

// A filter both as quiver_hybrid's text and as a predicate for the reference.
struct Filter {
  std::string text;  // empty: none
  std::string lang;  // "" : any
  int64_t n_min = -1;
  bool passes(const Doc& d) const { return (lang.empty() || d.lang == lang) && d.n >= n_min; }
};

struct Expected {
  int64_t rowid;
  double score;
  int64_t vector_rank, text_rank;  // 0: absent
};

// The reference: each side ranked here, fused from the definition of RRF.
std::vector<Expected> reference(const Db& db, const Corpus& corpus, const std::vector<float>* query,
                                const std::string* text, int64_t k, int64_t depth, double constant, double wv,
                                double wt, const Filter& filter) {
  std::vector<int64_t> vector_side, text_side;
  if (query) {
    std::vector<std::pair<double, int64_t>> scored;
    for (const Doc& d : corpus.docs) {
      if (d.v.empty() || !filter.passes(d)) continue;
      double sum = 0;
      for (int i = 0; i < kDims; ++i) sum += (d.v[i] - (*query)[i]) * (d.v[i] - (*query)[i]);
      scored.emplace_back(sum, d.id);
    }
    std::sort(scored.begin(), scored.end());
    for (size_t i = 0; i < scored.size() && static_cast<int64_t>(i) < depth; ++i) vector_side.push_back(scored[i].second);
  }
  if (text) {
    // FTS5's ranking; metadata from the documents table, not the index.
    Rows rows = db.query(
        "SELECT f.rowid FROM docs_fts AS f JOIN docs AS d ON d.id = f.rowid "
        "WHERE docs_fts MATCH ?1 ORDER BY f.rank, f.rowid",
        {Value::text(*text)});
    std::map<int64_t, const Doc*> by_id;
    for (const Doc& d : corpus.docs) by_id[d.id] = &d;
    for (const auto& r : rows) {
      const Doc& d = *by_id.at(r[0].i);
      // Filtered rows must also be in the index: their metadata lives there.
      if (!filter.text.empty() && (d.v.empty() || !filter.passes(d))) continue;
      if (static_cast<int64_t>(text_side.size()) < depth) text_side.push_back(d.id);
    }
  }
  std::map<int64_t, Expected> fused;
  for (size_t i = 0; i < vector_side.size(); ++i) fused[vector_side[i]] = {vector_side[i], 0, int64_t(i + 1), 0};
  for (size_t i = 0; i < text_side.size(); ++i) {
    auto it = fused.find(text_side[i]);
    if (it == fused.end()) it = fused.emplace(text_side[i], Expected{text_side[i], 0, 0, 0}).first;
    it->second.text_rank = int64_t(i + 1);
  }
  std::vector<Expected> out;
  for (auto& entry : fused) {
    Expected e = entry.second;
    e.score = (e.vector_rank ? wv / (constant + e.vector_rank) : 0.0) + (e.text_rank ? wt / (constant + e.text_rank) : 0.0);
    out.push_back(e);
  }
  std::sort(out.begin(), out.end(), [](const Expected& a, const Expected& b) {
    return a.score != b.score ? a.score > b.score : a.rowid < b.rowid;
  });
  if (static_cast<int64_t>(out.size()) > k) out.resize(static_cast<size_t>(k));
  return out;
}

void check_against_reference(const Db& db, const Corpus& corpus, std::mt19937& rng, int queries, bool ivf) {
  std::uniform_int_distribution<int> coord(-3, 3), word(0, 7), words(1, 3), pick(0, 5), kk(1, 40), lang(0, 2);
  for (int q = 0; q < queries; ++q) {
    std::vector<float> query(kDims);
    for (float& x : query) x = static_cast<float>(coord(rng));
    std::string text;
    int nw = words(rng);
    for (int w = 0; w < nw; ++w) text += std::string(w ? " OR " : "") + kWords[word(rng)];
    int64_t k = kk(rng);
    int64_t depth = pick(rng) < 2 ? k : kk(rng);
    double constant = pick(rng) == 0 ? 0.0 : pick(rng) == 1 ? 60.0 : 1.0 + pick(rng) * 7.5;
    double wv = pick(rng) < 3 ? 1.0 : 0.25 + pick(rng), wt = pick(rng) < 3 ? 1.0 : 0.5 + pick(rng) * 0.75;
    Filter filter;
    int f = pick(rng);
    if (f == 1) { filter.lang = kLangs[lang(rng)]; filter.text = "lang = '" + filter.lang + "'"; }
    if (f == 2) { filter.n_min = 4; filter.text = "n >= 4"; }
    if (f == 3) { filter.lang = "de"; filter.n_min = 2; filter.text = "\"lang\" == 'de' AND n > 1"; }
    int sides = pick(rng);  // 0: vector only, 1: text only, else both
    bool use_vector = sides != 1, use_text = sides != 0;
    std::string options = "depth=" + std::to_string(depth) + ", rank_constant=" + std::to_string(constant) +
                          " vector_weight=" + std::to_string(wv) + " text_weight=" + std::to_string(wt);
    if (ivf) options += " probes=16";
    // std::to_string rounds to 6 decimals: what the reference uses too.
    constant = std::stod(std::to_string(constant));
    wv = std::stod(std::to_string(wv));
    wt = std::stod(std::to_string(wt));
    std::vector<Expected> want = reference(db, corpus, use_vector ? &query : nullptr, use_text ? &text : nullptr, k,
                                           depth, constant, wv, wt, filter);
    Rows got = db.query(
        "SELECT rowid, score, vector_rank, text_rank, distance FROM quiver_hybrid('idx', 'docs_fts', ?1, ?2, ?3, ?4, ?5)",
        {use_vector ? Value::blob(blob_of(query)) : Value::null(), use_text ? Value::text(text) : Value::null(),
         Value::integer(k), Value::text(options), filter.text.empty() ? Value::null() : Value::text(filter.text)});
    INFO("query " << q << " text " << text << " options " << options << " filter " << filter.text << " sides "
                  << sides << "\n" << quiver_test::show(got));
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      INFO("row " << i);
      CHECK(got[i][0].i == want[i].rowid);
      CHECK(got[i][1].d == Approx(want[i].score).epsilon(1e-12));
      CHECK((got[i][2].type == SQLITE_NULL ? 0 : got[i][2].i) == want[i].vector_rank);
      CHECK((got[i][3].type == SQLITE_NULL ? 0 : got[i][3].i) == want[i].text_rank);
      CHECK((got[i][4].type == SQLITE_NULL) == (want[i].vector_rank == 0));
    }
  }
}

}  // namespace

TEST_CASE("hybrid: the fusion against a reference, flat table", "[hybrid]") {
  Db db;
  std::mt19937 rng(1301);
  Corpus corpus;
  corpus.build(db, rng, 400, "");
  check_against_reference(db, corpus, rng, 120, false);
}

TEST_CASE("hybrid: the fusion against a reference, trained IVF table at probes = lists", "[hybrid]") {
  Db db;
  std::mt19937 rng(1302);
  Corpus corpus;
  corpus.build(db, rng, 600, ", index=ivf, lists=16");
  db.exec("INSERT INTO idx(idx) VALUES ('rebuild')");
  REQUIRE(db.integer("SELECT lists FROM quiver_stats('idx')") == 16);
  check_against_reference(db, corpus, rng, 60, true);
}

TEST_CASE("hybrid: fuse_ranks counts a row at its best rank and keeps rows of one list", "[hybrid]") {
  using quiver::RankedRow;
  quiver::FusionSettings s;
  s.constant = 1;
  s.text_weight = 2;
  std::vector<RankedRow> vector = {{7, 0.5}, {3, 0.6}, {7, 0.9}};
  std::vector<RankedRow> text = {{9, -2}, {3, -1}};
  auto rows = quiver::fuse_ranks(vector, text, s, 10);
  REQUIRE(rows.size() == 3);
  // 3: 1/3 + 2/3 = 1; 9: 2/2 = 1 (tie, rowid 3 first); 7: 1/2.
  CHECK(rows[0].rowid == 3);
  CHECK(rows[0].score == Approx(1.0));
  CHECK(rows[0].vector_rank == 2);
  CHECK(rows[0].text_rank == 2);
  CHECK(rows[0].distance == 0.6);
  CHECK(rows[0].text_score == -1);
  CHECK(rows[1].rowid == 9);
  CHECK(rows[1].vector_rank == 0);
  CHECK(rows[2].rowid == 7);
  CHECK(rows[2].vector_rank == 1);
  CHECK(rows[2].distance == 0.5);
  CHECK(rows[2].score == Approx(0.5));
  CHECK(quiver::fuse_ranks(vector, text, s, 1).size() == 1);
  CHECK(quiver::fuse_ranks({}, {}, s, 5).empty());
}

TEST_CASE("hybrid: rows of one side come out, with NULL for the other; joins and schemas", "[hybrid]") {
  Db db;
  db.exec("CREATE VIRTUAL TABLE v USING quiver(embedding float[2] distance=cosine, lang text)");
  db.exec("INSERT INTO v(rowid, embedding, lang) VALUES (1, '[1, 0]', 'en'), (2, '[0, 1]', 'de'), (3, '[1, 1]', 'en')");
  db.exec("CREATE VIRTUAL TABLE f USING fts5(body)");
  db.exec("INSERT INTO f(rowid, body) VALUES (1, 'apple pie'), (2, 'cherry tart'), (4, 'apple apple')");
  Rows rows = db.query("SELECT rowid, vector_rank, text_rank, text_score IS NULL FROM quiver_hybrid('v', 'f', '[1, 0]', 'apple', 10)");
  // Vector: 1, 3, 2. Text: 4 (two apples), 1.
  // Scores: 1: 1/61 + 1/62; 4: 1/61; 3: 1/62; 2: 1/63.
  REQUIRE(rows.size() == 4);
  CHECK(rows[0][0].i == 1);
  CHECK(rows[1][0].i == 4);
  CHECK(rows[1][1].type == SQLITE_NULL);
  CHECK(rows[1][2].i == 1);
  CHECK(rows[2][0].i == 3);
  CHECK(rows[2][2].type == SQLITE_NULL);
  CHECK(rows[2][3].i == 1);
  CHECK(rows[3][0].i == 2);
  CHECK(db.text("SELECT group_concat(f.body, '|') FROM quiver_hybrid('v', 'f', '[1, 0]', 'apple', 2) AS h "
                "JOIN f ON f.rowid = h.rowid") == "apple pie|apple apple");
  // The FTS table in another schema, found unqualified or by 'schema.table'.
  db.exec("ATTACH ':memory:' AS aux");
  db.exec("CREATE VIRTUAL TABLE aux.g USING fts5(body)");
  db.exec("INSERT INTO aux.g(rowid, body) VALUES (2, 'plum'), (3, 'plum plum')");
  CHECK(db.integer("SELECT rowid FROM quiver_hybrid('v', 'g', NULL, 'plum', 1)") == 3);
  CHECK(db.integer("SELECT rowid FROM quiver_hybrid('main.v', 'aux.g', NULL, 'plum', 1)") == 3);
  // A filter applies to both sides: text row 4 has no metadata and drops
  // out; 1 (vector rank 2, text rank 1) passes 3 (vector rank 1).
  CHECK(db.text("SELECT group_concat(rowid) FROM quiver_hybrid('v', 'f', '[0, 1]', 'apple', 10, NULL, 'lang IN (''en'')')") ==
        "1,3");
  CHECK(db.text("SELECT group_concat(rowid) FROM quiver_hybrid('v', 'f', '[0, 1]', 'apple', 10, '', 'rowid != 3 AND lang IS NOT NULL')") ==
        "1,2");
  CHECK(db.text("SELECT group_concat(rowid) FROM quiver_hybrid('v', 'f', '[0, 1]', NULL, 10, '', 'lang LIKE ''E%'' AND lang GLOB ''e*''')") ==
        "3,1");
}

TEST_CASE("hybrid: argument errors", "[hybrid]") {
  Db db;
  db.exec("CREATE VIRTUAL TABLE v USING quiver(embedding float[2], lang text, +note text)");
  db.exec("INSERT INTO v(rowid, embedding, lang) VALUES (1, '[1, 0]', 'en')");
  db.exec("CREATE VIRTUAL TABLE f USING fts5(body)");
  db.exec("CREATE VIRTUAL TABLE f4 USING fts4(body)");
  db.exec("CREATE TABLE plain(x)");
  auto err = [&](const std::string& args) { return db.error("SELECT * FROM quiver_hybrid(" + args + ")"); };
  CHECK(err("'nope', 'f', '[1, 0]', 'a', 5") == "quiver: no table named \"nope\"");
  CHECK(err("'plain', 'f', '[1, 0]', 'a', 5") == "quiver: \"plain\" is not a quiver table");
  CHECK(err("'v', 'nope', '[1, 0]', 'a', 5") == "quiver_hybrid: no table named \"nope\"");
  CHECK(err("'v', 'plain', '[1, 0]', 'a', 5") == "quiver_hybrid: \"plain\" is not an fts5 table");
  CHECK(err("'v', 'f4', '[1, 0]', 'a', 5") == "quiver_hybrid: \"f4\" is not an fts5 table");
  CHECK(err("'v', 'f_data', '[1, 0]', 'a', 5") == "quiver_hybrid: \"f_data\" is not an fts5 table");
  CHECK(err("'v', 'v', '[1, 0]', 'a', 5") == "quiver_hybrid: \"v\" is not an fts5 table");
  CHECK(err("'v', 3, '[1, 0]', 'a', 5") == "quiver_hybrid: the fts5 table (second argument) must be text");
  CHECK(err("'v', 'f', NULL, NULL, 5") == "quiver_hybrid: needs a query vector or a query text (both are NULL)");
  for (const char* k : {"0", "-1", "'x'", "2.5", "16777217", "NULL"}) {
    std::string shown = k[0] == '\'' ? std::string(k + 1, std::strlen(k) - 2) : k;
    CHECK(err(std::string("'v', 'f', '[1, 0]', 'a', ") + k) ==
          "quiver_hybrid: k must be an integer from 1 to 16777216, got " + shown);
  }
  CHECK(err("'v', 'f', '[1, 0]', 'a', 5, 'vector_weight=0'") == "quiver_hybrid: vector_weight must be a number > 0, got \"0\"");
  CHECK(err("'v', 'f', '[1, 0]', 'a', 5, 'text_weight=-1'") == "quiver_hybrid: text_weight must be a number > 0, got \"-1\"");
  CHECK(err("'v', 'f', '[1, 0]', 'a', 5, 'text_weight=nan'") == "quiver_hybrid: text_weight must be a number > 0, got \"nan\"");
  CHECK(err("'v', 'f', '[1, 0]', 'a', 5, 'text_weight=1e999'") == "quiver_hybrid: text_weight must be a number > 0, got \"1e999\"");
  CHECK(err("'v', 'f', '[1, 0]', 'a', 5, 'rank_constant=-1'") == "quiver_hybrid: rank_constant must be a number >= 0, got \"-1\"");
  CHECK(err("'v', 'f', '[1, 0]', 'a', 5, 'depth=0'") == "quiver_hybrid: depth must be an integer from 1 to 16777216, got \"0\"");
  CHECK(err("'v', 'f', '[1, 0]', 'a', 5, 'weight=2'") == "quiver_hybrid: unknown option \"weight\"");
  CHECK(err("'v', 'f', '[1, 0]', 'a', 5, 'depth=2, depth=3'") == "quiver_hybrid: option \"depth\" given twice");
  CHECK(err("'v', 'f', '[1, 0]', 'a', 5, 'depth'") == "quiver_hybrid: malformed option \"depth\" (expected name=value)");
  CHECK(err("'v', 'f', '[1, 0]', 'a', 5, NULL, 'note = 1'") ==
        "quiver_hybrid: the filter names \"note\", an auxiliary column of \"v\": only metadata columns are filtered inside the search");
  CHECK(err("'v', 'f', '[1, 0]', 'a', 5, NULL, 'body = 1'") ==
        "quiver_hybrid: the filter names \"body\", which is not a metadata column of \"v\"");
  CHECK(err("'v', 'f', '[1, 0]', 'a', 5, NULL, 'lang = '") ==
        "quiver_hybrid: expected a value (a number, a 'string' or NULL) in the filter, not the end");
  CHECK(err("'v', 'f', '[1, 0]', 'a', 5, NULL, 'lang = 1; DROP TABLE v'") == "quiver_hybrid: unexpected \";\" in the filter");
  CHECK(err("'v', 'f', '[1, 0]', 'a', 5, NULL, 'lang = lower(''x'')'") ==
        "quiver_hybrid: expected a value (a number, a 'string' or NULL) in the filter, not \"lower('x')\"");
  CHECK(err("'v', 'f', '[1, 0]', 'a', 5, NULL, 'lang = ''en'' OR lang = ''de'''") ==
        "quiver_hybrid: expected AND in the filter, not \"OR lang = 'de'\"");
  CHECK(err("'v', 'f', '[1, 0]', 'a', 5, NULL, 'lang = ''en'") == "quiver_hybrid: unterminated string in the filter");
  CHECK(err("'v', 'f', '[1, 0]', 'a', 5, NULL, 'lang IN (1, 2'") ==
        "quiver_hybrid: expected \",\" or \")\" in the filter, not the end");
  // Errors of either search come through as they are.
  CHECK(err("'v', 'f', '[1, 0, 0]', 'a', 5") == "quiver: dimension mismatch: expected 2, got 3");
  CHECK(err("'v', 'f', '[1, 0]', 'a AND', 5").find("fts5: syntax error") == 0);
  CHECK(err("'v', 'f', '[1, 0]', 'a', 5, 'probes=2'").find("probes") != std::string::npos);
}
