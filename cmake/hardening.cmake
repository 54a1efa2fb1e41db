# Hardening of the gateway and its plugins, as Debian builds its packages
# (dpkg-buildflags' hardening=+all): the stack protector, _FORTIFY_SOURCE's
# checked libc calls, full RELRO (relocations resolved at load, then read-only)
# and a position-independent executable. tests/hardening/check-hardening (ctest
# `hardening`) checks them on the built files.
#
# _FORTIFY_SOURCE needs optimisation, so it is left out of a Debug build, and
# out of the ASan build, whose interceptors the checked wrappers would bypass
# (cmake/sanitizers.cmake). The fuzz-only build does not come here.
option(PASSERELLE_HARDENING "Build with the stack protector, _FORTIFY_SOURCE=2, full RELRO and PIE" ON)
if(NOT PASSERELLE_HARDENING)
  return()
endif()

add_compile_options(-fstack-protector-strong)
if(NOT PASSERELLE_SANITIZE)
  # -U first: a compiler that defines it already (Ubuntu's gcc) would warn of a redefinition.
  add_compile_options("$<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:-U_FORTIFY_SOURCE;-D_FORTIFY_SOURCE=2>")
endif()
add_link_options(LINKER:-z,relro LINKER:-z,now)
# CMAKE_POSITION_INDEPENDENT_CODE (ON) gives executables -pie only once this check has run.
include(CheckPIESupported)
check_pie_supported()
