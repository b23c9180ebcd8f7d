// The uplink: delivers the spool to the tenant over a TLS 1.3 WebSocket (docs/protocol.md), and
// re-dials with backoff whenever the connection fails. A batch leaves the spool only when the
// tenant acks it.
//
// Threads: the uplink runs on a thread of its own (one io_context; every handler on it), so a
// slow or absent tenant never blocks collection. start(), stop(), notify() and status() may be
// called from any thread. The Spool is shared with the collecting thread (it serialises access
// itself) and must outlive the Uplink. Hooks are called on the uplink's thread, but
// on_rekey_request, which runs on a worker thread of the uplink's own (one request at a time) so
// that revealing tokens and writing the spool never hold up the connection.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <boost/json/object.hpp>

#include "agent/spool/spool.hpp"
#include "agent/uplink/messages.hpp"
#include "common/config/settings.hpp"
#include "common/error/error.hpp"

namespace ferry::uplink {

enum class State { kDisabled, kConnecting, kConnected, kBackoff };
// "connected", "connecting", "backoff", "disabled" (SPEC section 8).
std::string_view to_string(State state);

struct Status {
  State state = State::kDisabled;
  std::string url;
  std::string tls_version;          // of the current connection; "" when not connected
  std::uint64_t acked_through = 0;  // the tenant holds every seq up to this one
  std::string last_error;           // "" until something fails; cleared by a `welcome`
  // The last attempt was refused in a way retrying will not fix by itself (a rejected token, an
  // untrusted certificate, no TLS 1.3, not a Ferry endpoint, a spool the tenant is ahead of): a
  // one-shot `ferry sync` gives up at once instead of retrying until its timeout.
  bool refused = false;
  // The id of the tenant key new batches are sealed to (frame::tenant_key_id): the one the
  // tenant's welcome last asked for among uplink.tenant_public_key and tenant_next_public_key.
  std::string sealing_key_id;
  std::uint64_t connects = 0;      // connections that reached `welcome`
  std::uint64_t batches_sent = 0;  // frames written (resends included)
  std::uint64_t batches_acked = 0;
  std::uint64_t rows_acked = 0;
  std::uint64_t bytes_acked = 0;
  std::uint64_t batches_rejected = 0;
  std::optional<std::chrono::system_clock::time_point> next_attempt;  // while in backoff
  // When the tenant last acknowledged a batch (this process); nullopt before the first.
  std::optional<std::chrono::system_clock::time_point> last_delivered;
};

struct CommandResult {
  bool ok = false;
  std::string message;
};

struct Hooks {
  // After acks, rejections, settled gaps and failed connection attempts: the spool has room
  // again, may be empty, or the tenant refused the connection (Status::refused).
  std::function<void()> on_progress;
  // A tenant command that allow_commands permits ("sync_now", source or "" for all).
  std::function<CommandResult(const std::string& name, const std::string& source)> on_command;
  // A tenant's rekey_request (at most kMaxRekeyTokens tokens, docs/protocol.md): reveals the
  // pseudonym tokens of older key versions on site, spools their maps as a rekey batch and says
  // what it did. Called on the uplink's worker thread, never on its io thread, one request at a
  // time; an error goes back to the tenant as ok:false with its message. Unset: refused.
  std::function<Result<RekeyOutcome>(const std::vector<std::string>& tokens)> on_rekey_request;
  // An event for the audit log: "batch_acked", "batch_rejected", "gap_reported", "command",
  // "rekey_request", "tenant_key_changed", "token_rejected", "tls_failure". Fields carry seqs,
  // names, key ids and counts; never row values or tokens. Called on the uplink's thread.
  std::function<void(std::string_view event, boost::json::object fields)> on_audit;
};

class Uplink {
 public:
  // Checks what can be checked before dialling (the TLS files); nothing runs yet.
  static Result<std::unique_ptr<Uplink>> create(const config::Settings& settings,
                                                spool::Spool& spool, Hooks hooks);
  ~Uplink();
  Uplink(const Uplink&) = delete;
  Uplink& operator=(const Uplink&) = delete;

  void start();
  // Closes the connection politely (close code 1000) and joins the thread; what is in flight
  // stays in the spool and is sent again next time. Waits at most a few seconds for the tenant,
  // and for a rekey_request being answered to finish its spool write.
  void stop();
  // New batches were spooled (or a loss recorded): send them.
  void notify();
  Status status() const;
  // Whether the uplink's thread runs a handler posted to it within `within` (the systemd
  // watchdog's liveness probe). True before start() and after stop(): no loop, nothing stuck.
  bool answers_within(std::chrono::milliseconds within);
  // Runs `work` while no batch can start on its way to the tenant. `work` gets the highest seq
  // ever handed to a connection: batches at or below it may be at the tenant already, those
  // above it are not. For an erasure, which withholds what was not sent.
  void hold_sending(const std::function<void(std::uint64_t sent_through)>& work);

 private:
  struct Impl;
  explicit Uplink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::uplink
