// The quantizer of a quantized table (quantize.h): learned from a sample of
// the rows, stored in config "quantizer" as the hex text of its bytes
// (serialize_quantizer), read back by each connection. The codes themselves
// are not stored: each connection makes them with the chunks it caches.
#include <cstdint>
#include <algorithm>
#include <string>
#include <vector>

#include "store.h"

namespace quiver {
namespace {

// Training sample: evenly spaced rows, at most this many, and this many floats.
constexpr int64_t kQuantizerSampleRows = 32768;
constexpr int64_t kQuantizerSampleFloats = int64_t{16} << 20;

std::string to_hex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

bool from_hex(const std::string& text, std::string* out) {
  auto value = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
  if (text.size() % 2) return false;
  out->clear();
  for (size_t i = 0; i < text.size(); i += 2) {
    int hi = value(text[i]), lo = value(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

}  // namespace

Quantizer Store::learn_quantizer() {
  std::vector<ChunkInfo> chunks = this->chunks(-1);
  int64_t rows = 0;
  for (const ChunkInfo& c : chunks) rows += c.count;
  int64_t wanted = std::min(kQuantizerSampleRows, kQuantizerSampleFloats / static_cast<int64_t>(spec_.dims));
  int64_t stride = std::max<int64_t>(1, (rows + wanted - 1) / std::max<int64_t>(1, wanted));
  std::vector<float> sample;
  std::vector<unsigned char> buffer;
  int64_t index = 0;
  for (const ChunkInfo& c : chunks) {
    ChunkView view = load(c, &buffer);
    for (int64_t s = 0; s < view.count; ++s, ++index) {
      if (index % stride) continue;
      size_t at = sample.size();
      sample.resize(at + spec_.dims);
      widen_to_float(VectorView{spec_.element_type, spec_.dims, view.vectors + s * vector_bytes_}, &sample[at]);
    }
  }
  return ::quiver::train_quantizer(spec_.quantize, spec_.metric, spec_.dims, sample.data(), sample.size() / spec_.dims);
}

void Store::use_quantizer(Quantizer q) {
  std::string bytes = serialize_quantizer(q);
  if (bytes == quantizer_bytes_) return;
  quantizer_ = std::move(q);
  quantizer_bytes_ = std::move(bytes);
  // Cached codes were made with another quantizer.
  cache_.clear();
  cache_bytes_ = 0;
}

const Quantizer* Store::quantizer() {
  if (spec_.quantize == Quantization::None) return nullptr;
  if (quantizer_generation_ != generation_) {
    std::string text = config("quantizer"), bytes;
    if (!text.empty()) {
      Quantizer q;
      if (!from_hex(text, &bytes)) corrupt("config quantizer is not hex text");
      Status s = deserialize_quantizer(bytes.data(), bytes.size(), &q);
      if (!s.ok()) corrupt("config quantizer: " + s.message());
      if (q.kind != spec_.quantize || q.metric != spec_.metric || q.dims != spec_.dims)
        corrupt("config quantizer does not match the table's declaration");
      use_quantizer(std::move(q));
    } else if (quantizer_bytes_.empty()) {
      use_quantizer(learn_quantizer());
    }
    quantizer_generation_ = generation_;
  }
  return &quantizer_;
}

void Store::train_quantizer() {
  if (spec_.quantize == Quantization::None) return;
  Quantizer q = learn_quantizer();
  set_config("quantizer", to_hex(serialize_quantizer(q)));
  set_config("quantizer_rows", std::to_string(row_count()));
  use_quantizer(std::move(q));
  quantizer_generation_ = generation_;
}

void Store::train_quantizer_if_grown() {
  if (spec_.quantize == Quantization::None) return;
  if (config("quantizer").empty() || row_count() >= 2 * config_count("quantizer_rows", INT64_MAX / 2))
    train_quantizer();
}

}  // namespace quiver
