# library.cmake — libvqsim: the device model, the harness and the public API
# (include/vqsim/vqsim.h) as one static and one shared library, with a CMake package
# (find_package(vqsim 1)) and a pkg-config file (vqsim.pc). Included by CMakeLists.txt when
# VQSIM_LIBRARY is on (the default), always built without sanitizers.
#
# Versioning: the package version is the API version of include/vqsim/vqsim.h
# (VQSIM_API_VERSION_MAJOR.MINOR); the shared library's SONAME carries the major (libvqsim.so.1).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

file(STRINGS ${CMAKE_SOURCE_DIR}/include/vqsim/vqsim.h _maj REGEX "#define VQSIM_API_VERSION_MAJOR ")
file(STRINGS ${CMAKE_SOURCE_DIR}/include/vqsim/vqsim.h _min REGEX "#define VQSIM_API_VERSION_MINOR ")
string(REGEX REPLACE ".* ([0-9]+)$" "\\1" VQSIM_API_MAJOR "${_maj}")
string(REGEX REPLACE ".* ([0-9]+)$" "\\1" VQSIM_API_MINOR "${_min}")
set(VQSIM_LIB_VERSION ${VQSIM_API_MAJOR}.${VQSIM_API_MINOR}.0)

# The sources of the dev build's libraries (whatever they hold), compiled once more,
# position-independent and without sanitizers, for both libraries. `run --driver`'s process
# handling (fork, dlopen) is the vqsim command's, not the library's; so is `vqsim record`.
get_target_property(VQSIM_LIB_DRIVER_SOURCES vqdriver SOURCES)
get_target_property(VQSIM_LIB_CORE_SOURCES vqsimcore SOURCES)
get_target_property(VQSIM_LIB_HAL_SOURCES vqsimhal SOURCES)
list(APPEND VQSIM_LIB_CORE_SOURCES ${VQSIM_LIB_HAL_SOURCES})
get_target_property(VQSIM_LIB_HARNESS_SOURCES vqharness SOURCES)
list(FILTER VQSIM_LIB_HARNESS_SOURCES EXCLUDE REGEX "src/lib/run_driver\\.c$")
list(FILTER VQSIM_LIB_HARNESS_SOURCES EXCLUDE REGEX "src/record/record_cmd[^/]*\\.c$")
# A sanitized or fuzzing build (the dev build) leaves the library out of `all`: it is built on
# request (--target vqsim_shared vqsim_static), still without sanitizers.
if(VQSIM_SANITIZE OR VQSIM_FUZZ)
  set(VQSIM_LIB_EXCLUDE EXCLUDE_FROM_ALL)
else()
  set(VQSIM_LIB_EXCLUDE)
endif()
add_library(vqsim_driver_obj OBJECT ${VQSIM_LIB_EXCLUDE} ${VQSIM_LIB_DRIVER_SOURCES})
target_compile_options(vqsim_driver_obj PRIVATE -ffreestanding -nostdinc -isystem ${VQ_CC_INCLUDE})
add_library(vqsim_obj OBJECT ${VQSIM_LIB_EXCLUDE} ${VQSIM_LIB_CORE_SOURCES}
            ${VQSIM_LIB_HARNESS_SOURCES})
target_include_directories(vqsim_obj PRIVATE include)
target_link_libraries(vqsim_obj PRIVATE PkgConfig::YAML PkgConfig::PNG PkgConfig::ZLIB)
set_target_properties(vqsim_driver_obj vqsim_obj PROPERTIES POSITION_INDEPENDENT_CODE ON)
set(VQSIM_OBJECTS $<TARGET_OBJECTS:vqsim_driver_obj> $<TARGET_OBJECTS:vqsim_obj>)

add_library(vqsim_shared SHARED ${VQSIM_LIB_EXCLUDE} ${VQSIM_OBJECTS})
# Only the public API (vqsim_*) and the HAL header's implementation (vhal_*) are exported.
target_link_options(vqsim_shared PRIVATE
  -Wl,--version-script=${CMAKE_SOURCE_DIR}/cmake/libvqsim.map -Wl,--no-undefined)
set_target_properties(vqsim_shared PROPERTIES OUTPUT_NAME vqsim EXPORT_NAME vqsim
  VERSION ${VQSIM_LIB_VERSION} SOVERSION ${VQSIM_API_MAJOR}
  LINK_DEPENDS ${CMAKE_SOURCE_DIR}/cmake/libvqsim.map)
target_link_libraries(vqsim_shared PRIVATE PkgConfig::YAML PkgConfig::PNG PkgConfig::ZLIB)

add_library(vqsim_static STATIC ${VQSIM_LIB_EXCLUDE} ${VQSIM_OBJECTS})
set_target_properties(vqsim_static PROPERTIES OUTPUT_NAME vqsim EXPORT_NAME vqsim_static)
# A static library's users link its dependencies themselves: the package recreates these two
# imported targets (vqsimConfig.cmake), vqsim.pc lists them in Requires.private.
target_link_libraries(vqsim_static INTERFACE PkgConfig::YAML PkgConfig::PNG PkgConfig::ZLIB)

# The directory's sanitizer and fuzzer flags (add_compile_options / add_link_options in
# CMakeLists.txt) are not the library's: a user's program would need the sanitizer runtime.
foreach(t vqsim_driver_obj vqsim_obj vqsim_shared vqsim_static)
  foreach(p COMPILE_OPTIONS LINK_OPTIONS)
    get_target_property(_opts ${t} ${p})
    if(_opts)
      list(FILTER _opts EXCLUDE REGEX "^-f(no-)?sanitize")
      set_property(TARGET ${t} PROPERTY ${p} ${_opts})
    endif()
  endforeach()
endforeach()

foreach(t vqsim_shared vqsim_static)
  target_include_directories(${t} INTERFACE
    $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
endforeach()

install(TARGETS vqsim_shared vqsim_static EXPORT vqsimTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# vqsim.h is the API; virtio_hal.h for drivers written to vqsim's own HAL (vhal_*), which the
# library implements on the running machine.
install(FILES include/vqsim/vqsim.h src/driver/virtio_hal.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/vqsim)
install(EXPORT vqsimTargets NAMESPACE vqsim:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vqsim)
configure_package_config_file(cmake/vqsimConfig.cmake.in
  ${CMAKE_BINARY_DIR}/vqsimConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vqsim)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/vqsimConfigVersion.cmake
  VERSION ${VQSIM_LIB_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/vqsimConfig.cmake ${CMAKE_BINARY_DIR}/vqsimConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vqsim)
# Relocatable: the prefix is found from where vqsim.pc lies (cmake --install --prefix works).
file(RELATIVE_PATH VQSIM_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
configure_file(cmake/vqsim.pc.in ${CMAKE_BINARY_DIR}/vqsim.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/vqsim.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
