# Runs one SQL golden test (see SqlTests.cmake). stdbuf keeps the shell's
# results and its error lines in the order they were produced.
set(ENV{QUIVER_SIMD} "${FAMILY}")
# Sanitizer builds: the shell is not instrumented and preloads the runtimes
# (see Sanitizers.cmake). Leak checking stays with the statically linked
# tests: the shell unloads quiver.so before exit, which leaves the module's
# process-lifetime allocations unreachable.
if(PRELOAD)
  set(ENV{LD_PRELOAD} "${PRELOAD}")
  set(ENV{ASAN_OPTIONS} "$ENV{ASAN_OPTIONS}:detect_leaks=0")
endif()
# Quiver refuses to load with a family this CPU cannot run: such a family's
# run uses the best one instead.
execute_process(
  COMMAND ${SQLITE3} -batch -cmd ".load ${MODULE}" :memory: "SELECT 1"
  OUTPUT_QUIET ERROR_VARIABLE probe_error RESULT_VARIABLE probe_rc)
if(probe_error MATCHES "cannot run on this machine")
  unset(ENV{QUIVER_SIMD})
endif()
execute_process(
  COMMAND ${STDBUF} -o0 -e0 ${SQLITE3} -batch -cmd ".load ${MODULE}" :memory:
  INPUT_FILE ${SCRIPT}
  OUTPUT_VARIABLE actual
  ERROR_VARIABLE actual
  RESULT_VARIABLE rc)
file(READ ${EXPECTED} expected)
get_filename_component(name "${SCRIPT}" NAME_WE)
set(actual_path "${OUT_DIR}/${name}.${FAMILY}.actual")
# NORMALIZE is awk, to compare across shell versions (SqlTests.cmake).
if(NORMALIZE)
  file(WRITE "${actual_path}.raw" "${actual}")
  execute_process(COMMAND ${NORMALIZE} -f ${NORMALIZER} INPUT_FILE "${actual_path}.raw" OUTPUT_VARIABLE actual)
  execute_process(COMMAND ${NORMALIZE} -f ${NORMALIZER} INPUT_FILE ${EXPECTED} OUTPUT_VARIABLE expected)
  set(EXPECTED "${actual_path}.expected")
  file(WRITE "${EXPECTED}" "${expected}")
endif()
if(NOT actual STREQUAL expected)
  file(WRITE "${actual_path}" "${actual}")
  execute_process(COMMAND diff -u ${EXPECTED} ${actual_path})
  message(FATAL_ERROR "output differs from ${EXPECTED} (kernel family ${FAMILY}); actual output in ${actual_path}")
endif()
