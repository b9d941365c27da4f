/* Quiver: embeddings as first-class SQLite data.
 *
 * Public C API for applications that link the static library (libquiver.a)
 * into a program with its own SQLite. The loadable module (quiver.so) needs
 * no header: load it with `.load ./quiver` or sqlite3_load_extension().
 */
#ifndef QUIVER_H
#define QUIVER_H

#include <sqlite3.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Registers Quiver's functions on one connection. Returns SQLITE_OK or an
 * SQLite error code: SQLITE_ERROR when the environment variable QUIVER_SIMD
 * names no kernel family this machine runs (sqlite3_quiver_init says why). */
int quiver_register(sqlite3 *db);

/* The extension entry point, with the signature SQLite expects. To register
 * Quiver on every connection a program opens:
 *   sqlite3_auto_extension((void (*)(void))sqlite3_quiver_init);
 */
int sqlite3_quiver_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

#ifdef __cplusplus
}
#endif

#endif /* QUIVER_H */
