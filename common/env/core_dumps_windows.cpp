// Windows: a crash must not leave the process's memory (the key file's secrets, rows before the
// policy) in a dump. Windows has no core limit: a crash goes to the unhandled-exception filter,
// whose default hands it to Windows Error Reporting, which may write a dump (LocalDumps) or send
// one. The filter installed here ends the process at once instead, so WER never sees it; the
// error mode keeps the crash dialog away. Failures the C runtime turns into a fail-fast
// (__fastfail, a stack cookie overrun) skip every filter and still reach WER: docs/windows.md.
#include "common/env/core_dumps.hpp"

#include <windows.h>

namespace ferry::env {
namespace {

LONG WINAPI end_without_dump(EXCEPTION_POINTERS* exception) {
  const DWORD code = exception != nullptr && exception->ExceptionRecord != nullptr
                         ? exception->ExceptionRecord->ExceptionCode
                         : static_cast<DWORD>(EXCEPTION_NONCONTINUABLE_EXCEPTION);
  ::TerminateProcess(::GetCurrentProcess(), static_cast<UINT>(code));
  return EXCEPTION_EXECUTE_HANDLER;
}

}  // namespace

Result<void> forbid_core_dumps() {
  ::SetErrorMode(::GetErrorMode() | SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
  ::SetUnhandledExceptionFilter(&end_without_dump);
  return {};
}

}  // namespace ferry::env
