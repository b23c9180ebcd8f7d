// Windows only: ferry.exe carries the Event Log's message table (common/log/ferry_messages.mc), so
// that Event Viewer shows each event's sentence: read back from the built program as Event Viewer
// reads it (LoadLibraryEx as a data file, FormatMessage with the event's ID and its one string).
#include <string>

#include <catch2/catch.hpp>
#include <windows.h>

namespace ferry {
namespace {

std::wstring message_of(HMODULE program, DWORD id, const wchar_t* text) {
  const DWORD_PTR arguments[] = {reinterpret_cast<DWORD_PTR>(text)};
  wchar_t* made = nullptr;
  const DWORD size = ::FormatMessageW(
      FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_ARGUMENT_ARRAY,
      program, id, MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US), reinterpret_cast<LPWSTR>(&made), 0,
      reinterpret_cast<va_list*>(const_cast<DWORD_PTR*>(arguments)));
  if (size == 0) return L"<none>";
  std::wstring message(made, size);
  ::LocalFree(made);
  return message;
}

TEST_CASE("ferry.exe holds the Event Log's message for every event it reports") {
  HMODULE program = ::LoadLibraryExW(FERRY_BINARY_WINDOWS, nullptr,
                                     LOAD_LIBRARY_AS_DATAFILE | LOAD_LIBRARY_AS_IMAGE_RESOURCE);
  REQUIRE(program != nullptr);
  // The IDs as Event Viewer sees them: severity in the top bits, the message number below.
  CHECK(message_of(program, 0x40000001, L"x") == L"The Ferry agent started: x\r\n");
  CHECK(message_of(program, 0x40000002, L"x") == L"The Ferry agent stopped: x\r\n");
  CHECK(message_of(program, 0xC0000003, L"x") == L"The Ferry agent could not start: x\r\n");
  CHECK(message_of(program, 0xC0000004, L"x") == L"Ferry: x\r\n");
  CHECK(message_of(program, 0x80000005, L"x") == L"Ferry: x\r\n");
  ::FreeLibrary(program);
}

}  // namespace
}  // namespace ferry
