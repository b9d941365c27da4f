// xBestIndex for the `quiver` module: which plan (plan.h) runs a query,
// which constraints it takes from SQLite, and at what cost; and xFindFunction,
// which turns a misplaced MATCH into an error that says how to write it.
#include <algorithm>
#include <string>
#include <vector>

#include "guard.h"
#include "plan.h"
#include "virtual_table.h"

namespace quiver {
namespace {

// The plan's operator for an SQLite constraint; false if it has none.
bool constraint_op(int op, Op* out) {
  switch (op) {
    case SQLITE_INDEX_CONSTRAINT_EQ: *out = Op::Eq; return true;
    case SQLITE_INDEX_CONSTRAINT_NE: *out = Op::Ne; return true;
    case SQLITE_INDEX_CONSTRAINT_LT: *out = Op::Lt; return true;
    case SQLITE_INDEX_CONSTRAINT_LE: *out = Op::Le; return true;
    case SQLITE_INDEX_CONSTRAINT_GT: *out = Op::Gt; return true;
    case SQLITE_INDEX_CONSTRAINT_GE: *out = Op::Ge; return true;
    case SQLITE_INDEX_CONSTRAINT_IS: *out = Op::Is; return true;
    case SQLITE_INDEX_CONSTRAINT_ISNOT: *out = Op::IsNot; return true;
    case SQLITE_INDEX_CONSTRAINT_ISNULL: *out = Op::IsNull; return true;
    case SQLITE_INDEX_CONSTRAINT_ISNOTNULL: *out = Op::IsNotNull; return true;
    case SQLITE_INDEX_CONSTRAINT_LIKE: *out = Op::Like; return true;
    case SQLITE_INDEX_CONSTRAINT_GLOB: *out = Op::Glob; return true;
    case SQLITE_INDEX_CONSTRAINT_REGEXP: *out = Op::Regexp; return true;
    default: return false;
  }
}

// The constraint xFindFunction makes of `<query> MATCH e` (operands
// reversed): offered to xBestIndex so that it can say what is wrong.
constexpr int kMisplacedMatch = SQLITE_INDEX_CONSTRAINT_FUNCTION;

std::string misplaced_match_message(const VirtualTable* t) {
  return "use MATCH as \"" + t->spec.vector_column + " MATCH <query vector>\", joined to the other conditions by AND";
}

// A rowid or metadata constraint evaluated by the filter SQL, with the
// collation SQLite compares it with; false if the filter cannot express it.
bool filter_arg(sqlite3_index_info* info, int i, ArgKind kind, int column, PlanArg* out) {
  Op op;
  if (!constraint_op(info->aConstraint[i].op, &op)) return false;
  *out = PlanArg{kind, op, column, ""};
  // SQLite reports BINARY for the operators it passes only to virtual
  // tables (!=, IS NOT, LIKE, GLOB, REGEXP, IS NOT NULL), whatever COLLATE
  // says: the search filters != and IS NOT with BINARY, which lets through
  // every row the actual collation would, and SQLite checks them again
  // (x_best_index). LIKE, GLOB and REGEXP are functions no collation changes.
  if (op == Op::Eq || op == Op::Lt || op == Op::Le || op == Op::Gt || op == Op::Ge || op == Op::Is) {
    const char* collation = sqlite3_vtab_collation(info, i);
    if (collation && sqlite3_stricmp(collation, "BINARY") != 0) {
      if (!plan_collation_ok(collation)) return false;
      out->collation = collation;
    }
  }
  if (op == Op::Eq && sqlite3_vtab_in(info, i, -1)) {
    sqlite3_vtab_in(info, i, 1);  // the whole list in one xFilter
    out->op = Op::In;
  }
  return true;
}

// xFindFunction: MATCH evaluated by SQLite on a quiver column (reversed
// operands, a column other than the vector, MATCH under OR) is an error
// that says how to write it; returning a constraint code also offers the
// reversed form to xBestIndex, which reports it before any other error.
void misplaced_match(sqlite3_context* ctx, int, sqlite3_value**) {
  try {
    std::string message = "quiver: " + misplaced_match_message(static_cast<const VirtualTable*>(sqlite3_user_data(ctx)));
    sqlite3_result_error(ctx, message.c_str(), -1);
  } catch (...) {
    sqlite3_result_error_nomem(ctx);
  }
}

}  // namespace

// Plans (see plan.h). Costs steer SQLite's choice among the plans it tries:
//  - a search is cheaper than two rowid lookups, so an OR-by-union of
//    lookups (which would leave MATCH to SQLite) never beats it;
//  - k, probes or a distance bound without a usable MATCH get a plan that
//    is never preferred and that xFilter reports as an error, so that only
//    a query that really lacks the MATCH fails;
//  - an unusable MATCH (it depends on a table not yet in the loop) refuses
//    the plan: SQLite tries another join order.
// LIMIT and OFFSET shorten a search only when the table also delivers the
// order SQLite asked for (distance ascending, ties by rowid) or none.
int x_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  return guard(vtab, [&] {
    VirtualTable* t = table_of(vtab);
    Plan plan;
    struct Use {
      int constraint;
      PlanArg arg;
    };
    std::vector<Use> uses, limits, search_only;
    bool has_match = false, unusable_match = false, has_rowid_eq = false;
    // For `x LIKE 'a%'` and GLOB SQLite adds x >= 'a' AND x < 'b', which hold
    // for text only (a blob x can match the LIKE): the LIKE alone decides.
    std::vector<int> patterned;
    for (int i = 0; i < info->nConstraint; ++i)
      if (info->aConstraint[i].usable && (info->aConstraint[i].op == SQLITE_INDEX_CONSTRAINT_LIKE ||
                                          info->aConstraint[i].op == SQLITE_INDEX_CONSTRAINT_GLOB))
        patterned.push_back(info->aConstraint[i].iColumn);
    for (int i = 0; i < info->nConstraint; ++i) {
      const auto& c = info->aConstraint[i];
      if ((c.op == SQLITE_INDEX_CONSTRAINT_GE || c.op == SQLITE_INDEX_CONSTRAINT_LT) &&
          std::find(patterned.begin(), patterned.end(), c.iColumn) != patterned.end())
        continue;
      if (c.iColumn == t->vector_position && c.op == kMisplacedMatch) fail(misplaced_match_message(t));
      if (c.op == SQLITE_INDEX_CONSTRAINT_MATCH && c.iColumn == t->vector_position) {
        if (!c.usable) {
          unusable_match = true;
        } else if (!has_match) {
          has_match = true;
          uses.push_back({i, {ArgKind::Query, Op::Eq, -1, ""}});
        }
        continue;
      }
      if (!c.usable) continue;
      PlanArg arg;
      if (c.op == SQLITE_INDEX_CONSTRAINT_LIMIT) {
        limits.push_back({i, {ArgKind::Limit, Op::Eq, -1, ""}});
      } else if (c.op == SQLITE_INDEX_CONSTRAINT_OFFSET) {
        limits.push_back({i, {ArgKind::Offset, Op::Eq, -1, ""}});
      } else if (c.iColumn == t->k_column() && c.op == SQLITE_INDEX_CONSTRAINT_EQ) {
        search_only.push_back({i, {ArgKind::K, Op::Eq, -1, ""}});
      } else if (c.iColumn == t->probes_column() && c.op == SQLITE_INDEX_CONSTRAINT_EQ) {
        search_only.push_back({i, {ArgKind::Probes, Op::Eq, -1, ""}});
      } else if (c.iColumn == t->distance_column() &&
                 (c.op == SQLITE_INDEX_CONSTRAINT_LT || c.op == SQLITE_INDEX_CONSTRAINT_LE)) {
        search_only.push_back({i, {ArgKind::Distance, c.op == SQLITE_INDEX_CONSTRAINT_LT ? Op::Lt : Op::Le, -1, ""}});
      } else if (c.iColumn == -1) {
        // rowid constraints: = and IN look rows up, the rest filter inside
        // the scan, as metadata does.
        if (!filter_arg(info, i, ArgKind::Rowid, -1, &arg)) continue;
        if (arg.op == Op::Eq || arg.op == Op::In) has_rowid_eq = true;
        uses.push_back({i, arg});
      } else {
        int v = t->value_index(c.iColumn);
        if (v < 0 || t->spec.columns[v].auxiliary) continue;
        if (filter_arg(info, i, ArgKind::Metadata, v, &arg)) uses.push_back({i, arg});
      }
    }
    if (unusable_match && !has_match) return SQLITE_CONSTRAINT;  // wait for the outer loop

    bool search = has_match || !search_only.empty();
    bool has_k = false;
    for (const Use& u : search_only) has_k = has_k || u.arg.kind == ArgKind::K;
    // The order a search delivers: distance ascending, ties by rowid.
    bool order_delivered =
        info->nOrderBy >= 1 && info->aOrderBy[0].iColumn == t->distance_column() && !info->aOrderBy[0].desc &&
        (info->nOrderBy == 1 || (info->nOrderBy == 2 && info->aOrderBy[1].iColumn == -1 && !info->aOrderBy[1].desc));
    // != and IS NOT are checked again by SQLite (filter_arg), which could
    // remove rows after a LIMIT cut.
    bool rechecked = false;
    for (const Use& u : uses) rechecked = rechecked || u.arg.op == Op::Ne || u.arg.op == Op::IsNot;
    bool use_limits = has_match && !rechecked && (info->nOrderBy == 0 || order_delivered);
    if (!has_match && search) uses.clear();  // the plan is an error: only its reason matters
    if (search) uses.insert(uses.end(), search_only.begin(), search_only.end());
    if (use_limits) uses.insert(uses.end(), limits.begin(), limits.end());
    plan.mode = search ? PlanMode::Search : has_rowid_eq ? PlanMode::Rowid : PlanMode::FullScan;

    int argv_index = 0;
    for (const Use& u : uses) {
      plan.args.push_back(u.arg);
      info->aConstraintUsage[u.constraint].argvIndex = ++argv_index;
      // LIMIT and OFFSET stay SQLite's to apply: the search returns
      // LIMIT + OFFSET rows from the top.
      bool double_checked = u.arg.kind == ArgKind::Limit || u.arg.kind == ArgKind::Offset || u.arg.op == Op::Ne || u.arg.op == Op::IsNot;
      info->aConstraintUsage[u.constraint].omit = double_checked ? 0 : 1;
    }
    if (!has_match && search) {
      info->estimatedCost = 1e18;
      info->estimatedRows = 1;
    } else if (search) {
      if (order_delivered) info->orderByConsumed = 1;
      bool bounded = has_k || (use_limits && !limits.empty());
      for (const Use& u : uses) bounded = bounded || u.arg.kind == ArgKind::Distance;
      info->estimatedCost = bounded ? 1 : 5;
      info->estimatedRows = bounded ? 10 : 1000;
      // k counts rows before SQLite applies what the search did not take.
      if (has_k) plan.note = "(k nearest first; conditions not listed here filter those k rows afterwards)";
    } else {
      info->estimatedCost = plan.mode == PlanMode::Rowid ? 10 : 1e6 / (1.0 + static_cast<double>(plan.args.size()));
      info->estimatedRows = plan.mode == PlanMode::Rowid ? 1 : 100000;
      if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == -1 && !info->aOrderBy[0].desc)
        info->orderByConsumed = 1;
    }
    std::string idx = encode_plan(plan);
    info->idxStr = sqlite3_mprintf("%s", idx.c_str());
    if (!info->idxStr) throw std::bad_alloc();
    info->needToFreeIdxStr = 1;
    info->idxNum = static_cast<int>(plan.mode);
    return SQLITE_OK;
  });
}

int x_find_function(sqlite3_vtab* vtab, int argc, const char* name,
                    void (**function)(sqlite3_context*, int, sqlite3_value**), void** user_data) {
  if (argc != 2 || sqlite3_stricmp(name, "match") != 0) return 0;
  *function = misplaced_match;
  *user_data = vtab;
  return kMisplacedMatch;
}


}  // namespace quiver
