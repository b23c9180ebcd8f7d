# FERRY_HARDENING: the hardening Debian's packages are built with (dpkg-buildflags with
# DEB_BUILD_MAINT_OPTIONS=hardening=+all, plus what packaging/linux/build-deb.sh adds), for builds
# that do not take their flags from dpkg-buildflags. The release preset turns it on, so that the
# binaries CI tests are hardened like the packaged ones, and CI can package them
# (packaging/linux/build-deb.sh --from-build) instead of compiling everything a second time. A
# packager's plain build leaves it off and passes dpkg-buildflags' own flags.
#
#   -D_FORTIFY_SOURCE=2       checked memory and string functions (optimised builds only: glibc
#                             warns without optimisation)
#   -fstack-protector-strong  stack canaries
#   -fstack-clash-protection  stack probes, where the compiler has them
#   -fcf-protection           control-flow protection, on x86 (where the compiler has it)
#   -Wformat -Werror=format-security
#   -Wl,-z,relro -Wl,-z,now   full RELRO with immediate binding
# Debian's gcc makes position-independent executables by default.
option(FERRY_HARDENING "Compile and link with Debian's hardening flags" OFF)

if(FERRY_HARDENING)
  include(CheckCXXCompilerFlag)
  add_compile_options(
    "$<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=2>"
    -fstack-protector-strong
    -Wformat
    -Werror=format-security)
  foreach(flag -fstack-clash-protection -fcf-protection)
    string(MAKE_C_IDENTIFIER "FERRY_HAS${flag}" has_flag)
    check_cxx_compiler_flag("${flag}" ${has_flag})
    if(${has_flag})
      add_compile_options("${flag}")
    endif()
  endforeach()
  add_link_options("LINKER:-z,relro" "LINKER:-z,now")
endif()
