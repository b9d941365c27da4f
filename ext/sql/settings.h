// quiver_config: the connection's own settings, read and written in SQL.
//
//   SELECT quiver_config('threads');     -- the current value (default 1)
//   SELECT quiver_config('threads', 2);  -- sets it, returns the new value
//
// threads: how many threads one query's scan, k-means training and
// 'rebuild' may use (1 to 256). Results are identical at every setting.
#pragma once

#include "sqlite_api.h"

namespace quiver {

class Connection;

int register_settings(Connection& connection);

}  // namespace quiver
