// The one way Quiver's SQLite-facing files include SQLite.
//
// The loadable module (quiver.so) calls SQLite through the routine table the
// host passes to sqlite3_quiver_init, so it links no copy of SQLite. The
// static library is compiled with SQLITE_CORE and calls the host's SQLite
// directly. Same sources, two builds.
#pragma once

#include <sqlite3ext.h>

SQLITE_EXTENSION_INIT3  // empty under SQLITE_CORE

// Flags added by SQLite releases newer than the oldest one supported (3.40).
#ifndef SQLITE_RESULT_SUBTYPE
#define SQLITE_RESULT_SUBTYPE 0
#endif
