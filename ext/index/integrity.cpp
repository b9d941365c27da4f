#include "integrity.h"

#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "statement.h"

namespace quiver {

void check_integrity(Store& store, Ivf& ivf) {
  const TableSpec& spec = store.spec();
  store.invalidate_cache();  // check what is stored, not what was cached
  store.open();              // config
  std::vector<ChunkInfo> chunks = store.chunks(-1);
  // Per list, every chunk but the last is full.
  std::unordered_map<int64_t, int64_t> last_of_list;
  for (const ChunkInfo& c : chunks) last_of_list[c.list] = c.id;
  Statement placed = store.rows_in_chunk_order();
  bool more = placed.step();
  std::vector<unsigned char> buffer;
  for (const ChunkInfo& c : chunks) {
    if (c.count < 1) corrupt("chunk " + std::to_string(c.id) + " is empty");
    if (c.count < c.capacity && last_of_list[c.list] != c.id)
      corrupt("chunk " + std::to_string(c.id) + " of list " + std::to_string(c.list) +
              " is not full but is not the list's last");
    ChunkView view = store.load(c, &buffer);
    for (int64_t slot = 0; slot < c.count; ++slot) {
      VectorView v;
      Status s = view_blob(spec.element_type, view.vectors + slot * store.vector_bytes(), store.vector_bytes(), &v);
      if (!s.ok()) corrupt("chunk " + std::to_string(c.id) + " slot " + std::to_string(slot) + ": " + s.message());
      if (!ivf.is_home_list(v, c.list))
        corrupt("row " + std::to_string(view.rowids[slot]) + " is in list " + std::to_string(c.list) +
                ", not the list of its nearest centroid");
      if (!more || placed.int_at(1) != c.id || placed.int_at(2) != slot)
        corrupt("chunk " + std::to_string(c.id) + " slot " + std::to_string(slot) + " holds row " +
                std::to_string(view.rowids[slot]) + ", which the rows table does not place there");
      if (placed.int_at(0) != view.rowids[slot])
        corrupt("row " + std::to_string(placed.int_at(0)) + " points to chunk " + std::to_string(c.id) +
                " slot " + std::to_string(slot) + ", which holds row " + std::to_string(view.rowids[slot]));
      more = placed.step();
    }
  }
  if (ivf.enabled()) {
    int64_t counted = store.config_count("count", std::numeric_limits<int64_t>::max());
    int64_t actual = 0;
    for (const ChunkInfo& c : chunks) actual += c.count;
    if (counted != actual)
      corrupt("config count is " + std::to_string(counted) + " but the chunks hold " + std::to_string(actual) + " rows");
  }
  if (more)
    corrupt("row " + std::to_string(placed.int_at(0)) + " points to chunk " +
            std::to_string(placed.int_at(1)) + " slot " + std::to_string(placed.int_at(2)) +
            ", which is not a live slot");
}

}  // namespace quiver
