// A path as text for a message, in UTF-8 on every system. path.string() converts through the
// system's code page on Windows and throws for a name outside it (a folder named in Greek on a
// Western-European system); u8string() does not.
#pragma once

#include <filesystem>
#include <string>

namespace ferry {

inline std::string path_text(const std::filesystem::path& path) {
  const std::u8string text = path.u8string();
  return {text.begin(), text.end()};
}

}  // namespace ferry
