# PASSERELLE_SANITIZE=ON: the gateway, the plugins and every test built with
# AddressSanitizer and UndefinedBehaviorSanitizer, in a build dir of its own
# (build/asan; scripts/lib/sanitize.sh configures it and runs ctest there with
# the right ASAN_OPTIONS; docs/fuzzing.md). Any UB aborts the process, so a
# test fails on it. clang-14 builds it faster than g++ 12; both work.
option(PASSERELLE_SANITIZE "Build everything with AddressSanitizer and UBSan (a separate build dir)" OFF)
if(NOT PASSERELLE_SANITIZE)
  return()
endif()
if(PASSERELLE_FUZZ_ONLY)
  message(FATAL_ERROR "PASSERELLE_SANITIZE and PASSERELLE_FUZZ_ONLY are two different builds: configure one build dir for each")
endif()

set(PASSERELLE_SANITIZE_FLAGS
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
# -O1 comes after the build type's -O2 (the test targets' own -Og after both):
# about half the compile time, and stack traces that still name every frame.
add_compile_options(${PASSERELLE_SANITIZE_FLAGS} -O1)
add_link_options(-fsanitize=address,undefined)
# The plugins are MODULE libraries: the sanitizer runtimes live in the executable
# that dlopens them (gateway, tests), so they leave those symbols unresolved.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  # clang's -fsanitize=function and vptr checks compare type info across the
  # dlopen boundary of hidden-visibility plugins, where it is legitimately distinct.
  add_compile_options(-fno-sanitize=function,vptr)
endif()
# Instrumented code draws warnings the plain build does not (GCC's
# -Wmaybe-uninitialized, clang's own set): the g++ build keeps warnings as
# errors; this one is for runtime findings and only reports them.
add_compile_options(-Wno-error)
# _FORTIFY_SOURCE's checked wrappers hide the calls ASan intercepts.
add_compile_options(-U_FORTIFY_SOURCE)
# Tests are listed when ctest runs, not at build time: listing runs each test
# binary, which must then see the ASAN_OPTIONS (suppressions) that ctest gets.
set(CMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE PRE_TEST)
