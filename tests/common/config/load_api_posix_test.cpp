// API secret files on Linux: modes that let others read them, and what a refusal says.
// The HTTP side of an API source (url, ca_file, proxy, auth, limits): decoded into ApiSettings,
// its secrets read from their files or the environment at load time and never echoed, and each
// mistake reported at its place with the fix.
#include <cstdlib>
#include <memory>

#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include "common/config/load.hpp"
#include "tests/common/config/api_yaml.hpp"
#include "tests/common/config/test_catalog.hpp"
#include "tests/support/env_var.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/unprivileged.hpp"

using ferry::config::OAuth2Auth;
using Lines = std::vector<std::string>;

using namespace ferry::config::test::api_yaml;

TEST_CASE("an API secret never appears in a message") {
  constexpr std::string_view kSecret = "Tr0ub4dor-and-3";
  ferry::test::TempDir dir;
  const Lines messages = [&] {
    Lines all;
    const auto add = [&all](const Lines& lines) {
      CHECK_FALSE(lines.empty());
      all.insert(all.end(), lines.begin(), lines.end());
    };
    // Two lines, a tab, a file others may read: each refused, naming the file only.
    const auto two_lines = dir.write_private("two-lines", std::string(kSecret) + "\nmore\n");
    add(diagnostics(
        with_api(std::string(kUrl) + "    auth: {bearer_file: " + two_lines.string() + "}\n")));
    const auto tab = dir.write_private("tab", std::string(kSecret) + "\tx\n");
    add(diagnostics(with_api(std::string(kUrl) + "    auth: {basic: {user: u, password_file: " +
                             tab.string() + "}}\n")));
    const auto shared = dir.write("shared", std::string(kSecret) + "\n");
    ::chmod(shared.c_str(), 0644);
    add(diagnostics(with_api(std::string(kUrl) +
                             "    auth: {oauth2: {token_url: https://h/t, client_id: c, "
                             "client_secret_file: " +
                             shared.string() + "}}\n")));
    // From the environment, with a line break.
    const ScopedEnv broken("FERRY_TEST_API_BROKEN", "Tr0ub4dor-and-3\nx");
    add(diagnostics(with_api(std::string(kUrl) +
                             "    auth: {oauth1: {consumer_key: k, consumer_secret: "
                             "\"${FERRY_TEST_API_BROKEN}\"}}\n")));
    // A valid secret beside other mistakes.
    const auto good = dir.write_private("good", std::string(kSecret) + "\n");
    add(diagnostics(with_api("    url: http://a:" + std::string(kSecret) +
                             "@h/\n    proxy: http://u:" + std::string(kSecret) +
                             "@p\n    auth: {bearer_file: " + good.string() + "}\n")));
    return all;
  }();
  CHECK(messages.size() == 6);
  for (const std::string& line : messages) {
    INFO(line);
    CHECK(line.find(kSecret) == std::string::npos);
  }
  CHECK_THAT(messages[0], Catch::Contains("must hold the secret on one line, with nothing else"));
  CHECK_THAT(messages[1], Catch::Contains("holds a tab or another control character"));
  CHECK_THAT(messages[2], Catch::Contains("is readable by others (mode 0644)"));
  CHECK_THAT(messages[3],
             Catch::Contains("'consumer_secret' in auth.oauth1 of source 'sis_api' holds a line "
                             "break or another control character"));
}

TEST_CASE("an API secret file that others may read or that cannot be read is refused") {
  FERRY_RUN_UNPRIVILEGED();  // root reads files whatever their mode
  ferry::test::TempDir dir;
  const auto secret = dir.write("secret", "s3cret\n");
  const std::string path = secret.string();
  const std::string yaml = with_api(std::string(kUrl) +
                                    "    auth:\n      oauth2: {token_url: https://h/t, "
                                    "client_id: c, client_secret_file: " +
                                    path + "}\n");
  ::chmod(secret.c_str(), 0640);
  CHECK(diagnostics(yaml) ==
        Lines{"ferry.yaml:8:74: 'client_secret_file' in auth.oauth2 of source 'sis_api': " + path +
              " is readable by others (mode 0640): run chmod 600 " + path +
              " (or, to keep it root's: chown root:GROUP and chmod 640, GROUP being the agent's "
              "group, as the package's /etc/ferry/token is root:ferry)"});
  ::chmod(secret.c_str(), 0);
  CHECK(diagnostics(yaml) ==
        Lines{"ferry.yaml:8:74: 'client_secret_file' in auth.oauth2 of source 'sis_api': cannot "
              "read " +
              path + ": Permission denied"});
  ::chmod(secret.c_str(), 0600);
  auto loaded = load(yaml);
  REQUIRE(loaded);
  CHECK(std::get<OAuth2Auth>(loaded->sources[0].api->auth).client_secret == "s3cret");

  const auto link = dir / "secret-link";
  std::filesystem::create_symlink(secret, link);
  const Lines linked =
      diagnostics(with_api(std::string(kUrl) + "    auth: {bearer_file: " + link.string() + "}\n"));
  REQUIRE(linked.size() == 1);
  CHECK_THAT(linked[0], Catch::Contains("'bearer_file' in auth of source 'sis_api': " +
                                        link.string() + " is a symbolic link"));
  const auto empty = dir.write_private("empty", "\n");
  CHECK(diagnostics(
            with_api(std::string(kUrl) + "    auth: {bearer_file: " + empty.string() + "}\n")) ==
        Lines{"ferry.yaml:7:25: 'bearer_file' in auth of source 'sis_api': " + empty.string() +
              " must hold the secret on one line, with nothing else"});
}
