# Run-time checks compiled into every target: assertions (BATON_ASSERTIONS) and the sanitizers
# (BATON_SANITIZE). Included by the top-level CMakeLists.txt before any target is defined, so
# the daemon, the adapters, the tests and their libraries are all built the same way.

# Assertions state the invariants the code relies on (STYLE.md: "broken invariants are bugs:
# assert"), and the tests are there to trip them; Release and RelWithDebInfo define NDEBUG,
# which compiles every assert out. So they are kept by default in every build type, batond
# included: the asserts are cheap (none is on a per-byte path), and a daemon that stops on a
# broken invariant is better than one that goes on with a corrupt state. One setting for the
# whole tree also lets scripts/run and scripts/test share build/ without rebuilding each other's
# objects. -DBATON_ASSERTIONS=OFF builds with NDEBUG as CMake's build types define it.
option(BATON_ASSERTIONS "Keep assert() in every build type (strip -DNDEBUG)" ON)
if(BATON_ASSERTIONS)
  foreach(config RELEASE RELWITHDEBINFO MINSIZEREL)
    # A normal variable of the same name shadows the cache entry in this directory and below.
    string(REGEX REPLACE "(^| )[-/]DNDEBUG( |$)" " " CMAKE_CXX_FLAGS_${config}
                         "${CMAKE_CXX_FLAGS_${config}}")
    string(STRIP "${CMAKE_CXX_FLAGS_${config}}" CMAKE_CXX_FLAGS_${config})
  endforeach()
endif()

# BATON_SANITIZE: the list given to -fsanitize=, e.g. "address,undefined" or "thread" (.ci/run
# builds both, in build-asan/ and build-tsan/). Any finding stops the program (no recovery, so a
# test cannot pass over it), and frame pointers and line tables give readable stacks.
set(BATON_SANITIZE "" CACHE STRING
    "Build every target with -fsanitize=<list>, e.g. address,undefined or thread")
if(BATON_SANITIZE)
  if(BATON_SANITIZE MATCHES "thread" AND BATON_SANITIZE MATCHES "address|leak|memory")
    message(FATAL_ERROR "BATON_SANITIZE=${BATON_SANITIZE}: thread cannot be combined with "
                        "address, leak or memory; build them in separate trees")
  endif()
  add_compile_options(-fsanitize=${BATON_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -g1)
  add_link_options(-fsanitize=${BATON_SANITIZE})
  # The fuzz replay drivers bring their own ASan+UBSan (fuzz/CMakeLists.txt); here they take the
  # tree's sanitizer instead, which may be thread and cannot be mixed with address.
  set(BATON_FUZZ_SANITIZE OFF)
  message(STATUS "baton: sanitizers on (${BATON_SANITIZE})")
endif()
