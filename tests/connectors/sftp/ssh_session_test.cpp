// SshSession against OpenSSH's own sshd on 127.0.0.1 (sshd_server.hpp): the host key is pinned,
// never trusted on first use, and checked before anything about the user is sent; the server's
// refusals of a key or a password are told apart; key files get the key file's checks.
#include "connectors/sftp/ssh_session.hpp"

#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "tests/connectors/sftp/sshd_server.hpp"
#include "tests/netfault/wait_until.hpp"
#include "tests/support/skip.hpp"

namespace ferry::connectors::sftp {
namespace {

using Catch::Matchers::Contains;
using test::SshdServer;

// A fingerprint of the right form that no key has.
constexpr const char* kOtherFingerprint = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

ConnectOptions options_for(const SshdServer& server) {
  ConnectOptions options;
  options.endpoint = {.host = "127.0.0.1", .port = server.port(), .user = SshdServer::kUser};
  options.pin.fingerprint = server.host_key_fingerprint();
  options.timeout = std::chrono::seconds(20);
  options.service_dir = server.dir().path();
  return options;
}

// sshd has logged the end of every connection so far (its last line for one is "Connection
// closed", or the session's close), so what the log lacks, it will not gain.
bool connections_logged(const SshdServer& server) {
  return test::wait_until(
      [&] {
        const std::string log = server.log();
        std::size_t ended = 0;
        for (std::size_t at = 0; (at = log.find("Connection closed by", at)) != std::string::npos;
             ++at) {
          ++ended;
        }
        for (std::size_t at = 0; (at = log.find("Closing connection", at)) != std::string::npos;
             ++at) {
          ++ended;
        }
        for (std::size_t at = 0; (at = log.find("Disconnected from", at)) != std::string::npos;
             ++at) {
          ++ended;
        }
        return ended >= static_cast<std::size_t>(server.connections());
      },
      std::chrono::seconds(20));
}

TEST_CASE("a pinned host key lets the client log in with its key") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  SshdServer server;
  auto options = options_for(server);
  options.credentials.private_key_file = server.make_client_key("client", /*authorized=*/true);

  auto session = SshSession::open(options);
  REQUIRE(session.has_value());
  CHECK((*session)->host_key().fingerprint == server.host_key_fingerprint());
  CHECK((*session)->host_key().type == "ssh-ed25519");
  // sshd logs each authentication request: what the refusals below rely on to see none.
  CHECK_THAT(server.log(), Contains("userauth-request for user ferry-sftp"));

  auto probed = SshSession::probe_host_key(options.endpoint, options.timeout);
  REQUIRE(probed.has_value());
  CHECK(probed->fingerprint == server.host_key_fingerprint());
}

TEST_CASE("a host key other than the pinned one is refused before authenticating") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  SshdServer server;
  auto options = options_for(server);
  options.pin.fingerprint = kOtherFingerprint;
  options.credentials.private_key_file = server.make_client_key("client", /*authorized=*/true);

  auto session = SshSession::open(options);
  REQUIRE_FALSE(session.has_value());
  CHECK(session.error().code == ErrorCode::kAuth);
  const std::string& message = session.error().message;
  CHECK_THAT(message, Contains("offered host key ssh-ed25519 " + server.host_key_fingerprint()));
  CHECK_THAT(message, Contains(std::string("not the pinned ") + kOtherFingerprint));
  CHECK_THAT(message, Contains("host_key: \"" + server.host_key_fingerprint() + "\""));

  // No authentication request reached sshd: the user and key were never offered.
  REQUIRE(connections_logged(server));
  CHECK_THAT(server.log(),
             !Contains("userauth-request") && !Contains("Accepted") && !Contains("Failed"));
}

TEST_CASE("a server without a pin or known_hosts is never trusted on first use") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  SshdServer server;
  auto options = options_for(server);
  options.pin.fingerprint.clear();
  options.credentials.private_key_file = server.make_client_key("client", /*authorized=*/true);

  auto session = SshSession::open(options);
  REQUIRE_FALSE(session.has_value());
  CHECK(session.error().code == ErrorCode::kConfig);
  CHECK_THAT(session.error().message,
             Contains("never trusts a key on first use") &&
                 Contains("host_key: \"" + server.host_key_fingerprint() + "\""));
  REQUIRE(connections_logged(server));
  CHECK_THAT(server.log(), !Contains("userauth-request"));
}

TEST_CASE(
    "known_hosts pins the key: the right line logs in and an unknown or changed key is refused") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  SshdServer server;
  auto options = options_for(server);
  options.pin.fingerprint.clear();
  options.pin.known_hosts_file = server.dir() / "known_hosts";
  options.credentials.private_key_file = server.make_client_key("client", /*authorized=*/true);
  const std::string file = options.pin.known_hosts_file.string();

  SECTION("the server's own line") {
    server.dir().write("known_hosts", server.known_hosts_line());
    auto session = SshSession::open(options);
    REQUIRE(session.has_value());
  }
  SECTION("no line for the server") {
    server.dir().write("known_hosts",
                       "[127.0.0.1]:1 " + server.known_hosts_line().substr(
                                              server.known_hosts_line().find(' ') + 1));
    auto session = SshSession::open(options);
    REQUIRE_FALSE(session.has_value());
    CHECK(session.error().code == ErrorCode::kAuth);
    CHECK_THAT(session.error().message,
               Contains("is not in known_hosts " + file) &&
                   Contains(server.host_key_fingerprint()) &&
                   Contains("[127.0.0.1]:" + std::to_string(server.port()) + " ssh-ed25519 "));
    REQUIRE(connections_logged(server));
    CHECK_THAT(server.log(), !Contains("userauth-request"));
  }
  SECTION("another key for the server") {
    const auto other = server.make_client_key("impostor", /*authorized=*/false);
    std::string other_public = test::read_file(other.string() + ".pub");
    other_public = other_public.substr(0, other_public.rfind(' '));
    server.dir().write("known_hosts",
                       "[127.0.0.1]:" + std::to_string(server.port()) + " " + other_public + "\n");
    auto session = SshSession::open(options);
    REQUIRE_FALSE(session.has_value());
    CHECK(session.error().code == ErrorCode::kAuth);
    CHECK_THAT(session.error().message, Contains("which is not the key " + file + " holds"));
    REQUIRE(connections_logged(server));
    CHECK_THAT(server.log(), !Contains("userauth-request"));
  }
  SECTION("a known_hosts file that does not exist") {
    auto session = SshSession::open(options);
    REQUIRE_FALSE(session.has_value());
    CHECK(session.error().code == ErrorCode::kNotFound);
    CHECK_THAT(session.error().message, Contains(file + " does not exist"));
  }
}

TEST_CASE("the server's refusal of a key or a password is told apart and names the user") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  SshdServer server;
  auto options = options_for(server);

  SECTION("a key the server does not know") {
    options.credentials.private_key_file = server.make_client_key("stranger", false);
    auto session = SshSession::open(options);
    REQUIRE_FALSE(session.has_value());
    CHECK(session.error().code == ErrorCode::kAuth);
    CHECK_THAT(session.error().message, Contains("refused user 'ferry-sftp' with private key " +
                                                 options.credentials.private_key_file->string()) &&
                                            Contains("authorized_keys"));
  }
  SECTION("the right password") {
    options.credentials.password = SshdServer::kPassword;
    auto session = SshSession::open(options);
    CHECK(session.has_value());
  }
  SECTION("a wrong password") {
    options.credentials.password = "not the password";
    auto session = SshSession::open(options);
    REQUIRE_FALSE(session.has_value());
    CHECK(session.error().code == ErrorCode::kAuth);
    CHECK_THAT(session.error().message, Contains("refused the password of user 'ferry-sftp'") &&
                                            !Contains("not the password"));
  }
}

TEST_CASE("private key files: encrypted keys want their passphrase and others may not read them") {
  if (auto why = SshdServer::unavailable()) FERRY_SKIP(*why);
  SshdServer server;
  auto options = options_for(server);
  const auto key = server.make_client_key("locked", /*authorized=*/true, "key passphrase");
  options.credentials.private_key_file = key;

  SECTION("no passphrase") {
    auto session = SshSession::open(options);
    REQUIRE_FALSE(session.has_value());
    CHECK(session.error().code == ErrorCode::kConfig);
    CHECK_THAT(session.error().message,
               Contains(key.string() + " is encrypted") && Contains("passphrase_file"));
  }
  SECTION("a wrong passphrase") {
    options.credentials.passphrase = "wrong passphrase";
    auto session = SshSession::open(options);
    REQUIRE_FALSE(session.has_value());
    CHECK_THAT(session.error().message,
               Contains("the passphrase is wrong") && !Contains("wrong passphrase"));
  }
  SECTION("the passphrase") {
    options.credentials.passphrase = "key passphrase";
    auto session = SshSession::open(options);
    CHECK(session.has_value());
  }
  SECTION("a key file others may read") {
    options.credentials.passphrase = "key passphrase";
    std::filesystem::permissions(key, std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    auto session = SshSession::open(options);
    REQUIRE_FALSE(session.has_value());
    CHECK(session.error().code == ErrorCode::kPermission);
    CHECK_THAT(session.error().message, Contains(key.string()));
  }
  SECTION("a file that is not a key") {
    options.credentials.private_key_file = server.dir().write_private("not-a-key", "hello\n");
    auto session = SshSession::open(options);
    REQUIRE_FALSE(session.has_value());
    CHECK_THAT(session.error().message, Contains("is not a private key in OpenSSH or PEM format"));
  }
}

}  // namespace
}  // namespace ferry::connectors::sftp
