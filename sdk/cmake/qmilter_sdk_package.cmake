# Installs the SDK as a package for third-party plugin authors: the headers, the CMake
# package qmilter-sdk (target qmilter::sdk, with a version file), qmilter-sdk.pc and the
# example plugin of sdk/examples.
# Included from sdk/CMakeLists.txt after the qmilter_sdk target exists.
#
# Versioning: the package's version IS the SDK ABI version from abi.hpp (e.g. 2.0), not the
# qmilter release. What a plugin author asks for is "headers whose plugins this daemon
# loads", and that is exactly the ABI rule: same major = compatible, and a plugin needs a
# host whose minor is at least the one it was built with. CMake's SameMajorVersion check is
# that rule, so find_package(qmilter-sdk 2.1) accepts 2.1 ... 2.x and refuses 2.0 and 3.0.
# The qmilter release travels along as the variable qmilter-sdk_QMILTER_VERSION.
include(CMakePackageConfigHelpers)

# One source of truth: read the ABI version out of the header the plugins compile against.
file(STRINGS "${CMAKE_CURRENT_SOURCE_DIR}/include/qmilter/sdk/abi.hpp" abi_defines
     REGEX "^#define QMILTER_SDK_ABI_(MAJOR|MINOR) +[0-9]+")
foreach(line IN LISTS abi_defines)
  if(line MATCHES "^#define (QMILTER_SDK_ABI_(MAJOR|MINOR)) +([0-9]+)")
    set(${CMAKE_MATCH_1} "${CMAKE_MATCH_3}")
  endif()
endforeach()
if(NOT DEFINED QMILTER_SDK_ABI_MAJOR OR NOT DEFINED QMILTER_SDK_ABI_MINOR)
  message(FATAL_ERROR "sdk/include/qmilter/sdk/abi.hpp: cannot read QMILTER_SDK_ABI_MAJOR/MINOR")
endif()
set(QMILTER_SDK_VERSION "${QMILTER_SDK_ABI_MAJOR}.${QMILTER_SDK_ABI_MINOR}")
set(QMILTER_SDK_VERSION "${QMILTER_SDK_VERSION}" PARENT_SCOPE)

# Headers only, so the package files go under datadir (share/), where find_package and
# pkg-config look on every distribution (Debian's CMake does not search lib64/).
set(cmake_dir "${CMAKE_INSTALL_DATADIR}/cmake/qmilter-sdk")
set(pc_dir "${CMAKE_INSTALL_DATADIR}/pkgconfig")

install(DIRECTORY include/qmilter DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" COMPONENT sdk)
# The author's kit: a complete out-of-tree plugin to copy, under the -devel package's doc
# directory (where the RPM's qmilter-devel ships it too).
set(QMILTER_SDK_EXAMPLES_INSTALL_DIR "${CMAKE_INSTALL_DATAROOTDIR}/doc/qmilter-devel/examples")
install(DIRECTORY examples/ DESTINATION "${QMILTER_SDK_EXAMPLES_INSTALL_DIR}" COMPONENT sdk)
install(TARGETS qmilter_sdk EXPORT qmilter-sdk-targets COMPONENT sdk)
install(EXPORT qmilter-sdk-targets NAMESPACE qmilter:: DESTINATION "${cmake_dir}" COMPONENT sdk)

configure_package_config_file(
  "${CMAKE_CURRENT_SOURCE_DIR}/cmake/qmilter-sdk-config.cmake.in"
  "${CMAKE_CURRENT_BINARY_DIR}/qmilter-sdk-config.cmake"
  INSTALL_DESTINATION "${cmake_dir}"
  PATH_VARS QMILTER_PLUGIN_INSTALL_DIR)
# Headers only: a 32-bit consumer may use the files a 64-bit build installed.
write_basic_package_version_file(
  "${CMAKE_CURRENT_BINARY_DIR}/qmilter-sdk-config-version.cmake"
  VERSION "${QMILTER_SDK_VERSION}"
  COMPATIBILITY SameMajorVersion
  ARCH_INDEPENDENT)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/qmilter-sdk-config.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/qmilter-sdk-config-version.cmake"
        DESTINATION "${cmake_dir}" COMPONENT sdk)

# pkg-config: relocatable. ${prefix} is derived from where the .pc file sits (pcfiledir),
# so it stays right under DESTDIR, rpm buildroots and `cmake --install --prefix`.
if(IS_ABSOLUTE "${pc_dir}")
  set(QMILTER_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH pc_to_prefix "/prefix/${pc_dir}" "/prefix")
  string(REGEX REPLACE "/$" "" pc_to_prefix "${pc_to_prefix}")
  set(QMILTER_PC_PREFIX "\${pcfiledir}/${pc_to_prefix}")
endif()
foreach(kind IN ITEMS INCLUDEDIR LIBDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${kind}}")
    set(QMILTER_PC_${kind} "${CMAKE_INSTALL_${kind}}")
  else()
    set(QMILTER_PC_${kind} "\${prefix}/${CMAKE_INSTALL_${kind}}")
  endif()
endforeach()
if(IS_ABSOLUTE "${QMILTER_PLUGIN_INSTALL_DIR}")
  set(QMILTER_PC_PLUGINDIR "${QMILTER_PLUGIN_INSTALL_DIR}")
else()
  set(QMILTER_PC_PLUGINDIR "\${prefix}/${QMILTER_PLUGIN_INSTALL_DIR}")
endif()
configure_file("${CMAKE_CURRENT_SOURCE_DIR}/cmake/qmilter-sdk.pc.in"
               "${CMAKE_CURRENT_BINARY_DIR}/qmilter-sdk.pc" @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/qmilter-sdk.pc" DESTINATION "${pc_dir}" COMPONENT sdk)
