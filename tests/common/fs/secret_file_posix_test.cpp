// Secret files (the key file, token_file, client_key): trusted only when nobody else could have
// written, swapped or read them. The owner rules are checked for a simulated user (root, another
// user) so that they hold whoever runs the tests.
#include "common/fs/secret_file_posix.hpp"

#include <filesystem>

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs/secret_file.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::fs {
namespace {

namespace stdfs = std::filesystem;
using Catch::Matchers::Contains;

constexpr std::size_t kMax = 4096;

// A 0600 file in a 0700 folder of the temporary dir, owned by whoever runs the test.
stdfs::path private_file(const test::TempDir& dir, const std::string& name = "secret") {
  const auto folder = dir / "private";
  stdfs::create_directories(folder);
  ::chmod(folder.c_str(), 0700);
  const auto path = folder / name;
  dir.write("private/" + name, "s3cr3t\n");
  ::chmod(path.c_str(), 0600);
  return path;
}

TEST_CASE("a private file of the user who runs the command is read") {
  test::TempDir dir;
  const auto path = private_file(dir);
  CHECK(read_secret_file(path, kMax, dir.path()).value() == "s3cr3t\n");
}

TEST_CASE("a data_dir is private with no mode bit for group or others") {
  test::TempDir dir;
  const auto folder = dir / "data";
  stdfs::create_directories(folder);
  ::chmod(folder.c_str(), 0700);
  CHECK(check_private_folder(folder));
  ::chmod(folder.c_str(), 0750);
  CHECK(check_private_folder(folder).error().message ==
        folder.string() + " is readable by its group or others (mode 0750): run chmod 700 " +
            folder.string());
  ::chmod(folder.c_str(), 0770);
  CHECK_THAT(check_private_folder(folder).error().message, Contains("is writable by"));
  CHECK(check_private_folder(dir / "missing").error().code == ErrorCode::kNotFound);
  CHECK(check_private_folder(private_file(dir)).error().code == ErrorCode::kPermission);
}

TEST_CASE("a secret file that group or others may use is refused with the chmod") {
  test::TempDir dir;
  const auto path = private_file(dir);
  ::chmod(path.c_str(), 0640);
  auto read = read_secret_file(path, kMax, dir.path());
  REQUIRE_FALSE(read);
  CHECK(read.error().code == ErrorCode::kPermission);
  CHECK(read.error().message ==
        path.string() + " is readable by others (mode 0640): run chmod " + "600 " + path.string());
}

TEST_CASE("a symbolic link to a secret file is refused") {
  test::TempDir dir;
  const auto path = private_file(dir);
  const auto link = dir / "private" / "link";
  stdfs::create_symlink(path, link);
  auto read = read_secret_file(link, kMax, dir.path());
  REQUIRE_FALSE(read);
  CHECK(read.error().code == ErrorCode::kPermission);
  CHECK_THAT(read.error().message, Contains(link.string() + " is a symbolic link"));
}

TEST_CASE("a secret file in a folder anyone may write is refused, unless the folder is sticky") {
  test::TempDir dir;
  const auto path = private_file(dir);
  ::chmod(path.parent_path().c_str(), 0777);
  auto read = read_secret_file(path, kMax, dir.path());
  REQUIRE_FALSE(read);
  CHECK_THAT(read.error().message, Contains("a folder anyone may write to"));
  ::chmod(path.parent_path().c_str(), 01777);
  CHECK(read_secret_file(path, kMax, dir.path()));
  ::chmod(path.parent_path().c_str(), 0700);
}

TEST_CASE("a secret file another user owns is refused with the chown") {
  test::TempDir dir;
  const auto path = private_file(dir);
  const uid_t owner = ::geteuid();
  const uid_t someone_else = owner == 4242 ? 4243 : 4242;
  auto read = read_secret_file_as(someone_else, path, kMax, dir.path());
  REQUIRE_FALSE(read);
  CHECK(read.error().code == ErrorCode::kPermission);
  CHECK_THAT(read.error().message,
             Contains(path.string() + " belongs to " + describe_user(owner) + ", not to " +
                      describe_user(someone_else) + ", who runs this command") &&
                 Contains("run chown"));
}

TEST_CASE("root trusts its own files and those of the data_dir's owner, no one else's") {
  test::TempDir dir;
  const auto path = private_file(dir);
  uid_t owner = ::geteuid();
  if (owner == 0) {
    // Run as root (as CI is): give the file to another account, as a service account would own it.
    owner = 4242;
    REQUIRE(::chown(path.c_str(), owner, static_cast<gid_t>(-1)) == 0);
    REQUIRE(::chown((dir / "private").c_str(), owner, static_cast<gid_t>(-1)) == 0);
  }
  // The data_dir belongs to the file's owner (the service account): root may read it.
  CHECK(read_secret_file_as(0, path, kMax, dir / "private").value() == "s3cr3t\n");
  // A data_dir of someone else (/ belongs to root): the file is neither root's nor the service's.
  auto refused = read_secret_file_as(0, path, kMax, "/");
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message, Contains("belongs to " + describe_user(owner)) &&
                                          Contains("not to root (uid 0), who runs this command"));
}

// /etc/ferry/token as the package sets it up: root:ferry 0640, read by the agent (user ferry,
// group ferry). Simulated here for an agent of uid 4242 whose group is this process's own.
TEST_CASE("a secret root keeps for the agent's group is read when asked for, never by default") {
  if (::geteuid() != 0) FERRY_SKIP("needs root, to give a file to root and a group of its own");
  test::TempDir dir;
  const auto path = private_file(dir, "token");
  const gid_t own_group = ::getegid();
  REQUIRE(::chown(path.c_str(), 0, own_group) == 0);
  const uid_t agent = 4242;
  constexpr auto shared = SecretSharing::kRootToOwnGroup;

  for (const mode_t mode : {0640, 0440}) {
    ::chmod(path.c_str(), mode);
    CHECK(read_secret_file_as(agent, path, kMax, dir.path(), shared).value() == "s3cr3t\n");
    // The key file's rule (the default) stays: only its owner may read it.
    CHECK_FALSE(read_secret_file_as(agent, path, kMax, dir.path()));
  }
  // Others may read, or the group may write: refused, and the message says how to share it.
  for (const mode_t mode : {0644, 0660, 0641}) {
    ::chmod(path.c_str(), mode);
    auto refused = read_secret_file_as(agent, path, kMax, dir.path(), shared);
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.error().message, Contains("run chmod 600 " + path.string()) &&
                                            Contains("chown root:GROUP and chmod 640"));
  }
  // A group this process is not in: the agent could not read it, and it is not its to trust.
  ::chmod(path.c_str(), 0640);
  gid_t other_group = own_group + 4242;
  REQUIRE(::chown(path.c_str(), 0, other_group) == 0);
  CHECK_FALSE(read_secret_file_as(agent, path, kMax, dir.path(), shared));
  // A file of another user, group-readable: never, shared or not.
  REQUIRE(::chown(path.c_str(), 4343, own_group) == 0);
  CHECK_FALSE(read_secret_file_as(agent, path, kMax, dir.path(), shared));
}

// `sudo ferry check` against the package's files: /etc/ferry/token root:ferry 0640, /var/lib/ferry
// ferry:ferry. Root reads the token when its group is the data_dir's, the service account's.
TEST_CASE("root reads a secret it keeps for the group of the service account's data_dir") {
  if (::geteuid() != 0) FERRY_SKIP("needs root, to give files to root and another account");
  test::TempDir dir;
  const auto path = private_file(dir, "token");
  const auto data_dir = dir / "data";
  stdfs::create_directories(data_dir);
  REQUIRE(::chown(data_dir.c_str(), 4242, 4242) == 0);
  REQUIRE(::chown(path.c_str(), 0, 4242) == 0);
  ::chmod(path.c_str(), 0640);
  constexpr auto shared = SecretSharing::kRootToOwnGroup;
  CHECK(read_secret_file_as(0, path, kMax, data_dir, shared).value() == "s3cr3t\n");
  CHECK_FALSE(read_secret_file_as(0, path, kMax, data_dir));  // the key file's rule
  // Another group than the service account's, or others may read: refused.
  REQUIRE(::chown(path.c_str(), 0, 4343) == 0);
  CHECK_FALSE(read_secret_file_as(0, path, kMax, data_dir, shared));
  REQUIRE(::chown(path.c_str(), 0, 4242) == 0);
  ::chmod(path.c_str(), 0644);
  CHECK_FALSE(read_secret_file_as(0, path, kMax, data_dir, shared));
  // A data_dir of root's own gives no group to share with.
  ::chmod(path.c_str(), 0640);
  REQUIRE(::chown(data_dir.c_str(), 0, 4242) == 0);
  CHECK_FALSE(read_secret_file_as(0, path, kMax, data_dir, shared));
}

TEST_CASE("a fifo or a folder is not read as a secret file") {
  test::TempDir dir;
  const auto fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto read = read_secret_file(fifo, kMax, dir.path());
  REQUIRE_FALSE(read);
  CHECK_THAT(read.error().message, Contains("is not a regular file"));
  auto missing = read_secret_file(dir / "nope", kMax, dir.path());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
}

}  // namespace
}  // namespace ferry::fs
