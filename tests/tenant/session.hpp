// One agent connection: TLS handshake, the HTTP upgrade (token and subprotocol checks), then the
// ferry.v1 protocol of docs/protocol.md until either side closes.
//
// Re-key requests: once a rekey batch is stored (or at welcome, when one stored earlier still
// owes it: TenantStore::rekey_sweep_owed), the session sweeps: it collects the pseudonyms of older
// key versions still held in the agent's rows files and asks the agent for their maps in
// rekey_request messages of at most kMaxRekeyTokens, one at a time, each after the rekey_result of
// the one before. Rekey batches stored meanwhile make one more sweep follow; a refused or failed
// part ends the sweep unsettled (the next rekey batch, or the next connection, tries again).
//
// Lifetime: held by shared_ptr; its coroutine and every pending handler hold a reference, so it
// lives until the last of them ends. Threading: all of its work runs on the io_context's single
// thread (the socket's strand), so it needs no locks. Writes go through one queue with exactly one
// async_write (or async_close) in flight; reading never stops while answers wait (--ack-delay),
// so WebSocket pings are answered all along.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/object.hpp>

#include "common/crypto/bytes.hpp"
#include "tests/tenant/server_context.hpp"
#include "tests/tenant/tokens_file.hpp"

namespace ferry::tenant {

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `on_end` runs once when the connection is over (the server forgets the session then).
  Session(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls,
          ServerContext& context, std::function<void(std::uint64_t)> on_end);

  std::uint64_t id() const { return id_; }
  void start();
  // The tenant is stopping: close with 1000 (or drop a connection not yet upgraded).
  void shutdown();

 private:
  using Stream =
      boost::beast::websocket::stream<boost::beast::ssl_stream<boost::beast::tcp_stream>>;
  enum class State { kUpgrading, kAwaitHello, kWelcomed, kClosing, kDead };

  boost::asio::awaitable<void> run(std::shared_ptr<Session> self);
  boost::asio::awaitable<bool> upgrade();

  void on_text(std::string_view text);
  void on_hello(const boost::json::object& message);
  void on_gap(const boost::json::object& message);
  void on_command_result(const boost::json::object& message);
  void on_rekey_result(const boost::json::object& message);
  // Starts a sweep when one is owed and none runs; sends the next part of the running one.
  void maybe_sweep();
  void send_rekey_part();
  void on_batch(crypto::ByteView data);

  // Answers to batches and gaps, in order; acks wait --ack-delay first.
  void answer(std::string text, bool is_ack);
  void arm_answer_timer();
  void release_answers();

  void send(std::string text);
  void close_with(std::uint16_t code, std::string reason);
  void abort_connection();
  void write_next();

  Stream ws_;
  ServerContext& context_;
  std::function<void(std::uint64_t)> on_end_;
  std::uint64_t id_;
  std::string remote_;
  State state_ = State::kUpgrading;
  std::optional<TokenEntry> agent_;
  std::string spool_id_;
  std::uint64_t stored_count_ = 0;

  struct Outgoing {
    std::string text;
    std::optional<boost::beast::websocket::close_reason> close;
  };
  // The sweep in progress (see above).
  std::optional<TenantStore::RekeySweep> sweep_;
  std::deque<std::vector<std::string>> sweep_parts_;  // not yet sent
  std::optional<std::string> rekey_in_flight_;        // id of the request awaiting its result
  bool sweep_failed_ = false;  // a part was refused: no new sweep until a rekey batch is stored

  std::deque<Outgoing> writes_;
  bool writing_ = false;

  struct PendingAnswer {
    std::chrono::steady_clock::time_point due;
    std::string text;
  };
  std::deque<PendingAnswer> answers_;
  boost::asio::steady_timer answer_timer_;
};

}  // namespace ferry::tenant
