// Windows only: a file HANDLE closed when it goes out of scope.
#pragma once

#include <memory>

#include <windows.h>

namespace ferry::env::windows {

struct HandleCloser {
  void operator()(HANDLE handle) const {
    if (handle != INVALID_HANDLE_VALUE) ::CloseHandle(handle);
  }
};
using UniqueHandle = std::unique_ptr<void, HandleCloser>;

}  // namespace ferry::env::windows
