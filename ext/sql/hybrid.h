// quiver_hybrid: vector and full-text search fused in one query (see hybrid.cpp).
#pragma once

#include "sqlite_api.h"

namespace quiver {

class Connection;

int register_hybrid(Connection& connection);

}  // namespace quiver
