#include "knn_check.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "fuzz_db.h"

namespace fuzz {

namespace {

std::string show(const std::vector<Scored>& rows) {
  std::ostringstream o;
  o.precision(17);
  o << rows.size() << " rows:";
  for (const Scored& s : rows) o << " " << s.rowid << "@" << s.distance;
  return o.str();
}

}  // namespace

void check_answer(const std::vector<Scored>& answer, const Expectation& e, const std::string& query) {
  const double tol = e.tolerance;
  auto passes = [&](double d, double slack) { return e.inclusive ? d <= e.bound + slack : d < e.bound + slack; };
  // Rows that pass the bound for sure, and rows that may pass given rounding:
  // both prefixes of the reference.
  size_t sure = 0, maybe = 0;
  for (const Scored& s : e.reference) {
    if (!e.bounded || passes(s.distance, tol > 0 ? -tol : 0)) ++sure;
    if (!e.bounded || passes(s.distance, tol)) ++maybe;
  }
  auto slice = [&](size_t n) { return std::min(e.limit, n > e.offset ? n - e.offset : 0); };

  auto complain = [&](const std::string& what) {
    std::vector<Scored> expected(e.reference.begin() + static_cast<std::ptrdiff_t>(std::min(e.offset, maybe)),
                                 e.reference.begin() + static_cast<std::ptrdiff_t>(std::min(maybe, e.offset + slice(maybe))));
    fail(what + "\n  query: " + query + "\n  answer: " + show(answer) + "\n  expected: " + show(expected) +
         "\n  all candidates: " + show(e.reference));
  };

  std::unordered_map<int64_t, double> distance_of;
  for (const Scored& s : e.reference) distance_of[s.rowid] = s.distance;
  std::unordered_set<int64_t> seen;
  for (size_t i = 0; i < answer.size(); ++i) {
    const Scored& a = answer[i];
    auto it = distance_of.find(a.rowid);
    if (it == distance_of.end()) complain("row " + std::to_string(a.rowid) + " should not be there");
    if (!seen.insert(a.rowid).second) complain("row " + std::to_string(a.rowid) + " comes twice");
    if (!(std::fabs(a.distance - it->second) <= tol)) complain("row " + std::to_string(a.rowid) + " has the wrong distance");
    if (e.bounded && !passes(a.distance, 0)) complain("row " + std::to_string(a.rowid) + " is beyond the bound");
    if (e.ordered && i > 0 && (a.distance < answer[i - 1].distance ||
                               (tol == 0 && a.distance == answer[i - 1].distance && a.rowid < answer[i - 1].rowid)))
      complain("rows out of order at " + std::to_string(i));
  }

  if (!e.exact) {
    // Without a bound, an approximate index still returns as many rows as
    // the query asks for, while rows remain.
    if (!e.bounded && answer.size() != slice(e.reference.size())) complain("an approximate answer came short");
    if (answer.size() > slice(maybe)) complain("too many rows");
    return;
  }
  if (answer.size() < slice(sure) || answer.size() > slice(maybe)) complain("wrong number of rows");
  for (size_t i = 0; i < answer.size(); ++i) {
    const Scored& want = e.reference[e.offset + i];
    if (tol == 0 ? answer[i].rowid != want.rowid || answer[i].distance != want.distance
                 : !(std::fabs(answer[i].distance - want.distance) <= 2 * tol))
      complain("row " + std::to_string(i) + " of the answer differs from the reference");
  }
}

}  // namespace fuzz
