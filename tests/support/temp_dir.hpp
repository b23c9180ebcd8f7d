// A fresh directory under $TMPDIR for one test, removed with everything in it when the object goes.
#pragma once

#include <filesystem>
#include <string_view>

namespace ferry::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

  // Writes `content` to `name` inside the directory (creating parent folders) and returns its path.
  std::filesystem::path write(std::string_view name, std::string_view content) const;
  // The same, for its owner only (fs::Access::kOwnerOnly: 0600, or an owner-only access list): a
  // file that holds a secret (a token, a key), which Ferry refuses to read when others may.
  std::filesystem::path write_private(std::string_view name, std::string_view content) const;

 private:
  std::filesystem::path path_;
};

// The whole content of a file, or "" when it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace ferry::test
