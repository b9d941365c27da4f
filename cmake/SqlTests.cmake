# SQL golden tests: each sql/**/*.sql that has a .expected file beside it is
# run through the real sqlite3 shell with the loadable module, once per
# kernel family (QUIVER_SIMD forces one; a family this CPU cannot run, which
# Quiver refuses to load with, runs as the best one), and its output (stdout
# and errors, in order) must equal the .expected file exactly.
#
# With QUIVER_SQL_TEST_NORMALIZE (a shell other than Debian's 3.40, as
# tests/run.sh --full uses), both outputs go through
# cmake/normalize-sql-output.awk first, which evens out how shell versions
# print reals and errors.
find_program(SQLITE3_SHELL sqlite3 REQUIRED)
find_program(STDBUF stdbuf REQUIRED)
option(QUIVER_SQL_TEST_NORMALIZE "Compare SQL golden tests across sqlite3 shell versions" OFF)
if(QUIVER_SQL_TEST_NORMALIZE)
  find_program(AWK awk REQUIRED)
endif()
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(QUIVER_SQL_TEST_FAMILIES scalar sse4.2 avx2 avx512)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(QUIVER_SQL_TEST_FAMILIES scalar neon)
else()
  set(QUIVER_SQL_TEST_FAMILIES scalar)
endif()

file(GLOB_RECURSE QUIVER_SQL_EXPECTED CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/sql/*.expected)
foreach(expected IN LISTS QUIVER_SQL_EXPECTED)
  string(REGEX REPLACE "\\.expected$" ".sql" script "${expected}")
  file(RELATIVE_PATH name ${PROJECT_SOURCE_DIR}/sql "${script}")
  string(REGEX REPLACE "\\.sql$" "" name "${name}")
  foreach(family IN LISTS QUIVER_SQL_TEST_FAMILIES)
    add_test(NAME "sql/${name}/${family}"
      COMMAND ${CMAKE_COMMAND}
        -DSQLITE3=${SQLITE3_SHELL} -DSTDBUF=${STDBUF} -DMODULE=$<TARGET_FILE:quiver_loadable>
        -DSCRIPT=${script} -DEXPECTED=${expected} -DFAMILY=${family}
        -DOUT_DIR=${CMAKE_BINARY_DIR}/sql-tests
        -DPRELOAD=${QUIVER_SANITIZER_PRELOAD}
        -DNORMALIZE=$<IF:$<BOOL:${QUIVER_SQL_TEST_NORMALIZE}>,${AWK},>
        -DNORMALIZER=${PROJECT_SOURCE_DIR}/cmake/normalize-sql-output.awk
        -P ${PROJECT_SOURCE_DIR}/cmake/RunSqlTest.cmake
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/sql)
  endforeach()
endforeach()
