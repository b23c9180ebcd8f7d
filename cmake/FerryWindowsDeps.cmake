# The libraries of a Windows build (the windows-cross preset, cmake/mingw-w64.cmake), under the
# target names the Linux build gets from Debian's packages, so that the CMakeLists of the
# subsystems stay the same on both:
#   - compiled ones (OpenSSL, SQLite, zstd, yaml-cpp, zlib) from FERRY_MINGW_PREFIX, where
#     packaging/windows/build-deps.sh built them from Debian's source packages;
#   - header-only ones (Boost, fmt, spdlog, tl-expected, Catch2) from FERRY_MINGW_PREFIX/headers,
#     copies of this machine's Debian headers, used in header-only mode.
set(FERRY_MINGW_HEADERS "${FERRY_MINGW_PREFIX}/headers")
if(NOT EXISTS "${FERRY_MINGW_PREFIX}/VERSIONS")
  message(FATAL_ERROR "No libraries for Windows in ${FERRY_MINGW_PREFIX}: run "
                      "packaging/windows/build-deps.sh first (or set FERRY_MINGW_PREFIX).")
endif()

set(OPENSSL_USE_STATIC_LIBS TRUE)
find_package(OpenSSL 3.0 REQUIRED)
# A static OpenSSL on Windows calls Winsock, the certificate store and the system's RNG.
set_property(TARGET OpenSSL::Crypto APPEND PROPERTY INTERFACE_LINK_LIBRARIES ws2_32 crypt32 bcrypt)
find_package(SQLite3 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(ZLIB REQUIRED)
find_package(PkgConfig REQUIRED)
set(PKG_CONFIG_ARGN --static)  # static libraries: their own dependencies too (Libs.private)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
# The file and SFTP sources' libraries, static: their headers must be told so.
pkg_check_modules(LIBARCHIVE REQUIRED IMPORTED_TARGET GLOBAL libarchive)
target_compile_definitions(PkgConfig::LIBARCHIVE INTERFACE LIBARCHIVE_STATIC)
pkg_check_modules(LIBSSH REQUIRED IMPORTED_TARGET GLOBAL libssh)
target_compile_definitions(PkgConfig::LIBSSH INTERFACE LIBSSH_STATIC)
# libssh's .pc names none of what it needs. zlib by name (-lz), not ZLIB::ZLIB: the same file
# linked earlier for another library would not be repeated after libssh.
set_property(TARGET PkgConfig::LIBSSH APPEND PROPERTY INTERFACE_LINK_DIRECTORIES
             "${FERRY_MINGW_PREFIX}/lib")
target_link_libraries(PkgConfig::LIBSSH INTERFACE OpenSSL::Crypto z ws2_32 iphlpapi)
find_package(ODBC REQUIRED)  # Windows' own driver manager (odbc32), in MinGW-w64

function(ferry_header_library name)
  add_library(${name} INTERFACE IMPORTED GLOBAL)
  set_target_properties(${name} PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${FERRY_MINGW_HEADERS}"
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${FERRY_MINGW_HEADERS}")
  if(ARGN)
    set_property(TARGET ${name} PROPERTY INTERFACE_COMPILE_DEFINITIONS ${ARGN})
  endif()
endfunction()

ferry_header_library(tl::expected)
ferry_header_library(fmt::fmt FMT_HEADER_ONLY=1)
ferry_header_library(spdlog::spdlog SPDLOG_FMT_EXTERNAL SPDLOG_HEADER_ONLY)
target_link_libraries(spdlog::spdlog INTERFACE fmt::fmt)
# Asio on Windows: Windows 10 and Server 2016 and later, and Winsock.
ferry_header_library(Boost::headers _WIN32_WINNT=0x0A00 BOOST_ASIO_NO_DEPRECATED)
target_link_libraries(Boost::headers INTERFACE ws2_32 mswsock)
# Boost.JSON in header-only mode: its implementation compiled once, in a library of our own.
add_library(ferry_boost_json STATIC "${PROJECT_SOURCE_DIR}/cmake/boost_json_src.cpp")
target_link_libraries(ferry_boost_json PUBLIC Boost::headers)
add_library(Boost::json ALIAS ferry_boost_json)
ferry_header_library(Catch2::Catch2)
