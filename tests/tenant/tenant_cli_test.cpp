// The ferry-tenant binary's commands and their errors, run as a process.
#include <filesystem>

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "common/crypto/base64.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/tenant/tenant_key.hpp"

namespace ferry::tenant {
namespace {

using ferry::test::run_process;
using ferry::test::TempDir;

const std::string kBinary = FERRY_TENANT_BINARY;

TEST_CASE("keygen writes a private key file of mode 0600 and prints the public key") {
  TempDir dir;
  auto result = run_process({kBinary, "keygen", "--out", (dir / "tenant.key").string()});
  REQUIRE(result.exit_code == 0);
  REQUIRE(result.out.size() == 45);  // 44 characters of base64 and a newline
  CHECK(result.out.back() == '\n');
  auto public_key = crypto::base64_decode(result.out.substr(0, 44));
  REQUIRE(public_key);
  CHECK(public_key->size() == 32);

  struct stat info {};
  REQUIRE(::stat((dir / "tenant.key").c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  auto private_key = read_key_file(dir / "tenant.key");
  REQUIRE(private_key);
  CHECK(private_key->size() == 32);
}

TEST_CASE("keygen refuses to overwrite a key and needs --out") {
  TempDir dir;
  const auto key = dir.write("tenant.key", "old\n");
  auto again = run_process({kBinary, "keygen", "--out", key.string()});
  CHECK(again.exit_code == 2);
  CHECK_THAT(again.err, Catch::Contains("already exists"));
  CHECK(ferry::test::read_file(key) == "old\n");

  auto no_out = run_process({kBinary, "keygen"});
  CHECK(no_out.exit_code == 2);
  CHECK_THAT(no_out.err, Catch::Contains("--out FILE is required"));
}

TEST_CASE("every command has --help and unknown commands or options are usage errors") {
  for (const char* command : {"keygen", "certs", "serve"}) {
    auto help = run_process({kBinary, command, "--help"});
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Catch::Contains(std::string("Usage: ferry-tenant ") + command));
  }
  CHECK(run_process({kBinary, "--help"}).exit_code == 0);
  CHECK(run_process({kBinary}).exit_code == 2);
  auto unknown = run_process({kBinary, "frobnicate"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("unknown command 'frobnicate'"));
  auto bad_option = run_process({kBinary, "serve", "--colour"});
  CHECK(bad_option.exit_code == 2);
  CHECK_THAT(bad_option.err, Catch::Contains("unknown option '--colour'"));
}

TEST_CASE("serve names a missing option, a bad listen address and a bad test option") {
  TempDir dir;
  auto missing = run_process({kBinary, "serve", "--listen", "127.0.0.1:0"});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("--cert is required"));

  const std::vector<std::string> base = {kBinary,         "serve",
                                         "--cert",        (dir / "c.pem").string(),
                                         "--key",         (dir / "k.pem").string(),
                                         "--private-key", (dir / "t.key").string(),
                                         "--tokens",      (dir / "tokens").string(),
                                         "--out",         (dir / "out").string()};
  auto with = [&](std::vector<std::string> extra) {
    auto argv = base;
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_process(argv);
  };
  auto no_port = with({"--listen", "127.0.0.1"});
  CHECK(no_port.exit_code == 2);
  CHECK_THAT(no_port.err, Catch::Contains("expected HOST:PORT"));
  auto big_port = with({"--listen", "127.0.0.1:70000"});
  CHECK(big_port.exit_code == 2);
  CHECK_THAT(big_port.err, Catch::Contains("0 to 65535"));
  auto delay = with({"--listen", "127.0.0.1:0", "--ack-delay", "soon"});
  CHECK(delay.exit_code == 2);
  CHECK_THAT(delay.err, Catch::Contains("--ack-delay"));
  auto command = with({"--listen", "127.0.0.1:0", "--command", "reboot"});
  CHECK(command.exit_code == 2);
  CHECK_THAT(command.err, Catch::Contains("only sync_now"));
}

TEST_CASE("serve names a bad --max-batch-bytes or --max-bytes-per-minute") {
  TempDir dir;
  const struct {
    std::string_view option, value, error;
  } cases[] = {
      {"--max-batch-bytes", "64XB", "--max-batch-bytes: unknown unit 'XB'"},
      {"--max-batch-bytes", "0", "--max-batch-bytes must be more than 0"},
      {"--max-bytes-per-minute", "1.5GiB", "--max-bytes-per-minute: '1.5GiB' is not a size"},
      {"--max-bytes-per-minute", "0", "must be more than 0 (leave it out for no quota)"},
  };
  for (const auto& [option, value, error] : cases) {
    auto result =
        run_process({kBinary, "serve", "--listen", "127.0.0.1:0", "--cert",
                     (dir / "c.pem").string(), "--key", (dir / "k.pem").string(), "--private-key",
                     (dir / "t.key").string(), "--tokens", (dir / "tokens").string(), "--out",
                     (dir / "out").string(), std::string(option), std::string(value)});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains(std::string(error)));
  }
}

TEST_CASE("serve reports a bad tokens file line, a missing key and unreadable certificates") {
  TempDir dir;
  const auto tokens = dir.write_private("tokens", "# agents\nschool-042 district-7\n");
  auto key = run_process({kBinary, "keygen", "--out", (dir / "tenant.key").string()});
  REQUIRE(key.exit_code == 0);
  auto serve = [&](const std::string& tokens_file, const std::string& key_file) {
    return run_process({kBinary, "serve", "--listen", "127.0.0.1:0", "--cert",
                        (dir / "none.pem").string(), "--key", (dir / "none.key").string(),
                        "--private-key", key_file, "--tokens", tokens_file, "--out",
                        (dir / "out").string()});
  };
  auto bad_tokens = serve(tokens.string(), (dir / "tenant.key").string());
  CHECK(bad_tokens.exit_code == 2);
  CHECK_THAT(bad_tokens.err, Catch::Contains(tokens.string() + ":2: expected"));

  const auto good_tokens = dir.write_private("good", "school-042 district-7 tok\n");
  auto no_key = serve(good_tokens.string(), (dir / "missing.key").string());
  CHECK(no_key.exit_code == 2);
  CHECK_THAT(no_key.err, Catch::Contains("missing.key"));

  auto no_cert = serve(good_tokens.string(), (dir / "tenant.key").string());
  CHECK(no_cert.exit_code == 2);
  CHECK_THAT(no_cert.err, Catch::Contains("--cert"));
}

TEST_CASE("serve refuses a tenant key that others can read") {
  TempDir dir;
  REQUIRE(run_process({kBinary, "keygen", "--out", (dir / "tenant.key").string()}).exit_code == 0);
  ::chmod((dir / "tenant.key").c_str(), 0644);
  const auto tokens = dir.write_private("tokens", "school-042 district-7 tok\n");
  auto result = run_process({kBinary, "serve", "--listen", "127.0.0.1:0", "--cert", "c", "--key",
                             "k", "--private-key", (dir / "tenant.key").string(), "--tokens",
                             tokens.string(), "--out", (dir / "out").string()});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("chmod 600"));
}

TEST_CASE("serve refuses a tokens file others can read and a key reached through a link") {
  TempDir dir;
  REQUIRE(run_process({kBinary, "keygen", "--out", (dir / "tenant.key").string()}).exit_code == 0);
  auto serve = [&](const std::filesystem::path& tokens, const std::filesystem::path& key) {
    return run_process({kBinary, "serve", "--listen", "127.0.0.1:0", "--cert", "c", "--key", "k",
                        "--private-key", key.string(), "--tokens", tokens.string(), "--out",
                        (dir / "out").string()});
  };
  const auto tokens = dir.write("tokens", "school-042 district-7 tok\n");
  ::chmod(tokens.c_str(), 0644);
  auto open_tokens = serve(tokens, dir / "tenant.key");
  CHECK(open_tokens.exit_code == 2);
  CHECK_THAT(open_tokens.err, Catch::Contains("--tokens " + tokens.string() +
                                              " is readable by others (mode 0644): run chmod 600"));

  ::chmod(tokens.c_str(), 0600);
  std::filesystem::create_symlink(dir / "tenant.key", dir / "link.key");
  auto linked = serve(tokens, dir / "link.key");
  CHECK(linked.exit_code == 2);
  CHECK_THAT(linked.err, Catch::Contains("--private-key") && Catch::Contains("symbolic link"));
}

}  // namespace
}  // namespace ferry::tenant
