// `ferry-tenant serve` as the tenant tests run it: the binary started on 127.0.0.1 port 0 with
// `certs` output and one or more keys from `keygen`, and the few steps every test takes with it
// (hello, welcome, a batch frame), spoken through the minimal agent of tenant_test_client.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/json/object.hpp>

#include "common/crypto/bytes.hpp"
#include "tests/fault/child_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/tenant/tenant_test_client.hpp"
#include "tests/tenant/tenant_test_util.hpp"

namespace ferry::tenant::test {

inline const std::string kBinary = FERRY_TENANT_BINARY;
inline const std::string kToken = "tok-042-secret";

// Polls `condition` until it holds or `deadline` passes.
template <class Condition>
bool wait_until(Condition condition,
                std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// Certificates, tenant keys and a tokens file in a fresh folder; starts `ferry-tenant serve`.
class Tenant {
 public:
  // `keys`: the key files to make with keygen and pass as --private-key, in that order (the
  // first is the one welcome announces).
  explicit Tenant(std::vector<std::string> extra = {},
                  std::vector<std::string> keys = {"tenant.key"});

  std::uint16_t port() const { return port_; }
  // The public key of the first key, or of `name`.
  const crypto::Bytes& public_key() const { return public_keys_.at(first_key_); }
  const crypto::Bytes& public_key(const std::string& name) const { return public_keys_.at(name); }
  std::string key_id(const std::string& name) const;
  std::filesystem::path ca() const { return dir_ / "pki/ca.pem"; }
  std::filesystem::path out(std::string_view name) const { return dir_ / "out" / name; }
  std::string log() const;
  ferry::test::ChildProcess& process() { return *child_; }

 private:
  ferry::test::TempDir dir_;
  std::string first_key_;
  std::map<std::string, crypto::Bytes> public_keys_;
  std::optional<ferry::test::ChildProcess> child_;
  std::uint16_t port_ = 0;
};

std::string hello(std::string_view agent = kAgent, std::string_view tenant = kTenant);

// The JSON of a text message; REQUIREs that it is one.
boost::json::object json_of(const Message& message);

// Connects and says hello; returns the welcome's acked_through.
std::int64_t welcome(TestAgent& agent, const Tenant& tenant);

// A frame of kAgent's batch `seq` carrying `lines`, its header's rows their count.
crypto::Bytes batch(std::uint64_t seq, crypto::ByteView tenant_public_key, std::string_view lines);

}  // namespace ferry::tenant::test
