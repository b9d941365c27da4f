// quiver_pairs: all pairs of rows within a distance (see pairs.cpp).
#pragma once

#include "sqlite_api.h"

namespace quiver {

class Connection;

int register_pairs(Connection& connection);

}  // namespace quiver
