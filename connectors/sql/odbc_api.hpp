// The ODBC headers, the same way on both systems: unixODBC's on Linux; Windows' own, which need
// <windows.h> first (their types, DWORD and HWND among them, come from it).
#pragma once

#ifdef _WIN32
#include <windows.h>
#endif

#include <sql.h>
#include <sqlext.h>
