#include "ivf.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace quiver {

namespace {

// Rebuilds write the new lists under ids shifted by this much, so they never
// meet the old ones, then shift them back.
constexpr int64_t kRebuildOffset = int64_t{1} << 40;

// The largest |coordinate| of the quantizer space.
constexpr double kQuantizerLimit = 0x1p50;

// The IVF config values are counts, from 0 to 2^62.
int64_t config_int(Store& store, const char* key) { return store.config_count(key, int64_t{1} << 62); }
double config_real(Store& store, const char* key) { return store.config_number(key); }

std::string real_text(double v, int digits = 17) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

}  // namespace

Ivf::Ivf(Store& store, const Kernels& kernels) : store_(store), kernels_(kernels) {}

size_t Ivf::quantizer_dim() const {
  return store_.spec().dims + (store_.spec().metric == Metric::Dot ? 1 : 0);
}

void Ivf::to_quantizer(const VectorView& v, bool is_query, float* out, double norm2) const {
  widen_to_float(v, out);
  size_t dim = v.dims;
  if (store_.spec().metric == Metric::Cosine) {
    double n = norm2;  // the same sum, in the same order, when given
    if (n < 0) {
      n = 0;
      for (size_t t = 0; t < dim; ++t) n += double{out[t]} * out[t];
    }
    if (n > 0)
      for (size_t t = 0; t < dim; ++t) out[t] = static_cast<float>(out[t] / std::sqrt(n));
  } else if (store_.spec().metric == Metric::Dot) {
    double n = 0;
    for (size_t t = 0; t < dim; ++t) n += double{out[t]} * out[t];
    double rest = norm_bound_ * norm_bound_ - n;
    out[dim] = is_query || rest <= 0 ? 0.0f : static_cast<float>(std::min(std::sqrt(rest), kQuantizerLimit));
  }
  // Routing sums squares in float32: clamped, no sum over 65536 coordinates
  // can overflow, and a vector that large still lands in some list (its
  // rows are scored exactly once a probe reaches it).
  for (size_t t = 0; t < dim; ++t)
    out[t] = static_cast<float>(std::max(-kQuantizerLimit, std::min(double{out[t]}, kQuantizerLimit)));
}

void Ivf::load() {
  if (loaded_generation_ == store_.generation()) return;
  flush();  // counts not yet written survive a reload
  count_ = enabled() ? config_int(store_, "count") : 0;
  changed_ = enabled() ? config_int(store_, "changed") : 0;
  lists_ = enabled() ? config_int(store_, "lists") : 0;
  norm_bound_ = config_real(store_, "norm_bound");
  centroids_ = Centroids();
  if (lists_ > 0) {
    size_t k = 0;
    std::vector<float> rows = store_.read_centroids(quantizer_dim(), &k);
    if (static_cast<int64_t>(k) != lists_)
      corrupt("the index has " + std::to_string(k) + " centroids but config says " + std::to_string(lists_) + " lists");
    centroids_ = Centroids(k, quantizer_dim(), std::move(rows));
  }
  scratch_.resize(quantizer_dim());
  scores_.resize(centroids_.padded_k());
  loaded_generation_ = store_.generation();
}

int64_t Ivf::lists() {
  load();
  return lists_;
}

int64_t Ivf::default_probes() {
  int64_t n = lists();
  if (n <= 0) return 1;
  if (store_.spec().probes) return std::min<int64_t>(store_.spec().probes, n);
  int64_t p = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(n))));
  return std::max<int64_t>(1, std::min(p, n));
}

int64_t Ivf::assign(const VectorView& v) {
  if (lists() == 0) return 0;
  to_quantizer(v, false, scratch_.data());
  return centroids_.nearest(scratch_.data(), scores_.data(), kernels_);
}

std::vector<uint32_t> Ivf::neighbour_lists(size_t list, size_t count) {
  load();
  count = std::min(count, centroids_.k());
  std::vector<uint32_t> order = centroids_.ranked(centroids_.row(list), count, kernels_);
  order.resize(count);
  // A centroid is its own nearest, but a tie may rank a twin first.
  auto self = std::find(order.begin(), order.end(), static_cast<uint32_t>(list));
  if (self == order.end()) order.back() = static_cast<uint32_t>(list), self = order.end() - 1;
  std::rotate(order.begin(), self, self + 1);
  return order;
}

bool Ivf::is_home_list(const VectorView& v, int64_t list) {
  if (lists() == 0) return list == 0;
  if (list < 0 || list >= lists_) return false;
  to_quantizer(v, false, scratch_.data());
  uint32_t best = centroids_.nearest(scratch_.data(), scores_.data(), kernels_);
  double gap = double{scores_[best]} - scores_[static_cast<size_t>(list)];
  return gap <= 1e-5 * (std::fabs(scores_[best]) + 1);
}

std::vector<float> Ivf::list_scores(const VectorView& query, double query_norm2) {
  load();
  to_quantizer(query, true, scratch_.data(), query_norm2);
  std::vector<float> scores(centroids_.padded_k());
  centroids_.score(scratch_.data(), 1, scores.data(), kernels_);
  return scores;
}

int64_t Ivf::chosen_lists(int64_t rows) const {
  int64_t n = store_.spec().lists ? store_.spec().lists
              : rows <= 1000000  ? rows / 1000
                                 : static_cast<int64_t>(std::sqrt(static_cast<double>(rows)));
  return std::max<int64_t>(1, std::min(n, rows));
}

void Ivf::note_rows(int64_t delta) {
  if (!enabled()) {
    if (delta > 0) inserted_ += delta;  // a quantized flat table's training (train_if_due)
    return;
  }
  load();
  count_ += delta;
  counts_dirty_ = true;
  if (delta < 0) return;
  inserted_ += delta;
  if (lists_ > 0) ++changed_;
}

void Ivf::flush() {
  if (!counts_dirty_) return;
  store_.set_config("count", std::to_string(count_));
  store_.set_config("changed", std::to_string(changed_));
  counts_dirty_ = false;  // only once written: a failed write is tried again
}

void Ivf::train_if_due(WorkerPool* pool) {
  int64_t inserted = inserted_;
  inserted_ = 0;
  // A flat table has only its quantizer to learn, at the same moments.
  if (!enabled() && inserted >= kBulkTrainRows) store_.train_quantizer_if_grown();
  if (!enabled() || !store_.spec().auto_train || inserted < kBulkTrainRows) return;
  load();
  int64_t rows = count_;
  bool due = lists() == 0 ? rows >= std::max<int64_t>(kAutoTrainRows, int64_t{39} * store_.spec().lists)
                          : rows >= 2 * config_int(store_, "trained_rows");
  if (due) rebuild(pool);
}

// rebuild(), pass 1: a sample that depends only on the rows, not on where
// they are stored, so that rebuilding twice trains the same index: the rows
// with the smallest hash of their rowid, in hash order, in the quantizer's
// space. For dot, also the largest norm (norm_bound_).
std::vector<float> Ivf::training_sample(const std::vector<ChunkInfo>& chunks, int64_t rows, int64_t lists) {
  const TableSpec& spec = store_.spec();
  size_t qdim = quantizer_dim();
  size_t dims = spec.dims;
  int64_t sample_size = std::min<int64_t>(rows, lists * kSamplePerList);
  sample_size = std::max<int64_t>(1, std::min<int64_t>(sample_size, kMaxSampleFloats / static_cast<int64_t>(qdim)));
  std::vector<float> sample(static_cast<size_t>(sample_size) * qdim);
  struct Pick {
    uint64_t key;
    int64_t rowid;
    size_t index;  // where in `sample`
    bool operator<(const Pick& o) const { return key < o.key || (key == o.key && rowid < o.rowid); }
  };
  std::vector<Pick> picks;  // a max-heap while sampling
  picks.reserve(static_cast<size_t>(sample_size));
  std::vector<unsigned char> buffer;
  std::vector<float> wide(qdim);
  double max_norm2 = 0;
  for (const ChunkInfo& c : chunks) {
    ChunkView view = store_.load(c, &buffer);
    for (int64_t s = 0; s < view.count; ++s) {
      VectorView v{spec.element_type, spec.dims, view.vectors + s * store_.vector_bytes()};
      if (spec.metric == Metric::Dot) {
        double n = 0;
        for (uint32_t t = 0; t < v.dims; ++t) n += v.element(t) * v.element(t);
        max_norm2 = std::max(max_norm2, n);
      }
      Pick pick{Rng(0x51564652ull ^ static_cast<uint64_t>(view.rowids[s])).next(), view.rowids[s], picks.size()};
      if (picks.size() < static_cast<size_t>(sample_size)) {
        picks.push_back(pick);
      } else if (pick < picks.front()) {
        std::pop_heap(picks.begin(), picks.end());
        pick.index = picks.back().index;
        picks.back() = pick;
      } else {
        continue;
      }
      std::push_heap(picks.begin(), picks.end());
      widen_to_float(v, sample.data() + pick.index * qdim);
    }
  }
  // Into hash order, in place: position i takes the row at picks[i].index.
  std::sort(picks.begin(), picks.end());
  std::vector<bool> placed(picks.size(), false);
  for (size_t i = 0; i < picks.size(); ++i) {
    if (placed[i]) continue;
    std::copy(sample.begin() + i * qdim, sample.begin() + (i + 1) * qdim, wide.begin());
    for (size_t j = i;;) {
      placed[j] = true;
      size_t from = picks[j].index;
      if (from == i) {
        std::copy(wide.begin(), wide.end(), sample.begin() + j * qdim);
        break;
      }
      std::copy(sample.begin() + from * qdim, sample.begin() + (from + 1) * qdim, sample.begin() + j * qdim);
      j = from;
    }
  }
  norm_bound_ = std::sqrt(max_norm2);
  // Into the quantizer's space (normalize, or augment for dot).
  for (int64_t i = 0; i < sample_size; ++i) {
    float* x = sample.data() + i * qdim;
    std::copy(x, x + dims, wide.begin());
    VectorView w{ElementType::Float32, static_cast<uint32_t>(dims), wide.data()};
    to_quantizer(w, false, x);
  }

  return sample;
}

// rebuild(), pass 2: every row moves to the list of its nearest centroid,
// chunk by chunk; returns the sum of the rows' distances to their centroid.
double Ivf::move_rows_to_lists(const std::vector<ChunkInfo>& chunks, WorkerPool* pool) {
  const TableSpec& spec = store_.spec();
  size_t qdim = quantizer_dim();
  std::vector<unsigned char> buffer;
  double spread = 0;
  std::vector<float> points, best;
  std::vector<uint32_t> nearest;
  for (const ChunkInfo& c : chunks) {
    ChunkView view = store_.load(c, &buffer);
    std::vector<int64_t> rowids(view.rowids, view.rowids + view.count);
    std::vector<unsigned char> vectors(view.vectors, view.vectors + view.count * store_.vector_bytes());
    size_t count = static_cast<size_t>(view.count);
    points.resize(count * qdim);
    for (size_t s = 0; s < count; ++s) {
      VectorView v{spec.element_type, spec.dims, vectors.data() + s * store_.vector_bytes()};
      to_quantizer(v, false, points.data() + s * qdim);
    }
    nearest.resize(count);
    best.resize(count);
    centroids_.assign(points.data(), count, nearest.data(), best.data(), kernels_, pool);
    for (size_t s = 0; s < count; ++s) {
      const float* x = points.data() + s * qdim;
      double norm2 = 0;
      for (size_t t = 0; t < qdim; ++t) norm2 += double{x[t]} * x[t];
      spread += std::sqrt(std::max(0.0, norm2 - 2.0 * best[s]));
      Location loc = store_.append(kRebuildOffset + nearest[s], rowids[s], vectors.data() + s * store_.vector_bytes());
      store_.move_row(rowids[s], loc);
    }
    store_.drop_chunk(c.id);
  }
  store_.shift_lists(kRebuildOffset, -kRebuildOffset);
  return spread;
}

void Ivf::rebuild(WorkerPool* pool) {
  store_.train_quantizer();  // quantized tables, flat ones too
  if (!enabled()) return;
  const TableSpec& spec = store_.spec();
  std::vector<ChunkInfo> old_chunks = store_.chunks(-1);
  int64_t rows = 0;
  for (const ChunkInfo& c : old_chunks) rows += c.count;
  if (rows == 0) return;
  int64_t lists = chosen_lists(rows);
  size_t qdim = quantizer_dim();
  std::vector<float> sample = training_sample(old_chunks, rows, lists);
  size_t sample_size = sample.size() / qdim;
  KMeansOptions options;
  options.k = static_cast<size_t>(lists);
  options.spherical = spec.metric == Metric::Cosine;
  options.pool = pool;
  centroids_ = train_kmeans(sample.data(), sample_size, qdim, options, kernels_);
  sample = std::vector<float>();
  lists = static_cast<int64_t>(centroids_.k());
  store_.write_centroids(centroids_.k(), qdim, centroids_.rows().data());
  scratch_.resize(qdim);
  scores_.resize(centroids_.padded_k());

  double spread = move_rows_to_lists(old_chunks, pool);
  counts_dirty_ = false;  // replaced by the counts written here
  store_.set_config("lists", std::to_string(lists));
  store_.set_config("norm_bound", real_text(norm_bound_));
  store_.set_config("trained_rows", std::to_string(rows));
  store_.set_config("count", std::to_string(rows));
  store_.set_config("changed", "0");
  // Rounded: the sum's last bits depend on the order rows are stored in,
  // and rebuilding the same rows must give the same figure.
  store_.set_config("trained_spread", real_text(spread / static_cast<double>(rows), 10));
  loaded_generation_ = UINT64_MAX;  // reload what was just written
}

IvfStats Ivf::stats() {
  IvfStats st;
  st.rows = store_.row_count();
  st.lists = lists();
  st.probes = default_probes();
  st.trained_rows = config_int(store_, "trained_rows");
  st.changed = changed_;
  st.trained_spread = config_real(store_, "trained_spread");
  std::vector<int64_t> sizes(static_cast<size_t>(std::max<int64_t>(1, st.lists)), 0);
  std::vector<unsigned char> buffer;
  double spread = 0;
  for (const ChunkInfo& c : store_.chunks(-1)) {
    if (c.list >= 0 && c.list < static_cast<int64_t>(sizes.size())) sizes[static_cast<size_t>(c.list)] += c.count;
    if (st.lists == 0) continue;
    ChunkView view = store_.load(c, &buffer);
    for (int64_t s = 0; s < view.count; ++s) {
      VectorView v{store_.spec().element_type, store_.spec().dims, view.vectors + s * store_.vector_bytes()};
      to_quantizer(v, false, scratch_.data());
      if (c.list < 0 || c.list >= st.lists) corrupt("chunk " + std::to_string(c.id) + " is in list " + std::to_string(c.list));
      spread += std::sqrt(kernels_.f32_l2sq(scratch_.data(), centroids_.row(static_cast<size_t>(c.list)), quantizer_dim()));
    }
  }
  std::sort(sizes.begin(), sizes.end());
  st.min_list = sizes.front();
  st.max_list = sizes.back();
  st.median_list = sizes[sizes.size() / 2];
  st.spread = st.rows && st.lists ? spread / static_cast<double>(st.rows) : 0;
  return st;
}

}  // namespace quiver
