# Fails when a source under core/ or plugins/ includes a header by a relative path that
# climbs out of its folder ("../"): such an include would not go through the include roots
# and so could cross a layer unnoticed.
# Usage: cmake -DSOURCE_DIR=<repository> -P check_relative_includes.cmake
file(GLOB_RECURSE sources LIST_DIRECTORIES false
     "${SOURCE_DIR}/core/*.hpp" "${SOURCE_DIR}/core/*.cpp"
     "${SOURCE_DIR}/plugins/*.hpp" "${SOURCE_DIR}/plugins/*.cpp")
if(NOT sources)
  message(FATAL_ERROR "no sources found under ${SOURCE_DIR}/core and ${SOURCE_DIR}/plugins")
endif()
set(offenders "")
foreach(source IN LISTS sources)
  file(STRINGS "${source}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<][^\">]*\\.\\./")
  foreach(line IN LISTS lines)
    file(RELATIVE_PATH name "${SOURCE_DIR}" "${source}")
    string(APPEND offenders "\n  ${name}: ${line}")
  endforeach()
endforeach()
if(offenders)
  message(FATAL_ERROR "relative includes climb out of their folder:${offenders}")
endif()
