// 'integrity-check': the invariants of store.h's format and of the IVF
// index, read from what is stored (not from the cache). A problem throws
// SqlError with SQLITE_CORRUPT_VTAB and a message naming the chunk, slot or
// row.
#pragma once

#include "ivf.h"
#include "store.h"

namespace quiver {

void check_integrity(Store& store, Ivf& ivf);

}  // namespace quiver
