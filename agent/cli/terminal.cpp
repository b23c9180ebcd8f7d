#include "agent/cli/terminal.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "agent/cli/terminal_system.hpp"

namespace ferry::cli {

Result<crypto::SecureBytes> read_passphrase(std::string_view prompt, std::size_t max_size) {
  if (!have_terminal()) return make_error(ErrorCode::kUnavailable, "no terminal");
  return ask_terminal(prompt, max_size, Echo::kOff);
}

Result<bool> confirm(std::string_view question) {
  if (!have_terminal()) return make_error(ErrorCode::kUnavailable, "no terminal");
  auto line = ask_terminal(question, 64, Echo::kOn);
  if (!line)
    return line.error().code == ErrorCode::kIo ? Result<bool>(false) : tl::unexpected(line.error());
  std::string answer(line->begin(), line->end());
  answer.erase(0, answer.find_first_not_of(" \t"));
  answer.erase(answer.find_last_not_of(" \t") + 1);
  std::transform(answer.begin(), answer.end(), answer.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return answer == "y" || answer == "yes";
}

}  // namespace ferry::cli
