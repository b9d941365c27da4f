#include "plan.h"

#include <cstring>

namespace quiver {

namespace {

bool valid_op(char kind, char op) {
  switch (static_cast<ArgKind>(kind)) {
    case ArgKind::Query: case ArgKind::K: case ArgKind::Probes: case ArgKind::Limit: case ArgKind::Offset:
      return op == static_cast<char>(Op::Eq);
    case ArgKind::Distance: return op == static_cast<char>(Op::Lt) || op == static_cast<char>(Op::Le);
    case ArgKind::Rowid:
    case ArgKind::Metadata: return op && std::strchr("=!<L>GsSnNilgx", op) != nullptr;
  }
  return false;
}

}  // namespace

bool plan_collation_ok(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name)
    if (c == '(' || c == ')' || c == ' ' || c == '\0') return false;
  return true;
}

std::string encode_plan(const Plan& plan) {
  std::string s(1, static_cast<char>(plan.mode));
  for (const PlanArg& a : plan.args) {
    s += static_cast<char>(a.kind);
    s += static_cast<char>(a.op);
    if (a.column < 0) {
      s += "--";
    } else {
      s += static_cast<char>('0' + a.column / 10);
      s += static_cast<char>('0' + a.column % 10);
    }
    if (!a.collation.empty()) s += "(" + a.collation + ")";
  }
  if (!plan.note.empty()) s += " " + plan.note;
  return s;
}

Status decode_plan(const char* text, Plan* out) {
  Plan plan;
  size_t n = 0;
  if (text)
    while (text[n] && text[n] != ' ') ++n;
  if (n == 0 || !std::strchr("FRK", text[0])) return Status::error("malformed plan");
  plan.mode = static_cast<PlanMode>(text[0]);
  for (size_t i = 1; i < n;) {
    if (n - i < 4) return Status::error("malformed plan");
    if (!valid_op(text[i], text[i + 1])) return Status::error("malformed plan");
    PlanArg a;
    a.kind = static_cast<ArgKind>(text[i]);
    a.op = static_cast<Op>(text[i + 1]);
    if (text[i + 2] == '-' && text[i + 3] == '-') {
      if (a.kind == ArgKind::Metadata) return Status::error("malformed plan");
    } else if (a.kind == ArgKind::Metadata && text[i + 2] >= '0' && text[i + 2] <= '9' && text[i + 3] >= '0' && text[i + 3] <= '9') {
      a.column = (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
    } else {
      return Status::error("malformed plan");
    }
    i += 4;
    if (i < n && text[i] == '(') {
      const char* close = static_cast<const char*>(std::memchr(text + i, ')', n - i));
      if (!close) return Status::error("malformed plan");
      a.collation.assign(text + i + 1, close);
      if (!plan_collation_ok(a.collation)) return Status::error("malformed plan");
      i = static_cast<size_t>(close - text) + 1;
    }
    plan.args.push_back(std::move(a));
  }
  if (text[n] == ' ') plan.note = text + n + 1;
  *out = std::move(plan);
  return Status();
}

}  // namespace quiver
