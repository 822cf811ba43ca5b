# One place for compiler warnings: baton_warnings(<target>).
function(baton_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align)
  # With ASan, GCC 12 to 14 take libstdc++'s own <regex> for maybe-uninitialized (GCC bug
  # 105616, a false positive; adapters/sql/sql_config.cpp trips it). The warning stays on in
  # every build without ASan, the TSan tree of .ci/run included.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND BATON_SANITIZE MATCHES "address")
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
  if(BATON_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
