# Toolchain file: Windows x86_64 programs built on Debian with MinGW-w64 (g++-mingw-w64-x86-64-posix,
# the POSIX thread model, which std::thread and std::mutex need), run under Wine. Used by the
# windows-cross preset and by packaging/windows/build-deps.sh, which builds the libraries into
# FERRY_MINGW_PREFIX.
#
#   FERRY_MINGW_PREFIX   the libraries built by build-deps.sh (lib/, include/) and the header-only
#                        ones (headers/); default $HOME/.cache/ferry/mingw-deps/current
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_AR x86_64-w64-mingw32-ar CACHE FILEPATH "")
set(CMAKE_RANLIB x86_64-w64-mingw32-ranlib CACHE FILEPATH "")

if(NOT FERRY_MINGW_PREFIX)
  set(FERRY_MINGW_PREFIX "$ENV{HOME}/.cache/ferry/mingw-deps/current")
endif()
set(FERRY_MINGW_PREFIX "${FERRY_MINGW_PREFIX}" CACHE PATH "Libraries built for MinGW-w64")
# try_compile projects see the toolchain file again, not the cache: pass the prefix on.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES FERRY_MINGW_PREFIX)

# Libraries and headers from the prefix and the cross compiler's own sysroot only, never from
# this machine's /usr (whose headers are glibc's); programs (Wine, code generators) from the host.
set(CMAKE_FIND_ROOT_PATH "${FERRY_MINGW_PREFIX}" /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_LIBDIR} "${FERRY_MINGW_PREFIX}/lib/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# One .exe with no DLLs beside it: the C and C++ runtimes and winpthread linked in.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")

# CTest runs the test programs, and Catch's discovery lists their tests, through Wine
# (cmake/wine-run.sh finds it and gives it a prefix of its own).
set(CMAKE_CROSSCOMPILING_EMULATOR "${CMAKE_CURRENT_LIST_DIR}/wine-run.sh")

# A library CMake links by name (-lodbc32 from FindODBC) makes it wrap the link line in
# -Wl,-Bstatic ... -Wl,-Bdynamic, and what follows would then pull DLLs (libwinpthread-1.dll):
# end every link line static.
set(CMAKE_LINK_SEARCH_END_STATIC ON)
