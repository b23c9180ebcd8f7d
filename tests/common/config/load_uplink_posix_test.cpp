// uplink.token_file on Linux: modes, links and a file this user may not read.
// The uplink's files (token_file, tenant_public_key_file, TLS files) are read or checked at load
// time, and their problems name the path and the operating system's reason.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "common/config/load.hpp"
#include "tests/common/config/test_catalog.hpp"
#include "tests/common/config/uplink_yaml.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/unprivileged.hpp"

using ferry::config::load_config_text;
using ferry::config::test::diagnostics_of;
using ferry::config::test::test_catalog;
using Lines = std::vector<std::string>;

using namespace ferry::config::test::uplink_yaml;

TEST_CASE("a token_file others may read, or a link to one, is refused") {
  ferry::test::TempDir dir;
  const auto token = dir.write("token", "abc.def-123\n");
  ::chmod(token.c_str(), 0644);
  CHECK(diagnostics_of(uplink("  token_file: " + token.string() +
                              "\n  tenant_public_key: " + std::string(kKey) + "\n")) ==
        Lines{"ferry.yaml:4:15: uplink.token_file: " + token.string() +
              " is readable by others (mode 0644): run chmod 600 " + token.string() +
              " (or, to keep it root's: chown root:GROUP and chmod 640, GROUP being the agent's "
              "group, as the package's /etc/ferry/token is root:ferry)"});
  ::chmod(token.c_str(), 0600);
  const auto link = dir / "token-link";
  std::filesystem::create_symlink(token, link);
  const auto diagnostics = diagnostics_of(uplink(
      "  token_file: " + link.string() + "\n  tenant_public_key: " + std::string(kKey) + "\n"));
  REQUIRE(diagnostics.size() == 1);
  CHECK_THAT(diagnostics[0], Catch::Contains(link.string() + " is a symbolic link"));
}

TEST_CASE("an unreadable token_file names the path and the reason") {
  FERRY_RUN_UNPRIVILEGED();  // root reads files whatever their mode
  ferry::test::TempDir dir;
  const auto missing = dir / "missing-token";
  CHECK(diagnostics_of(uplink("  token_file: " + missing.string() +
                              "\n  tenant_public_key: " + std::string(kKey) + "\n")) ==
        Lines{"ferry.yaml:4:15: uplink.token_file: cannot read " + missing.string() +
              ": No such file or directory"});

  const auto locked = dir.write("locked", "secret\n");
  ::chmod(locked.c_str(), 0);
  CHECK(diagnostics_of(uplink("  token_file: " + locked.string() +
                              "\n  tenant_public_key: " + std::string(kKey) + "\n")) ==
        Lines{"ferry.yaml:4:15: uplink.token_file: cannot read " + locked.string() +
              ": Permission denied"});

  const auto empty = dir.write("empty", "\n");
  ::chmod(empty.c_str(), 0600);
  CHECK(diagnostics_of(uplink("  token_file: " + empty.string() +
                              "\n  tenant_public_key: " + std::string(kKey) + "\n")) ==
        Lines{"ferry.yaml:4:15: uplink.token_file: " + empty.string() +
              " is empty: put the agent token in it"});
}
