#include "hybrid_args.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "table_spec.h"

namespace quiver {
namespace {

bool is_blank(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// A finite number, all of `text`.
bool parse_number(const std::string& text, double* out) {
  if (text.empty() || is_blank(text[0])) return false;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

// An integer written in decimal digits, all of `text`, from min to max.
bool parse_integer(const std::string& text, int64_t min, int64_t max, int64_t* out) {
  if (text.empty() || text.size() > 18) return false;
  for (char c : text)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  long long v = std::strtoll(text.c_str(), nullptr, 10);
  if (v < min || v > max) return false;
  *out = v;
  return true;
}

// ---- the filter's tokens ----------------------------------------------------------

struct Token {
  enum Kind { End, Word, Quoted, String, Number, Symbol } kind = End;
  std::string text;  // the word, the string's value, the number or the symbol as written
  size_t at = 0;     // offset in the filter, for errors
};

class FilterLexer {
 public:
  explicit FilterLexer(const std::string& text) : text_(text) {}

  // The next token, or an error.
  Status next(Token* t) {
    while (pos_ < text_.size() && is_blank(text_[pos_])) ++pos_;
    *t = Token();
    t->at = pos_;
    if (pos_ >= text_.size()) return Status();
    char c = text_[pos_];
    std::string rest = text_.substr(pos_);
    if (c == '\'') {
      t->kind = Token::String;
      for (size_t i = pos_ + 1; i < text_.size(); ++i) {
        if (text_[i] != '\'') { t->text.push_back(text_[i]); continue; }
        if (i + 1 < text_.size() && text_[i + 1] == '\'') { t->text.push_back('\''); ++i; continue; }
        pos_ = i + 1;
        return Status();
      }
      return Status::error("unterminated string in the filter");
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
        ((c == '-' || c == '+') && pos_ + 1 < text_.size() &&
         (std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])) || text_[pos_ + 1] == '.'))) {
      size_t end = pos_ + 1;
      while (end < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[end])) || text_[end] == '.' ||
                                    ((text_[end] == '-' || text_[end] == '+') &&
                                     (text_[end - 1] == 'e' || text_[end - 1] == 'E'))))
        ++end;
      t->kind = Token::Number;
      t->text = text_.substr(pos_, end - pos_);
      pos_ = end;
      return Status();
    }
    std::string name;
    if (size_t n = parse_identifier(rest, &name)) {
      t->kind = c == '"' || c == '`' || c == '[' ? Token::Quoted : Token::Word;
      t->text = name;
      pos_ += n;
      return Status();
    }
    if (c == '"' || c == '`' || c == '[') return Status::error("unterminated name in the filter");
    static const char* const kSymbols[] = {"==", "!=", "<>", "<=", ">=", "=", "<", ">", "(", ")", ","};
    for (const char* s : kSymbols) {
      if (rest.compare(0, std::char_traits<char>::length(s), s) == 0) {
        t->kind = Token::Symbol;
        t->text = s;
        pos_ += t->text.size();
        return Status();
      }
    }
    return Status::error("unexpected \"" + std::string(1, c) + "\" in the filter");
  }

 private:
  const std::string& text_;
  size_t pos_ = 0;
};

bool is_keyword(const Token& t, const char* word) { return t.kind == Token::Word && upper(t.text) == word; }

class FilterParser {
 public:
  explicit FilterParser(const std::string& text) : text_(text), lexer_(text) {}

  Status parse(std::vector<FilterCondition>* out) {
    out->clear();
    Status s = advance();
    if (!s.ok() || token_.kind == Token::End) return s;
    for (;;) {
      FilterCondition c;
      if (!(s = condition(&c)).ok()) return s;
      out->push_back(std::move(c));
      if (token_.kind == Token::End) return Status();
      if (!is_keyword(token_, "AND")) return unexpected("AND");
      if (!(s = advance()).ok()) return s;
    }
  }

 private:
  Status advance() { return lexer_.next(&token_); }

  Status unexpected(const char* wanted) {
    std::string near = token_.kind == Token::End ? "the end" : "\"" + text_.substr(token_.at, 20) + "\"";
    return Status::error(std::string("expected ") + wanted + " in the filter, not " + near);
  }

  Status condition(FilterCondition* c) {
    if (token_.kind != Token::Word && token_.kind != Token::Quoted) return unexpected("a column name");
    c->column = token_.text;
    Status s = advance();
    if (!s.ok()) return s;
    if (is_keyword(token_, "IS")) {
      if (!(s = advance()).ok()) return s;
      c->op = "IS";
      if (is_keyword(token_, "NOT")) {
        c->op = "IS NOT";
        if (!(s = advance()).ok()) return s;
      }
      return value(c);
    }
    if (is_keyword(token_, "IN")) {
      c->op = "IN";
      if (!(s = advance()).ok()) return s;
      if (token_.text != "(" || token_.kind != Token::Symbol) return unexpected("\"(\"");
      if (!(s = advance()).ok()) return s;
      for (;;) {
        if (!(s = value(c)).ok()) return s;
        if (token_.kind == Token::Symbol && token_.text == ")") return advance();
        if (token_.kind != Token::Symbol || token_.text != ",") return unexpected("\",\" or \")\"");
        if (!(s = advance()).ok()) return s;
      }
    }
    if (is_keyword(token_, "LIKE") || is_keyword(token_, "GLOB")) {
      c->op = upper(token_.text);
    } else if (token_.kind == Token::Symbol && token_.text != "(" && token_.text != ")" && token_.text != ",") {
      c->op = token_.text == "==" ? "=" : token_.text == "<>" ? "!=" : token_.text;
    } else {
      return unexpected("an operator");
    }
    if (!(s = advance()).ok()) return s;
    return value(c);
  }

  // Appends the value at the current token to c->values.
  Status value(FilterCondition* c) {
    FilterValue v;
    if (token_.kind == Token::String) {
      v.kind = FilterValue::Text;
      v.s = token_.text;
    } else if (token_.kind == Token::Number) {
      std::string digits = token_.text;
      bool negative = digits[0] == '-';
      if (digits[0] == '-' || digits[0] == '+') digits.erase(0, 1);
      int64_t i;
      if (parse_integer(digits, 0, INT64_MAX, &i)) {
        v.kind = FilterValue::Integer;
        v.i = negative ? -i : i;
      } else if (parse_number(token_.text, &v.d)) {
        v.kind = FilterValue::Real;
      } else {
        return Status::error("malformed number \"" + token_.text + "\" in the filter");
      }
    } else if (is_keyword(token_, "NULL")) {
      v.kind = FilterValue::Null;
    } else {
      return unexpected("a value (a number, a 'string' or NULL)");
    }
    c->values.push_back(std::move(v));
    return advance();
  }

  const std::string& text_;
  FilterLexer lexer_;
  Token token_;
};

}  // namespace

Status parse_hybrid_options(const std::string& text, int64_t max_depth, int64_t max_probes, HybridOptions* out) {
  HybridOptions o;
  std::vector<std::string> seen;
  size_t i = 0;
  while (i < text.size()) {
    if (is_blank(text[i]) || text[i] == ',') { ++i; continue; }
    size_t end = i;
    while (end < text.size() && !is_blank(text[end]) && text[end] != ',') ++end;
    std::string item = text.substr(i, end - i);
    i = end;
    size_t eq = item.find('=');
    if (eq == std::string::npos) return Status::error("malformed option \"" + item + "\" (expected name=value)");
    std::string name = item.substr(0, eq), value = item.substr(eq + 1);
    for (const std::string& s : seen)
      if (s == name) return Status::error("option \"" + name + "\" given twice");
    seen.push_back(name);
    double number = 0;
    if (name == "rank_constant") {
      if (!parse_number(value, &number) || number < 0)
        return Status::error("rank_constant must be a number >= 0, got \"" + value + "\"");
      o.fusion.constant = number;
    } else if (name == "vector_weight" || name == "text_weight") {
      if (!parse_number(value, &number) || !(number > 0))
        return Status::error(name + " must be a number > 0, got \"" + value + "\"");
      (name == "vector_weight" ? o.fusion.vector_weight : o.fusion.text_weight) = number;
    } else if (name == "depth" || name == "probes") {
      int64_t max = name == "depth" ? max_depth : max_probes;
      if (!parse_integer(value, 1, max, name == "depth" ? &o.depth : &o.probes))
        return Status::error(name + " must be an integer from 1 to " + std::to_string(max) + ", got \"" + value +
                             "\"");
    } else {
      return Status::error("unknown option \"" + name + "\"");
    }
  }
  *out = o;
  return Status();
}

Status parse_hybrid_filter(const std::string& text, std::vector<FilterCondition>* out) {
  return FilterParser(text).parse(out);
}

}  // namespace quiver
