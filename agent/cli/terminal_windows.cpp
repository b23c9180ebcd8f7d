#include "agent/cli/terminal.hpp"

#include <atomic>
#include <optional>
#include <vector>

#include <windows.h>

#include "agent/cli/terminal_system.hpp"

namespace ferry::cli {
namespace {

// The console's input mode from before echo was turned off, for the control handler to put back
// when Ctrl-C or a closing window ends the process during the read.
std::atomic<DWORD> saved_mode{0};
std::atomic<bool> echo_off{false};

BOOL WINAPI restore_echo(DWORD) {
  if (echo_off.exchange(false)) ::SetConsoleMode(::GetStdHandle(STD_INPUT_HANDLE), saved_mode);
  return FALSE;  // then what the event would have done
}

// Echo off for as long as it lives; the control handler above puts it back too.
class EchoOff {
 public:
  EchoOff() {
    HANDLE input = ::GetStdHandle(STD_INPUT_HANDLE);
    DWORD mode = 0;
    if (!::GetConsoleMode(input, &mode)) return;
    saved_mode = mode;
    ::SetConsoleCtrlHandler(restore_echo, TRUE);
    echo_off = ::SetConsoleMode(input, mode & ~static_cast<DWORD>(ENABLE_ECHO_INPUT)) != 0;
    active_ = true;
  }
  ~EchoOff() {
    if (!active_) return;
    if (echo_off.exchange(false)) ::SetConsoleMode(::GetStdHandle(STD_INPUT_HANDLE), saved_mode);
    ::SetConsoleCtrlHandler(restore_echo, FALSE);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  bool active_ = false;
};

// Wide characters wiped when done: they hold the passphrase too.
class WipedWide {
 public:
  explicit WipedWide(std::size_t size) : chars_(size) {}
  ~WipedWide() { ::SecureZeroMemory(chars_.data(), chars_.size() * sizeof(wchar_t)); }
  WipedWide(const WipedWide&) = delete;
  WipedWide& operator=(const WipedWide&) = delete;
  wchar_t* data() { return chars_.data(); }
  std::size_t size() const { return chars_.size(); }

 private:
  std::vector<wchar_t> chars_;
};

void write_prompt(std::string_view prompt) {
  DWORD written = 0;
  ::WriteFile(::GetStdHandle(STD_ERROR_HANDLE), prompt.data(), static_cast<DWORD>(prompt.size()),
              &written, nullptr);
}

}  // namespace

bool have_terminal() {
  DWORD mode = 0;
  return ::GetConsoleMode(::GetStdHandle(STD_INPUT_HANDLE), &mode) != 0;
}

Result<crypto::SecureBytes> ask_terminal(std::string_view prompt, std::size_t max_size, Echo echo) {
  std::optional<EchoOff> quiet;  // before the prompt: what is typed once it shows is not echoed
  if (echo == Echo::kOff) quiet.emplace();
  write_prompt(prompt);
  // One line in UTF-16 (the console's own), whatever the code page; a line that does not fit
  // counts as too long (a UTF-8 byte is at least one UTF-16 unit).
  WipedWide wide(max_size + 3);
  DWORD got = 0;
  if (!::ReadConsoleW(::GetStdHandle(STD_INPUT_HANDLE), wide.data(),
                      static_cast<DWORD>(wide.size()), &got, nullptr)) {
    return make_error(ErrorCode::kIo, "no answer: the input ended");
  }
  if (echo == Echo::kOff) write_prompt("\r\n");  // Enter was not echoed either
  std::size_t length = got;
  const bool ended = length > 0 && wide.data()[length - 1] == L'\n';
  while (length > 0 && (wide.data()[length - 1] == L'\n' || wide.data()[length - 1] == L'\r')) {
    --length;
  }
  if (!ended && got == wide.size()) {
    // Drain the rest of the line, so it is not read as the next command's input.
    WipedWide rest(256);
    DWORD more = 0;
    while (::ReadConsoleW(::GetStdHandle(STD_INPUT_HANDLE), rest.data(),
                          static_cast<DWORD>(rest.size()), &more, nullptr) &&
           more > 0 && rest.data()[more - 1] != L'\n') {
    }
    return make_error(ErrorCode::kInvalidArgument, "longer than {} characters", max_size);
  }
  if (got == 0) return make_error(ErrorCode::kIo, "no answer: the input ended");
  const int bytes = ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(length),
                                          nullptr, 0, nullptr, nullptr);
  if (static_cast<std::size_t>(bytes) > max_size) {
    return make_error(ErrorCode::kInvalidArgument, "longer than {} characters", max_size);
  }
  crypto::SecureBytes line(static_cast<std::size_t>(bytes));
  if (bytes > 0) {
    ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(length),
                          reinterpret_cast<char*>(line.data()), bytes, nullptr, nullptr);
  }
  return line;
}

}  // namespace ferry::cli
