# Tests that run what the README shows, as a user runs it: the Python and
# Node.js examples (each checks its answers against a brute force) and every
# ```sql block of the README (tests/readme/run.sh).

# A host program that is not instrumented loads the instrumented module in
# sanitizer builds: it preloads the runtimes (see Sanitizers.cmake).
function(quiver_host_environment test)
  if(QUIVER_SANITIZER_PRELOAD)
    set_tests_properties(${test} PROPERTIES ENVIRONMENT
      "LD_PRELOAD=${QUIVER_SANITIZER_PRELOAD};ASAN_OPTIONS=detect_leaks=0")
  endif()
endfunction()

find_program(SQLITE3_SHELL sqlite3 REQUIRED)
add_test(NAME readme/sql-blocks
  COMMAND ${PROJECT_SOURCE_DIR}/tests/readme/run.sh ${PROJECT_SOURCE_DIR}/README.md ${SQLITE3_SHELL}
          $<TARGET_FILE:quiver_loadable> ${CMAKE_BINARY_DIR}/readme-test)
quiver_host_environment(readme/sql-blocks)

# Debian's /usr/bin/python3: its sqlite3 module can load extensions, which a
# Python built without that support (say, one first on PATH) cannot.
find_program(QUIVER_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
add_test(NAME examples/python
  COMMAND ${QUIVER_PYTHON3} ${PROJECT_SOURCE_DIR}/examples/python/example.py $<TARGET_FILE:quiver_loadable>)
quiver_host_environment(examples/python)

# The Node.js example runs when better-sqlite3 is installed in this build
# (examples/node/install.sh ${CMAKE_BINARY_DIR}/node, which tests/run.sh does
# in --full mode and in CI); without it the test is reported as skipped.
find_program(QUIVER_NODE node)
if(QUIVER_NODE AND NOT QUIVER_SANITIZER_PRELOAD)
  add_test(NAME examples/node
    COMMAND ${CMAKE_COMMAND} -E env NODE_PATH=${CMAKE_BINARY_DIR}/node/node_modules
            ${QUIVER_NODE} ${PROJECT_SOURCE_DIR}/examples/node/example.js $<TARGET_FILE:quiver_loadable>)
  set_tests_properties(examples/node PROPERTIES SKIP_REGULAR_EXPRESSION "Cannot find module 'better-sqlite3'")
endif()
