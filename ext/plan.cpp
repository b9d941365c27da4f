#include "plan.h"

#include <cstring>

namespace quiver {

namespace {

bool valid_op(char kind, char op) {
  switch (kind) {
    case 'q': case 'k': case 'p': case 'l': case 'o': return op == '=';
    case 'd': return op == '<' || op == 'L';
    case 'r':
    case 'm': return op && std::strchr("=!<L>GsSnNi", op) != nullptr;
    default: return false;
  }
}

}  // namespace

std::string encode_plan(const Plan& plan) {
  std::string s(1, static_cast<char>(plan.mode));
  for (const PlanArg& a : plan.args) {
    s += a.kind;
    s += a.op;
    if (a.column < 0) {
      s += "--";
    } else {
      s += static_cast<char>('0' + a.column / 10);
      s += static_cast<char>('0' + a.column % 10);
    }
  }
  return s;
}

Status decode_plan(const char* text, Plan* out) {
  Plan plan;
  size_t n = text ? std::strlen(text) : 0;
  if (n == 0 || (n - 1) % 4 != 0 || !std::strchr("FRK", text[0])) return Status::error("malformed plan");
  plan.mode = static_cast<PlanMode>(text[0]);
  for (size_t i = 1; i < n; i += 4) {
    PlanArg a;
    a.kind = text[i];
    a.op = text[i + 1];
    if (!valid_op(a.kind, a.op)) return Status::error("malformed plan");
    if (text[i + 2] == '-' && text[i + 3] == '-') {
      if (a.kind == 'm') return Status::error("malformed plan");
    } else if (a.kind == 'm' && text[i + 2] >= '0' && text[i + 2] <= '9' && text[i + 3] >= '0' && text[i + 3] <= '9') {
      a.column = (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
    } else {
      return Status::error("malformed plan");
    }
    plan.args.push_back(a);
  }
  *out = std::move(plan);
  return Status();
}

}  // namespace quiver
