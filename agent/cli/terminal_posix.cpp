#include "agent/cli/terminal.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>

#include <termios.h>
#include <unistd.h>

#include "agent/cli/terminal_system.hpp"

namespace ferry::cli {
namespace {

// The terminal's settings from before echo was turned off, for the signal handler to put back.
struct termios saved_termios {};
volatile std::sig_atomic_t echo_off = 0;

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

extern "C" void restore_echo_and_reraise(int signal) {
  if (echo_off != 0) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
  ::signal(signal, SIG_DFL);
  ::raise(signal);
}

// Echo off for as long as it lives; the signals above put it back too.
class EchoOff {
 public:
  EchoOff() {
    if (::tcgetattr(STDIN_FILENO, &saved_termios) != 0) return;
    for (int i = 0; i < 4; ++i) {
      struct sigaction action {};
      action.sa_handler = restore_echo_and_reraise;
      ::sigemptyset(&action.sa_mask);
      ::sigaction(kSignals[i], &action, &old_actions_[i]);
    }
    struct termios quiet = saved_termios;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;  // the Enter key still moves to the next line
    echo_off = 1;
    if (::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) echo_off = 0;
    active_ = true;
  }
  ~EchoOff() {
    if (!active_) return;
    if (echo_off != 0) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
    echo_off = 0;
    for (int i = 0; i < 4; ++i) ::sigaction(kSignals[i], &old_actions_[i], nullptr);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  bool active_ = false;
  struct sigaction old_actions_[4]{};
};

void write_prompt(std::string_view prompt) {
  while (!prompt.empty()) {
    const ssize_t written = ::write(STDERR_FILENO, prompt.data(), prompt.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;
    prompt.remove_prefix(static_cast<std::size_t>(written));
  }
}

// One line from standard input, byte by byte (nothing is read past the line end), without "\n"
// or "\r\n". kIo at end of input before any byte; kInvalidArgument when longer than max_size.
Result<crypto::SecureBytes> read_line(std::size_t max_size) {
  crypto::SecureBytes line;
  line.reserve(max_size + 1);  // no reallocation: each copy would be one more to wipe
  bool too_long = false;
  for (;;) {
    char c = 0;
    const ssize_t got = ::read(STDIN_FILENO, &c, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      if (line.empty() && !too_long) {
        return make_error(ErrorCode::kIo, "no answer: the input ended");
      }
      break;
    }
    if (c == '\n') break;
    if (line.size() < max_size) {
      line.push_back(static_cast<std::uint8_t>(c));
    } else {
      too_long = true;
    }
  }
  if (too_long) {
    return make_error(ErrorCode::kInvalidArgument, "longer than {} characters", max_size);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

bool have_terminal() { return ::isatty(STDIN_FILENO) == 1; }

Result<crypto::SecureBytes> ask_terminal(std::string_view prompt, std::size_t max_size, Echo echo) {
  std::optional<EchoOff> quiet;  // before the prompt: what is typed once it shows is not echoed
  if (echo == Echo::kOff) quiet.emplace();
  write_prompt(prompt);
  return read_line(max_size);
}

}  // namespace ferry::cli
