#include "table_search.h"

#include <cmath>
#include <string>

#include "errors.h"
#include "sql_value.h"

namespace quiver {
namespace {

// A plan in search mode without a query: k, probes or a distance bound
// that no MATCH goes with.
[[noreturn]] void fail_without_match(const VirtualTable* t, const Plan& plan) {
  const char* what = "k";
  for (const PlanArg& a : plan.args)
    if (a.kind == ArgKind::K) break;
    else if (a.kind == ArgKind::Probes) what = "probes";
    else if (a.kind == ArgKind::Distance) what = "a distance bound";
  fail(std::string(what) + " needs a MATCH constraint on " + t->spec.vector_column);
}

// k or probes given twice must agree.
int64_t single_value(const char* name, int64_t previous, int64_t value) {
  if (previous >= 0 && previous != value)
    fail(std::string(name) + " is given twice (" + std::to_string(previous) + " and " + std::to_string(value) + ")");
  return value;
}

}  // namespace

TableSearch::TableSearch(VirtualTable* t, const Plan& plan, int argc, sqlite3_value** argv)
    : lists_(*t->store, *t->ivf) {
  sqlite3_value* query = nullptr;
  for (int i = 0; i < argc; ++i)
    if (plan.args[i].kind == ArgKind::Query) query = argv[i];
  if (!query) fail_without_match(t, plan);
  DecodedVector decoded;
  decode_query(t, query, &decoded);
  knn_.reset(new KnnSearch(lists_, t->spec.metric, decoded.view, active_kernels()));
  knn_->set_rescore(t->spec.rescore);

  int64_t k = -1, limit = -1, offset = 0, probes = -1;
  std::vector<RowCondition> conditions;
  for (int i = 0; i < argc; ++i) {
    const PlanArg& a = plan.args[i];
    sqlite3_value* v = argv[i];
    switch (a.kind) {
      case ArgKind::Query: break;
      case ArgKind::K:
        k = single_value("k", k, integer_argument(v, "quiver: k", 1, kMaxK));
        if (k_value_) break;
        k_value_.reset(sqlite3_value_dup(v));
        if (!k_value_) throw std::bad_alloc();
        break;
      case ArgKind::Probes:
        if (!t->ivf->enabled()) fail("probes applies to index=ivf only");
        probes = single_value("probes", probes, integer_argument(v, "quiver: probes", 1, kMaxLists));
        knn_->set_probes(static_cast<size_t>(probes));
        break;
      case ArgKind::Limit: limit = sqlite3_value_int64(v); break;
      case ArgKind::Offset: offset = std::max<int64_t>(0, sqlite3_value_int64(v)); break;
      case ArgKind::Distance: {
        int type = sqlite3_value_numeric_type(v);
        double d = sqlite3_value_double(v);
        if ((type != SQLITE_INTEGER && type != SQLITE_FLOAT) || std::isnan(d)) fail("distance bound must be a number");
        knn_->set_bound(d, a.op == Op::Le);
        break;
      }
      case ArgKind::Rowid:
      case ArgKind::Metadata: conditions.push_back({a, v}); break;
    }
  }
  if (!conditions.empty()) knn_->set_filter(std::unique_ptr<RowFilter>(new StoredRowFilter(*t->store, conditions)));

  int64_t wanted = k;
  if (limit >= 0) {
    // Both may be near INT64_MAX (SQLite 3.41+ passes them): no overflow.
    int64_t from_limit = offset >= kMaxK || limit >= kMaxK - offset ? kMaxK : limit + offset;
    wanted = wanted < 0 ? from_limit : std::min(wanted, from_limit);
  }
  if (wanted == 0) return;
  if (wanted > 0 || knn_->bounded()) {
    hits_ = knn_->nearest(wanted > 0 ? static_cast<size_t>(wanted) : kUnlimited);
  } else {
    streaming_ = true;
    hits_ = knn_->next_batch();
  }
}

void TableSearch::next() {
  if (++position_ < hits_.size() || !streaming_) return;
  hits_ = knn_->next_batch();
  position_ = 0;
}

}  // namespace quiver
