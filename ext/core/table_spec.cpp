#include "table_spec.h"

#include "quantize.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace quiver {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

bool iequals(const std::string& a, const char* b) {
  size_t i = 0;
  for (; i < a.size() && b[i]; ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return i == a.size() && b[i] == 0;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Splits "a b  c" into words, keeping quoted identifiers whole.
std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    if (is_space(text[i])) { ++i; continue; }
    std::string word;
    size_t n = parse_identifier(text.substr(i), &word);
    if (n > 0 && (text[i] == '"' || text[i] == '`' || text[i] == '[')) {
      words.push_back(text.substr(i, n));
      i += n;
      continue;
    }
    size_t j = i;
    while (j < text.size() && !is_space(text[j])) ++j;
    words.push_back(text.substr(i, j - i));
    i = j;
  }
  return words;
}

Status parse_uint(const std::string& option, const std::string& value, uint32_t min, uint32_t max,
                  uint32_t* out) {
  bool digits = !value.empty() && value.size() <= 10;
  for (char c : value) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  unsigned long long v = digits ? std::strtoull(value.c_str(), nullptr, 10) : 0;
  if (!digits || v < min || v > max)
    return Status::error(option + " must be an integer from " + std::to_string(min) + " to " +
                         std::to_string(max) + ", got \"" + value + "\"");
  *out = static_cast<uint32_t>(v);
  return Status();
}

Status parse_metric(const std::string& value, Metric* out) {
  std::string v = lower(value);
  if (v == "cosine") *out = Metric::Cosine;
  else if (v == "dot") *out = Metric::Dot;
  else if (v == "l2") *out = Metric::L2;
  else if (v == "hamming") *out = Metric::Hamming;
  else return Status::error("unknown distance \"" + value + "\" (expected cosine, dot, l2 or hamming)");
  return Status();
}

// A table or column name for content= or content_rowid=: an identifier, bare
// or quoted ('docs' too, as FTS5 takes it), alone. A schema-qualified name is
// refused: the content table is the one in the index's own schema.
Status parse_table_name(const std::string& option, const std::string& value, std::string* out) {
  std::string name;
  size_t n = 0;
  if (value[0] == '\'') {
    for (n = 1; n < value.size(); ++n) {
      if (value[n] != '\'') { name.push_back(value[n]); continue; }
      if (n + 1 < value.size() && value[n + 1] == '\'') { name.push_back('\''); ++n; continue; }
      ++n;
      break;
    }
  } else {
    n = parse_identifier(value, &name);
  }
  if (n == value.size() && !name.empty()) {
    *out = name;
    return Status();
  }
  if (n > 0 && n < value.size() && value[n] == '.' && option == "content")
    return Status::error("content takes a table name without a schema, got \"" + value +
                         "\" (the content table is the one in the index's own schema)");
  return Status::error(option + " must be a name, got \"" + value + "\"");
}

Status parse_option(const std::string& key, const std::string& value, TableSpec* spec) {
  if (value.empty()) return Status::error("option " + key + " needs a value");
  if (key == "index") {
    std::string v = lower(value);
    if (v == "flat") spec->index = IndexKind::Flat;
    else if (v == "ivf") spec->index = IndexKind::Ivf;
    else return Status::error("unknown index \"" + value + "\" (expected flat or ivf)");
    return Status();
  }
  if (key == "train") {
    std::string v = lower(value);
    if (v == "auto") spec->auto_train = true;
    else if (v == "manual") spec->auto_train = false;
    else return Status::error("unknown train \"" + value + "\" (expected auto or manual)");
    return Status();
  }
  if (key == "content") return parse_table_name("content", value, &spec->content_table);
  if (key == "content_rowid") return parse_table_name("content_rowid", value, &spec->content_rowid);
  if (key == "lists") return parse_uint("lists", value, 1, kMaxLists, &spec->lists);
  if (key == "probes") return parse_uint("probes", value, 1, kMaxLists, &spec->probes);
  if (key == "cache_mb") return parse_uint("cache_mb", value, 0, kMaxCacheMb, &spec->cache_mb);
  if (key == "quantize") {
    std::string v = lower(value);
    if (v == "int8") spec->quantize = Quantization::Int8;
    else if (v == "bit") spec->quantize = Quantization::Bit;
    else return Status::error("unknown quantize \"" + value + "\" (expected int8 or bit)");
    return Status();
  }
  if (key == "rescore") return parse_uint("rescore", value, 1, kMaxRescore, &spec->rescore);
  return Status::error("unknown option \"" + key + "\"");
}

// "float[384]" -> Float32, 384.
bool parse_vector_type(const std::string& word, ElementType* type, std::string* dims_text) {
  size_t open = word.find('[');
  if (open == std::string::npos || word.back() != ']') return false;
  std::string base = lower(word.substr(0, open));
  if (base == "float" || base == "float32" || base == "f32") *type = ElementType::Float32;
  else if (base == "float16" || base == "f16") *type = ElementType::Float16;
  else if (base == "bfloat16" || base == "bf16") *type = ElementType::BFloat16;
  else if (base == "int8" || base == "i8") *type = ElementType::Int8;
  else if (base == "bit") *type = ElementType::Bit;
  else return false;
  *dims_text = trim(word.substr(open + 1, word.size() - open - 2));
  return true;
}

Status parse_vector_column(const std::string& name, const std::vector<std::string>& words, TableSpec* spec) {
  if (!spec->vector_column.empty())
    return Status::error("only one vector column is allowed (\"" + spec->vector_column + "\" and \"" + name + "\")");
  std::string dims_text;
  parse_vector_type(words[1], &spec->element_type, &dims_text);
  uint32_t dims = 0;
  Status s = parse_uint("the dimension of " + name, dims_text, 1, kMaxDims, &dims);
  if (!s.ok()) return s;
  if (spec->element_type == ElementType::Bit && dims % 8 != 0)
    return Status::error("bit vectors need a multiple of 8 dimensions, got " + dims_text);
  spec->vector_column = name;
  spec->vector_position = spec->columns.size();
  spec->dims = dims;
  // What follows the type is `distance=metric`, spaces around '=' allowed,
  // and nothing after it.
  bool metric_given = words.size() > 2;
  if (metric_given) {
    std::string rest;
    for (size_t i = 2; i < words.size(); ++i) rest += (i > 2 ? " " : "") + words[i];
    size_t eq = rest.find('=');
    if (eq == std::string::npos || trim(rest.substr(0, eq)) != "distance")
      return Status::error("unexpected \"" + words[2] + "\" after vector column " + name + " (expected distance=...)");
    std::vector<std::string> value = split_words(rest.substr(eq + 1));
    if (value.empty()) return Status::error("distance needs a value (cosine, dot, l2 or hamming)");
    if (value.size() > 1)
      return Status::error("unexpected \"" + value[1] + "\" after distance=" + value[0]);
    s = parse_metric(value[0], &spec->metric);
    if (!s.ok()) return s;
  }
  bool is_bit = spec->element_type == ElementType::Bit;
  if (!metric_given) spec->metric = is_bit ? Metric::Hamming : Metric::L2;
  if (is_bit != (spec->metric == Metric::Hamming))
    return Status::error(std::string("distance=") + metric_name(spec->metric) + " does not apply to " +
                         element_type_name(spec->element_type) + " vectors");
  return Status();
}

bool parse_column_type(const std::string& word, ColumnType* out) {
  std::string w = lower(word);
  if (w == "text") *out = ColumnType::Text;
  else if (w == "integer" || w == "int") *out = ColumnType::Integer;
  else if (w == "real" || w == "float" || w == "double") *out = ColumnType::Real;
  else if (w == "blob") *out = ColumnType::Blob;
  else return false;
  return true;
}

bool reserved(const std::string& name) {
  for (const char* r : {"rowid", "oid", "_rowid_", "distance", "k", "probes", "cluster"})
    if (iequals(name, r)) return true;
  return false;
}

Status parse_column(const std::string& arg, TableSpec* spec) {
  bool auxiliary = arg[0] == '+';
  std::string body = auxiliary ? trim(arg.substr(1)) : arg;
  std::vector<std::string> words = split_words(body);
  std::string name;
  if (words.empty() || parse_identifier(words[0], &name) != words[0].size() || name.empty())
    return Status::error("malformed column \"" + arg + "\"");
  if (reserved(name)) return Status::error("column name \"" + name + "\" is reserved");
  for (const ColumnSpec& c : spec->columns)
    if (iequals(c.name, name.c_str())) return Status::error("duplicate column \"" + name + "\"");
  if (iequals(spec->vector_column, name.c_str())) return Status::error("duplicate column \"" + name + "\"");
  if (words.size() < 2) return Status::error("column \"" + name + "\" needs a type");
  // A vector type written with spaces, "float[ 4 ]" or "float [4]", is one word.
  if (words[1].find('[') != std::string::npos || (words.size() > 2 && words[2][0] == '[')) {
    while (words.size() > 2 && words[1].find(']') == std::string::npos) {
      words[1] += words[2];
      words.erase(words.begin() + 2);
    }
  }

  ElementType et;
  std::string dims_text;
  if (parse_vector_type(words[1], &et, &dims_text)) {
    if (auxiliary) return Status::error("the vector column " + name + " cannot be auxiliary");
    return parse_vector_column(name, words, spec);
  }
  ColumnSpec col;
  col.name = name;
  col.auxiliary = auxiliary;
  if (!parse_column_type(words[1], &col.type))
    return Status::error("unknown type \"" + words[1] + "\" for column " + name +
                         " (expected float[N], float16[N], bfloat16[N], int8[N], bit[N], integer, real, text" +
                         (auxiliary ? ", blob)" : ")"));
  if (col.type == ColumnType::Blob && !auxiliary)
    return Status::error("metadata column " + name + " cannot be blob (declare it auxiliary: +" + name + ")");
  if (words.size() > 2) return Status::error("unexpected \"" + words[2] + "\" after column " + name);
  if (spec->columns.size() >= kMaxColumns)
    return Status::error("more than " + std::to_string(kMaxColumns) + " columns");
  spec->columns.push_back(col);
  return Status();
}

}  // namespace

Status check_table_name(const std::string& table) {
  for (const char* hidden : {"distance", "k", "probes", "cluster"})
    if (iequals(table, hidden))
      return Status::error("a table cannot be named \"" + table +
                           "\": distance, k, probes and cluster are the names of its hidden columns");
  return Status();
}

const char* metric_name(Metric m) {
  switch (m) {
    case Metric::Cosine: return "cosine";
    case Metric::Dot: return "dot";
    case Metric::L2: return "l2";
    case Metric::Hamming: return "hamming";
  }
  return "?";
}

const char* index_kind_name(IndexKind k) { return k == IndexKind::Ivf ? "ivf" : "flat"; }

const char* column_type_name(ColumnType t) {
  switch (t) {
    case ColumnType::Integer: return "INTEGER";
    case ColumnType::Real: return "REAL";
    case ColumnType::Text: return "TEXT";
    case ColumnType::Blob: return "BLOB";
  }
  return "?";
}

size_t parse_identifier(const std::string& text, std::string* name) {
  name->clear();
  if (text.empty()) return 0;
  char open = text[0];
  char close = open == '"' ? '"' : open == '`' ? '`' : open == '[' ? ']' : 0;
  if (close) {
    for (size_t i = 1; i < text.size(); ++i) {
      if (text[i] != close) { name->push_back(text[i]); continue; }
      if (close != ']' && i + 1 < text.size() && text[i + 1] == close) {  // doubled quote
        name->push_back(close);
        ++i;
        continue;
      }
      return i + 1;
    }
    return 0;  // unterminated
  }
  size_t i = 0;
  while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_' ||
                             static_cast<unsigned char>(text[i]) >= 0x80))
    ++i;
  if (i > 0 && std::isdigit(static_cast<unsigned char>(text[0]))) return 0;
  *name = text.substr(0, i);
  return i;
}

Status parse_table_spec(const std::vector<std::string>& args, TableSpec* out) {
  TableSpec spec;
  std::vector<std::string> options_seen;
  std::string scalar_vector;  // a column declared "float", without dimensions
  for (const std::string& raw : args) {
    std::string arg = trim(raw);
    if (arg.empty()) return Status::error("empty argument");
    // An option is `word = value`: an identifier followed directly by '='.
    std::string key;
    size_t n = parse_identifier(arg, &key);
    size_t after = n;
    while (after < arg.size() && is_space(arg[after])) ++after;
    if (n > 0 && arg[0] != '"' && after < arg.size() && arg[after] == '=') {
      for (const std::string& seen : options_seen)
        if (seen == key) return Status::error("duplicate option \"" + key + "\"");
      options_seen.push_back(key);
      Status s = parse_option(key, trim(arg.substr(after + 1)), &spec);
      if (!s.ok()) return s;
      continue;
    }
    Status s = parse_column(arg, &spec);
    if (!s.ok()) return s;
    std::vector<std::string> words = split_words(arg);
    if (scalar_vector.empty() && words.size() == 2 && lower(words[1]) == "float")
      scalar_vector = spec.columns.back().name;
  }
  if (spec.vector_column.empty() && !scalar_vector.empty())
    return Status::error("no vector column (\"" + scalar_vector +
                         " float\" declares a real column; a vector column needs its dimensions, e.g. " +
                         scalar_vector + " float[384])");
  if (spec.vector_column.empty()) return Status::error("no vector column (declare one, e.g. embedding float[384])");
  if (spec.index == IndexKind::Flat && (spec.lists || spec.probes))
    return Status::error("lists and probes apply to index=ivf only");
  bool train_given = std::find(options_seen.begin(), options_seen.end(), "train") != options_seen.end();
  if (spec.index == IndexKind::Flat && train_given) return Status::error("train applies to index=ivf only");
  if (!spec.content_rowid.empty() && spec.content_table.empty())
    return Status::error("content_rowid applies to an index with content=... only");
  std::string quantize_error = quantization_error(spec.quantize, spec.element_type, spec.metric);
  if (!quantize_error.empty()) return Status::error(quantize_error);
  if (spec.rescore && spec.quantize == Quantization::None)
    return Status::error("rescore applies to quantized tables only (quantize=int8 or bit)");
  if (spec.lists && spec.probes > spec.lists)
    return Status::error("probes (" + std::to_string(spec.probes) + ") exceeds lists (" +
                         std::to_string(spec.lists) + ")");
  *out = std::move(spec);
  return Status();
}

}  // namespace quiver
