// The secret-file rule on Windows (secret_file_windows.cpp): a file of the agent's own is read;
// one whose access list lets someone else read it, a folder, a missing file are refused. Files are
// made with their access list from the start (CreateFileW), which is what Wine keeps.
#include <string>

#include <catch2/catch.hpp>
#include <windows.h>
// After windows.h:
#include <sddl.h>

#include "common/env/windows_acl.hpp"
#include "common/error/path_text.hpp"
#include "common/fs/secret_file.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::fs {
namespace {

using Catch::Matchers::Contains;

constexpr std::size_t kMax = 4096;

// A security descriptor from `sddl`, with ME standing for this process's user.
struct Descriptor {
  explicit Descriptor(std::wstring sddl) {
    auto user = env::windows::process_user_sid();
    REQUIRE(user);
    LPWSTR me = nullptr;
    REQUIRE(::ConvertSidToStringSidW(user->data(), &me));
    for (auto at = sddl.find(L"ME"); at != std::wstring::npos; at = sddl.find(L"ME")) {
      sddl.replace(at, 2, me);
    }
    ::LocalFree(me);
    REQUIRE(::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1,
                                                                   &raw, nullptr));
    attributes = {sizeof(attributes), raw, FALSE};
  }
  ~Descriptor() { ::LocalFree(raw); }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;

  PSECURITY_DESCRIPTOR raw = nullptr;
  SECURITY_ATTRIBUTES attributes{};
};

// A file whose access list is `sddl`.
std::filesystem::path file_with_list(const test::TempDir& dir, const char* name,
                                     std::wstring sddl) {
  Descriptor descriptor(std::move(sddl));
  const auto path = dir / name;
  HANDLE file = ::CreateFileW(path.c_str(), GENERIC_WRITE, 0, &descriptor.attributes, CREATE_NEW,
                              FILE_ATTRIBUTE_NORMAL, nullptr);
  REQUIRE(file != INVALID_HANDLE_VALUE);
  DWORD written = 0;
  ::WriteFile(file, "s3cr3t\n", 7, &written, nullptr);
  ::CloseHandle(file);
  return path;
}

// A folder whose access list is `sddl`.
std::filesystem::path folder_with_list(const test::TempDir& dir, const char* name,
                                       std::wstring sddl) {
  Descriptor descriptor(std::move(sddl));
  const auto path = dir / name;
  REQUIRE(::CreateDirectoryW(path.c_str(), &descriptor.attributes));
  return path;
}

TEST_CASE("windows: a secret file only its owner may use is read") {
  test::TempDir dir;
  const auto path = dir.write_private("key", "s3cr3t\n");
  CHECK(read_secret_file(path, kMax, dir.path()).value() == "s3cr3t\n");
  const auto listed = file_with_list(dir, "listed", L"D:P(A;;FA;;;ME)(A;;FA;;;SY)");
  CHECK(read_secret_file(listed, kMax, dir.path()).value() == "s3cr3t\n");
}

TEST_CASE("windows: a data_dir of the agent's own is private, one Everyone may read is not") {
  test::TempDir dir;
  const auto own = folder_with_list(dir, "data", L"D:P(A;OICI;FA;;;ME)(A;OICI;FA;;;SY)");
  CHECK(check_private_folder(own));
  const auto shared = folder_with_list(dir, "shared", L"D:P(A;OICI;FA;;;ME)(A;OICI;FR;;;WD)");
  auto refused = check_private_folder(shared);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kPermission);
  CHECK_THAT(refused.error().message,
             Contains(path_text(shared)) && Contains("Everyone") && Contains("icacls"));
  CHECK(check_private_folder(dir / "missing").error().code == ErrorCode::kNotFound);
  CHECK(check_private_folder(dir.write_private("file", "x")).error().code ==
        ErrorCode::kPermission);
}

TEST_CASE("windows: a secret file that Everyone may read is refused, naming the fix") {
  test::TempDir dir;
  const auto path = file_with_list(dir, "token", L"D:P(A;;FA;;;ME)(A;;FR;;;WD)");
  auto read = read_secret_file(path, kMax, dir.path());
  REQUIRE_FALSE(read);
  CHECK(read.error().code == ErrorCode::kPermission);
  CHECK_THAT(read.error().message, Contains(path_text(path) + " is readable by") &&
                                       Contains("Everyone") && Contains("icacls"));
}

TEST_CASE("windows: a folder or a missing file is not read as a secret") {
  test::TempDir dir;
  auto folder = read_secret_file(dir.path(), kMax, dir.path());
  REQUIRE_FALSE(folder);
  CHECK(folder.error().code == ErrorCode::kPermission);
  auto missing = read_secret_file(dir / "nope", kMax, dir.path());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
}

TEST_CASE("windows: a secret file larger than allowed is refused") {
  test::TempDir dir;
  const auto path = dir.write_private("big", std::string(100, 'x'));
  auto read = read_secret_file(path, 10, dir.path());
  REQUIRE_FALSE(read);
  CHECK_THAT(read.error().message, Contains("larger than 10 bytes"));
}

}  // namespace
}  // namespace ferry::fs
