// What `ferry-tenant serve` was asked to do, after the command line was checked. The server and
// its sessions read it and never change it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/error/error.hpp"

namespace ferry::tenant {

struct ListenAddress {
  std::string host;  // an IP literal or "localhost"
  std::uint16_t port = 0;
};

// What one batch may decompress to when --max-batch-bytes is not given: eight times the agent's
// default uplink.batch.max_bytes (8 MiB), so an agent with the defaults never meets it.
inline constexpr std::uint64_t kDefaultMaxBatchBytes = 64ull * 1024 * 1024;

// "127.0.0.1:8443", "[::1]:0", "localhost:0".
Result<ListenAddress> parse_listen_address(std::string_view text);

struct ServeOptions {
  ListenAddress listen;
  std::filesystem::path cert_file;
  std::filesystem::path key_file;
  std::optional<std::filesystem::path> client_ca_file;  // require and verify client certificates
  // --private-key, in order: the first is the key the tenant asks agents to seal to (welcome's
  // key_id); every one opens the batches sealed to it.
  std::vector<std::filesystem::path> private_key_files;
  std::filesystem::path tokens_file;
  std::filesystem::path out_dir;

  // What one agent can make the tenant do (docs/tenant.md, "Limits").
  std::uint64_t max_batch_bytes = kDefaultMaxBatchBytes;  // plaintext of one batch
  std::uint64_t max_bytes_per_minute = 0;                 // plaintext per agent; 0: no quota

  // Misbehaviour for tests (docs/tenant.md, "Test options").
  std::chrono::milliseconds ack_delay{0};   // wait before each ack; reading goes on
  std::uint64_t drop_after = 0;             // 0: never; else drop the TCP connection after the
                                            // Nth stored batch, before its ack
  std::set<std::uint64_t> nack_retry_seqs;  // first arrival in this process: nack retry:true
  std::set<std::uint64_t> reject_seqs;      // nack retry:false, settled as rejected
  bool refuse_tokens = false;               // 401 to every upgrade
  bool no_subprotocol = false;              // 101 without Sec-WebSocket-Protocol
  bool tls12_only = false;                  // TLS 1.2 instead of 1.3
  std::vector<std::string> commands;        // sync_now sources ("" for all) sent after welcome
  // A file of tokens, one a line, sent as one rekey_request after each welcome, whatever their
  // number (the agent refuses more than 1000).
  std::optional<std::filesystem::path> rekey_request_file;
};

}  // namespace ferry::tenant
