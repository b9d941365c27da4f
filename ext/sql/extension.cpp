// Entry points: the loadable module's sqlite3_quiver_init and the static
// library's quiver_register. They only register; nothing else lives here.
#include "quiver.h"

#include <new>
#include <string>

#include "connection.h"

#include "diagnostics.h"
#include "functions.h"
#include "hybrid.h"
#include "kernels.h"
#include "pairs.h"
#include "tokens.h"
#include "vtab.h"
#include "sqlite_api.h"

SQLITE_EXTENSION_INIT1

#define QUIVER_EXPORT extern "C" __attribute__((visibility("default")))

QUIVER_EXPORT int quiver_register(sqlite3* db) {
  try {
    if (!quiver::simd_setting_error().empty()) return SQLITE_ERROR;
    int rc = quiver::register_functions(db);
    if (rc != SQLITE_OK) return rc;
    // One context per registration, owned by the module (connection.h).
    auto* connection = new (std::nothrow) quiver::Connection(db);
    if (!connection) return SQLITE_NOMEM;
    rc = quiver::register_vtab(connection);
    if (rc == SQLITE_OK) rc = quiver::register_diagnostics(*connection);
    if (rc == SQLITE_OK) rc = quiver::register_pairs(*connection);
    if (rc == SQLITE_OK) rc = quiver::register_tokens(*connection);
    if (rc == SQLITE_OK) rc = quiver::register_hybrid(*connection);
    return rc;
  } catch (...) {
    return SQLITE_NOMEM;
  }
}

QUIVER_EXPORT int sqlite3_quiver_init(sqlite3* db, char** pzErrMsg, const sqlite3_api_routines* pApi) {
  SQLITE_EXTENSION_INIT2(pApi);
  try {
    std::string problem = quiver::simd_setting_error();
    if (!problem.empty()) {
      if (pzErrMsg) *pzErrMsg = sqlite3_mprintf("quiver: %s", problem.c_str());
      return SQLITE_ERROR;
    }
  } catch (...) {
    return SQLITE_NOMEM;
  }
  return quiver_register(db);
}
