# cmake --install: libquiver.a + quiver.h, quiver.so, a CMake package
# (find_package(quiver CONFIG), target quiver::quiver) and quiver.pc.
include(CMakePackageConfigHelpers)

install(TARGETS quiver_static EXPORT quiver-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  PUBLIC_HEADER DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS quiver_loadable LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT quiver-targets NAMESPACE quiver:: FILE quiver-targets.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/quiver)
set_target_properties(quiver_static PROPERTIES EXPORT_NAME quiver)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/quiver-config.cmake.in
  ${PROJECT_BINARY_DIR}/quiver-config.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/quiver)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/quiver-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/quiver-config.cmake ${PROJECT_BINARY_DIR}/quiver-config-version.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/quiver)

# quiver.pc names its prefix relative to its own directory, so an installed
# tree can be moved (or installed with --prefix) and still be found.
file(RELATIVE_PATH QUIVER_PC_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" QUIVER_PC_PREFIX "${QUIVER_PC_PREFIX}")
# An instrumented libquiver.a (Sanitizers.cmake) needs the sanitizer
# runtimes in every program that links it.
set(QUIVER_PC_LINK_OPTIONS "")
foreach(option IN LISTS QUIVER_SANITIZER_LINK_OPTIONS)
  string(APPEND QUIVER_PC_LINK_OPTIONS " ${option}")
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/quiver.pc.in ${PROJECT_BINARY_DIR}/quiver.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/quiver.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
