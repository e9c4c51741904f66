# Builds one layering probe and checks that it compiled (EXPECT=compiles) or failed because
# its header is out of reach (EXPECT=fails): any other failure is a broken probe.
# Usage: cmake -DBUILD_DIR=... -DCONFIG=... -DPROBE=... -DHEADER=... -DEXPECT=... -P check_probe.cmake
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BUILD_DIR}" --config "${CONFIG}" --target "${PROBE}"
                RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
string(REPLACE "." "\\." header_pattern "${HEADER}")
# GCC: "core/x/y.hpp: No such file or directory"; Clang: "'core/x/y.hpp' file not found".
set(not_found "(${header_pattern}: No such file or directory|'${header_pattern}' file not found)")

if(EXPECT STREQUAL "compiles")
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${PROBE}: including ${HEADER} should compile but did not:\n${output}")
  endif()
elseif(EXPECT STREQUAL "fails")
  if(status EQUAL 0)
    message(FATAL_ERROR "${PROBE}: ${HEADER} is reachable across a layer: the include compiled")
  endif()
  if(NOT output MATCHES "${not_found}")
    message(FATAL_ERROR "${PROBE}: failed, but not because ${HEADER} is out of reach:\n${output}")
  endif()
else()
  message(FATAL_ERROR "EXPECT must be 'compiles' or 'fails', not '${EXPECT}'")
endif()
