/* First on the include path of the quiver_core target (CMakeLists.txt): the
 * pure layer in ext/core must not use SQLite, and an #include of SQLite's
 * header there stops the build here. */
#error "ext/core must not include SQLite: move the SQLite-facing code to ext/index or ext/sql"
