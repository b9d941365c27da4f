# The install test: installs Quiver into a scratch prefix, moves the
# installed tree elsewhere (an install must relocate), then builds
# examples/static-link against it twice, with find_package(quiver) and with
# `pkg-config --static`, runs both and checks their output.
# Arguments: -DBUILD_DIR= -DSOURCE_DIR= -DWORK_DIR=
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed: ${ARGN}\n${out}")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()
function(check_output how)
  if(NOT output MATCHES "rowid=1  title=refunds  distance=0.0012\nrowid=2  title=money back  distance=0.0018")
    message(FATAL_ERROR "unexpected output of the program built with ${how}:\n${output}")
  endif()
  message(STATUS "built with ${how}:\n${output}")
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/installed)
file(RENAME ${WORK_DIR}/installed ${WORK_DIR}/moved)
set(prefix ${WORK_DIR}/moved)

run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/static-link -B ${WORK_DIR}/build -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/quiver_example)
check_output("find_package")

find_program(PKG_CONFIG NAMES pkg-config pkgconf REQUIRED)
find_program(C_COMPILER NAMES cc gcc REQUIRED)
file(GLOB_RECURSE pc_file ${prefix}/*/quiver.pc)
get_filename_component(pc_dir "${pc_file}" DIRECTORY)
set(ENV{PKG_CONFIG_PATH} "${pc_dir}")
run(${PKG_CONFIG} --static --cflags --libs quiver)
separate_arguments(flags UNIX_COMMAND "${output}")
run(${C_COMPILER} ${SOURCE_DIR}/examples/static-link/main.c ${flags} -o ${WORK_DIR}/quiver_example_pc)
run(${WORK_DIR}/quiver_example_pc)
check_output("pkg-config")
