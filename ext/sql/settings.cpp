#include "settings.h"

#include <string>

#include "connection.h"
#include "errors.h"
#include "sql_value.h"

namespace quiver {
namespace {

constexpr int64_t kMaxThreads = 256;

void quiver_config(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  try {
    Connection& connection = *static_cast<Connection*>(sqlite3_user_data(ctx));
    const unsigned char* key = sqlite3_value_text(argv[0]);
    if (sqlite3_value_type(argv[0]) != SQLITE_TEXT || !key)
      throw SqlError(SQLITE_ERROR, "quiver_config: the setting must be named by text");
    std::string name = reinterpret_cast<const char*>(key);
    if (name != "threads")
      throw SqlError(SQLITE_ERROR, "quiver_config: unknown setting \"" + name + "\" (expected 'threads')");
    if (argc > 1)
      connection.set_threads(static_cast<size_t>(integer_argument(argv[1], "quiver_config: threads", 1, kMaxThreads)));
    sqlite3_result_int64(ctx, static_cast<int64_t>(connection.threads()));
  } catch (const SqlError& e) {
    sqlite3_result_error(ctx, e.what(), -1);
    sqlite3_result_error_code(ctx, e.rc());
  } catch (...) {
    sqlite3_result_error_nomem(ctx);
  }
}

}  // namespace

int register_settings(Connection& connection) {
  // DIRECTONLY: a setting of the connection, not for views and triggers.
  for (int args : {1, 2}) {
    int rc = sqlite3_create_function_v2(connection.db(), "quiver_config", args, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                        &connection, quiver_config, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

}  // namespace quiver
