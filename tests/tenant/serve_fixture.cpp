#include "tests/tenant/serve_fixture.hpp"

#include <algorithm>
#include <regex>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "common/crypto/base64.hpp"
#include "common/frame/frame.hpp"
#include "tests/support/process.hpp"

namespace ferry::tenant::test {

using ferry::test::read_file;
using ferry::test::run_process;

Tenant::Tenant(std::vector<std::string> extra, std::vector<std::string> keys) {
  REQUIRE_FALSE(keys.empty());
  first_key_ = keys.front();
  auto certs = run_process({kBinary, "certs", "--out", (dir_ / "pki").string()});
  REQUIRE(certs.exit_code == 0);
  std::vector<std::string> argv = {kBinary,    "serve",
                                   "--listen", "127.0.0.1:0",
                                   "--cert",   (dir_ / "pki/server.pem").string(),
                                   "--key",    (dir_ / "pki/server.key").string(),
                                   "--tokens", (dir_ / "tokens").string(),
                                   "--out",    (dir_ / "out").string()};
  for (const std::string& name : keys) {
    auto key = run_process({kBinary, "keygen", "--out", (dir_ / name).string()});
    REQUIRE(key.exit_code == 0);
    auto decoded = crypto::base64_decode(key.out.substr(0, 44));
    REQUIRE(decoded);
    public_keys_[name] = *decoded;
    argv.insert(argv.end(), {"--private-key", (dir_ / name).string()});
  }
  dir_.write_private("tokens", "# test agents\nschool-042 district-7 " + kToken +
                                   "\nschool-043 district-7 tok-043\n");
  argv.insert(argv.end(), extra.begin(), extra.end());
  child_.emplace(argv, dir_ / "tenant.log");
  const std::regex listening("ferry-tenant: listening on 127\\.0\\.0\\.1:([0-9]+)");
  std::smatch match;
  std::string log;
  const bool up = wait_until([&] {
    log = read_file(dir_ / "tenant.log");
    return std::regex_search(log, match, listening) || !child_->running();
  });
  INFO(log);
  REQUIRE(up);
  REQUIRE(match.size() == 2);
  port_ = static_cast<std::uint16_t>(std::stoi(match[1].str()));
}

std::string Tenant::key_id(const std::string& name) const {
  return frame::tenant_key_id(public_key(name)).value();
}

std::string Tenant::log() const { return read_file(dir_ / "tenant.log"); }

std::string hello(std::string_view agent, std::string_view tenant) {
  boost::json::object message{{"type", "hello"},    {"v", 1},
                              {"agent_id", agent},  {"tenant_id", tenant},
                              {"spool_id", kSpool}, {"agent_version", "test"},
                              {"next_seq", 10}};
  return boost::json::serialize(message);
}

boost::json::object json_of(const Message& message) {
  INFO("read error: " << message.error.message());
  REQUIRE_FALSE(message.error);
  REQUIRE(message.text);
  return boost::json::parse(message.data).as_object();
}

std::int64_t welcome(TestAgent& agent, const Tenant& tenant) {
  REQUIRE_FALSE(agent.connect(tenant.port(), kToken));
  REQUIRE_FALSE(agent.send_text(hello()));
  auto answer = json_of(agent.read());
  REQUIRE(answer.at("type") == "welcome");
  CHECK(answer.at("v") == 1);
  return answer.at("acked_through").as_int64();
}

crypto::Bytes batch(std::uint64_t seq, crypto::ByteView tenant_public_key, std::string_view lines) {
  auto header = header_for(seq);
  header.rows = static_cast<std::uint64_t>(std::count(lines.begin(), lines.end(), '\n'));
  return sealed_frame(header, tenant_public_key, lines);
}

}  // namespace ferry::tenant::test
