# Instrumented builds, off by default:
#   QUIVER_SANITIZE  everything (extension, libquiver.a, tests) with
#                    AddressSanitizer and UndefinedBehaviorSanitizer. Any
#                    report aborts the process, so it fails its test.
#   QUIVER_FUZZ      the same, plus libFuzzer's coverage instrumentation and
#                    the fuzz targets in tests/fuzz (clang only).
#
#   cmake -S . -B build-asan -DQUIVER_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
#   cmake --build build-asan -j && ctest --test-dir build-asan
option(QUIVER_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(QUIVER_FUZZ "Build the libFuzzer targets of tests/fuzz (clang; implies QUIVER_SANITIZE)" OFF)

if(QUIVER_FUZZ AND NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "QUIVER_FUZZ needs clang, e.g. -DCMAKE_CXX_COMPILER=clang++-14")
endif()
if(NOT (QUIVER_SANITIZE OR QUIVER_FUZZ))
  return()
endif()

add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
add_link_options(-fsanitize=address,undefined)
if(QUIVER_FUZZ)
  # libFuzzer steers by the coverage of the code under test, not only of
  # the fuzz targets themselves.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# Programs linking the instrumented libquiver.a, in this build or from an
# install of it (the CMake package, quiver.pc), need the sanitizer runtimes too.
set(QUIVER_SANITIZER_LINK_OPTIONS -fsanitize=address,undefined)
cmake_language(DEFER CALL set_property TARGET quiver_static APPEND PROPERTY
  INTERFACE_LINK_OPTIONS ${QUIVER_SANITIZER_LINK_OPTIONS})

# A host program that is not instrumented (the sqlite3 shell loading
# quiver.so) must preload the ASan runtime, which has to come first in the
# process, and the C++ runtime, whose exceptions ASan intercepts: a C host
# would load it only with the module, too late for ASan to find it.
# QUIVER_SANITIZER_PRELOAD is that LD_PRELOAD list.
function(quiver_sanitizer_preload out)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    set(runtimes libasan.so libstdc++.so)
  else()
    set(runtimes libclang_rt.asan-${CMAKE_SYSTEM_PROCESSOR}.so libstdc++.so)
  endif()
  set(paths "")
  foreach(runtime IN LISTS runtimes)
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=${runtime}
      OUTPUT_VARIABLE path OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT IS_ABSOLUTE "${path}" OR NOT EXISTS "${path}")
      message(FATAL_ERROR "cannot find ${runtime} of ${CMAKE_CXX_COMPILER}")
    endif()
    list(APPEND paths "${path}")
  endforeach()
  list(JOIN paths ":" preload)
  set(${out} "${preload}" PARENT_SCOPE)
endfunction()
quiver_sanitizer_preload(QUIVER_SANITIZER_PRELOAD)
# clang links its ASan runtime into shared objects only when asked to.
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  string(APPEND CMAKE_MODULE_LINKER_FLAGS " -shared-libasan")
endif()
