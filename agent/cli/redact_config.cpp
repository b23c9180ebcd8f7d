#include "agent/cli/redact_config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <regex>

#include <yaml-cpp/yaml.h>

namespace ferry::cli {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_secret_key(std::string_view name) {
  const std::string key = lower(name);
  if (key.ends_with("_file") || key.ends_with("_url")) return false;  // a path, an address
  constexpr std::array<std::string_view, 7> kMarks = {
      "password", "passwd", "passphrase", "secret", "token", "credential", "api_key"};
  return std::any_of(kMarks.begin(), kMarks.end(),
                     [&](std::string_view mark) { return key.find(mark) != std::string::npos; });
}

// user:password@ of a URL, and Pwd=/Password= of a connection string.
std::string redact_value(const std::string& value) {
  static const std::regex userinfo(R"(([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@)");
  static const std::regex odbc_password(R"(((?:^|;)\s*(?:pwd|password)\s*=)[^;]*)",
                                        std::regex::icase);
  std::string out = std::regex_replace(value, userinfo, "$1" + std::string(kRedacted) + "@");
  return std::regex_replace(out, odbc_password, "$1" + std::string(kRedacted));
}

void redact(YAML::Node node) {
  if (node.IsMap()) {
    for (auto entry : node) {
      const std::string key = entry.first.as<std::string>("");
      if (is_secret_key(key) && !entry.second.IsNull()) {
        entry.second = std::string(kRedacted);
      } else {
        redact(entry.second);
      }
    }
  } else if (node.IsSequence()) {
    for (auto item : node) redact(item);
  } else if (node.IsScalar()) {
    const std::string value = node.Scalar();
    const std::string redacted = redact_value(value);
    if (redacted != value) node = redacted;
  }
}

}  // namespace

Result<std::string> redact_config(std::string_view yaml) {
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    redact(root);
    YAML::Emitter out;
    out << root;
    if (!out.good()) {
      return make_error(ErrorCode::kConfig, "the configuration cannot be written back: {}",
                        out.GetLastError());
    }
    return std::string(out.c_str()) + "\n";
  } catch (const YAML::Exception& error) {
    return make_error(ErrorCode::kConfig, "the configuration is not YAML (line {}): {}",
                      error.mark.line + 1, error.msg);
  }
}

}  // namespace ferry::cli
