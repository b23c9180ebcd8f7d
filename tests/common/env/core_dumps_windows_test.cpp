#include <catch2/catch.hpp>
#include <windows.h>

#include "common/env/core_dumps.hpp"

namespace ferry::env {
namespace {

TEST_CASE("a crash shows no dialog and never reaches Windows Error Reporting") {
  const UINT mode_before = ::GetErrorMode();
  const LPTOP_LEVEL_EXCEPTION_FILTER filter_before = ::SetUnhandledExceptionFilter(nullptr);
  REQUIRE(forbid_core_dumps());
  CHECK((::GetErrorMode() & SEM_NOGPFAULTERRORBOX) != 0);
  CHECK((::GetErrorMode() & SEM_FAILCRITICALERRORS) != 0);
  // A filter of Ferry's own is in place of Windows' default, which hands a crash to WER.
  const LPTOP_LEVEL_EXCEPTION_FILTER installed = ::SetUnhandledExceptionFilter(filter_before);
  CHECK(installed != nullptr);
  CHECK(installed != filter_before);
  ::SetErrorMode(mode_before);
}

}  // namespace
}  // namespace ferry::env
