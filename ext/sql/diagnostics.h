// quiver_stats, quiver_recall and quiver_clusters: table-valued functions reporting on a
// quiver table's index (see diagnostics.cpp).
#pragma once

#include "sqlite_api.h"

namespace quiver {

class Connection;

int register_diagnostics(Connection& connection);

}  // namespace quiver
