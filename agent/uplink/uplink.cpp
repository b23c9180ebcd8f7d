#include "agent/uplink/uplink.hpp"

#include <algorithm>
#include <deque>
#include <future>
#include <limits>
#include <random>
#include <variant>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <fmt/format.h>

#include "agent/uplink/backoff.hpp"
#include "agent/uplink/dial.hpp"
#include "agent/uplink/messages.hpp"
#include "agent/uplink/tls_context.hpp"
#include "common/config/duration.hpp"
#include "common/env/test_hooks.hpp"
#include "common/log/log.hpp"
#include "common/log/printable.hpp"

namespace ferry::uplink {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using namespace net::experimental::awaitable_operators;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kHeldAfter = std::chrono::minutes(1);  // a connection that lasted this long held
constexpr auto kUnauthorizedWait = std::chrono::minutes(1);
// Tenant commands obeyed in any minute: a tenant (or whoever took it over) cannot make the agent
// re-read every source in a loop.
constexpr std::size_t kCommandsPerMinute = 6;
constexpr std::string_view kAckedBeforeReason =
    "acked before: the tenant acknowledged these batches earlier";

std::string format_delay(std::chrono::milliseconds delay) {
  if (delay < std::chrono::seconds(10)) return fmt::format("{:.1f}s", delay.count() / 1000.0);
  return config::format_duration(std::chrono::duration_cast<config::Duration>(delay));
}

// The peer or something between went away: an orderly or abrupt close of the TCP connection, or
// the TLS stream ending without its close_notify. What the admin sees is the same either way.
bool is_cut(const boost::system::error_code& ec) {
  return ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::connection_aborted ||
         ec == net::ssl::error::stream_truncated;
}

// A batch written and not yet answered.
struct InFlight {
  std::uint64_t seq = 0;
  std::string batch_id;
  std::string source;
  std::string stream;
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;
};

}  // namespace

std::string_view to_string(State state) {
  switch (state) {
    case State::kDisabled:
      return "disabled";
    case State::kConnecting:
      return "connecting";
    case State::kConnected:
      return "connected";
    case State::kBackoff:
      return "backoff";
  }
  return "disabled";
}

// One connection's protocol state. Lives in session()'s frame; touched on the io thread only.
struct Connection {
  explicit Connection(WebSocket& socket, const config::ReconnectSettings& reconnect)
      : ws(socket),
        nack_backoff(reconnect.min_delay, reconnect.max_delay, std::random_device{}()) {}

  WebSocket& ws;
  std::uint64_t serial = 0;  // tells this connection from later ones (an answer may outlive it)
  std::deque<InFlight> in_flight;
  std::uint64_t send_after = 0;    // the next batch to send is the first pending seq above this
  std::deque<std::string> outbox;  // text messages waiting to be written
  // After a nack with retry: stop sending, wait for what is in flight, back off, then resend in
  // seq order from retry_from.
  bool halted = false;
  std::uint64_t retry_from = std::numeric_limits<std::uint64_t>::max();
  std::optional<SteadyClock::time_point> retry_at;
  Backoff nack_backoff;
  std::uint64_t gaps_sent_through = 0;
  bool acked_any = false;
  bool ended = false;
  bool closing = false;  // the writer started the closing handshake (the agent is stopping)
  std::string end_reason;
};

struct Uplink::Impl {
  Impl(const config::Settings& config, spool::Spool& spool_ref, Hooks hooks_in,
       std::unique_ptr<net::ssl::context> tls_context, DialTarget dial_target)
      : settings(config.uplink),
        agent_id(config.agent.id),
        tenant_id(config.agent.tenant),
        spool(spool_ref),
        hooks(std::move(hooks_in)),
        tls(std::move(tls_context)),
        target(std::move(dial_target)),
        log(log::get("uplink")) {
    status.url = settings.url;
  }

  net::awaitable<void> main_loop();
  net::awaitable<std::string> session(WebSocket& ws, bool& held, bool& refused);
  // Waits for the tenant's `welcome` (skipping messages of unknown types) for at most the idle
  // timeout; the reason it did not come otherwise.
  net::awaitable<tl::expected<Welcome, std::string>> await_welcome(WebSocket& ws);
  net::awaitable<void> reader(Connection& c);
  net::awaitable<void> writer(Connection& c);
  net::awaitable<void> wait_wake(SteadyClock::time_point until);
  // Handles one message from the tenant; "" to go on, or why the connection must end.
  std::string handle(Connection& c, const Incoming& message);
  // The welcome's key_id: seal new batches to that key when it is a configured one.
  void use_tenant_key(const std::string& key_id);
  // Hands a rekey_request to the worker thread, or refuses it at once.
  void start_rekey(Connection& c, RekeyRequest request);
  // On the io thread, once the worker is done: answers on the connection that asked, if it lasts.
  void finish_rekey(std::uint64_t serial, const std::string& id_json, std::size_t tokens,
                    const Result<RekeyOutcome>& outcome);
  void end(Connection& c, std::string reason);
  void wake_up();
  // Whether a command may be obeyed now (fewer than kCommandsPerMinute in the last minute); notes it.
  bool take_command_turn();
  std::string describe_read_error(const error_code& ec, const WebSocket& ws) const;
  static std::string describe_write_error(const error_code& ec);
  void progress() {
    if (hooks.on_progress) hooks.on_progress();
  }
  void audit(std::string_view event, boost::json::object fields) {
    if (hooks.on_audit) hooks.on_audit(event, std::move(fields));
  }
  template <class F>
  void update(F&& change) {
    std::lock_guard lock(mutex);
    change(status);
  }

  config::UplinkSettings settings;
  std::string agent_id;
  std::string tenant_id;
  spool::Spool& spool;
  Hooks hooks;
  std::unique_ptr<net::ssl::context> tls;
  DialTarget target;
  std::shared_ptr<spdlog::logger> log;

  net::io_context io;
  net::steady_timer wake{io};  // the writer and the backoff sleep wait on it; wake_up() cancels
  bool wake_pending = false;   // io thread only
  bool stopping = false;       // io thread only
  std::thread thread;
  std::promise<void> finished;

  mutable std::mutex mutex;  // guards status
  Status status;

  // The connection of the running session, and how many there were (io thread only).
  Connection* current = nullptr;
  std::uint64_t connections_made = 0;
  bool rekey_busy = false;    // io thread only: a rekey_request is with the worker
  std::string warned_key_id;  // io thread only: an unknown key the tenant asked for, warned of
  // Runs on_rekey_request; made by start(), joined by stop(). Declared after `io`, which its
  // jobs post their answers to: it goes first.
  std::optional<net::thread_pool> workers;

  std::deque<SteadyClock::time_point> commands_obeyed;  // io thread only: the last minute's
  std::string last_refusal;  // the last refusal audited: a repeated one is not recorded again
  std::mutex send_mutex;     // held from reading a batch to claiming it for the wire
  std::uint64_t handed_through = 0;  // the highest seq ever claimed (guarded by send_mutex)
};

bool Uplink::Impl::take_command_turn() {
  const auto now = SteadyClock::now();
  while (!commands_obeyed.empty() && now - commands_obeyed.front() >= std::chrono::minutes(1)) {
    commands_obeyed.pop_front();
  }
  if (commands_obeyed.size() >= kCommandsPerMinute) return false;
  commands_obeyed.push_back(now);
  return true;
}

void Uplink::Impl::wake_up() {
  wake_pending = true;
  wake.cancel();
}

net::awaitable<void> Uplink::Impl::wait_wake(SteadyClock::time_point until) {
  if (!wake_pending && !stopping) {
    wake.expires_at(until);
    error_code ec;
    co_await wake.async_wait(net::redirect_error(net::use_awaitable, ec));
  }
  wake_pending = false;
}

void Uplink::Impl::end(Connection& c, std::string reason) {
  if (!c.ended) {
    c.ended = true;
    c.end_reason = std::move(reason);
  }
  // Whichever of reader and writer is still waiting on the socket returns at once.
  if (!c.closing) {
    error_code ignored;
    beast::get_lowest_layer(c.ws).socket().close(ignored);
  }
  wake_up();
}

std::string Uplink::Impl::describe_read_error(const error_code& ec, const WebSocket& ws) const {
  if (ec == websocket::error::closed) {
    const auto& reason = ws.reason();
    return fmt::format("the tenant closed the connection (close code {}{}{})",
                       static_cast<unsigned>(reason.code), reason.reason.empty() ? "" : ": ",
                       log::printable(std::string_view(reason.reason.data(), reason.reason.size())));
  }
  if (ec == beast::error::timeout) {
    return fmt::format(
        "nothing heard from the tenant for {} (not even the answer to a ping): the connection "
        "was dropped as dead",
        config::format_duration(settings.idle_timeout));
  }
  if (is_cut(ec)) return fmt::format("the connection was cut ({})", ec.message());
  return fmt::format("the connection failed: {}", ec.message());
}

std::string Uplink::Impl::describe_write_error(const error_code& ec) {
  if (is_cut(ec)) return fmt::format("the connection was cut while sending ({})", ec.message());
  return fmt::format("the connection failed while sending: {}", ec.message());
}

std::string Uplink::Impl::handle(Connection& c, const Incoming& message) {
  if (const auto* ack = std::get_if<Ack>(&message)) {
    auto it = std::find_if(c.in_flight.begin(), c.in_flight.end(),
                           [&](const InFlight& f) { return f.seq == ack->seq; });
    if (it == c.in_flight.end()) {
      log->warn("ack for seq {} which is not in flight: ignored", ack->seq);
      return "";
    }
    if (it->batch_id != ack->batch_id) {
      return fmt::format(
          "the tenant acked seq {} with batch_id {}, but that seq carries batch {}: a tenant "
          "bug, or another agent's spool",
          ack->seq, ack->batch_id, it->batch_id);
    }
    env::test_hooks::crash_point("uplink-after-ack");
    if (auto removed = spool.ack(ack->seq); !removed) {
      log->error("cannot remove acked batch seq={} from the spool: {}", ack->seq,
                 removed.error().message);
    }
    log->debug("acked seq={} source={} stream={} rows={}", it->seq, it->source, it->stream,
               it->rows);
    audit("batch_acked", {{"batch_seq", it->seq},
                          {"batch_id", it->batch_id},
                          {"source", it->source},
                          {"stream", it->stream},
                          {"rows", it->rows},
                          {"bytes", it->bytes}});
    update([&](Status& s) {
      s.acked_through = std::max(s.acked_through, it->seq);
      ++s.batches_acked;
      s.rows_acked += it->rows;
      s.bytes_acked += it->bytes;
      s.last_delivered = std::chrono::system_clock::now();
    });
    c.in_flight.erase(it);
    c.acked_any = true;
    c.nack_backoff.reset();
    wake_up();
    progress();
    return "";
  }
  if (const auto* nack = std::get_if<Nack>(&message)) {
    auto it = std::find_if(c.in_flight.begin(), c.in_flight.end(),
                           [&](const InFlight& f) { return f.seq == nack->seq; });
    if (it == c.in_flight.end()) {
      log->warn("nack for seq {} which is not in flight: ignored", nack->seq);
      return "";
    }
    if (it->batch_id != nack->batch_id) {
      return fmt::format(
          "the tenant nacked seq {} with batch_id {}, but that seq carries batch {}: a tenant "
          "bug, or another agent's spool",
          nack->seq, nack->batch_id, it->batch_id);
    }
    if (nack->retry) {
      log->warn("the tenant could not take seq={} now ({}): it is sent again after a pause",
                nack->seq, nack->reason);
      c.halted = true;
      c.retry_from = std::min(c.retry_from, nack->seq);
    } else {
      log->error(
          "the tenant rejected seq={} source={} stream={} rows={} for good ({}): the batch is "
          "kept in the spool as rejected and not sent again",
          nack->seq, it->source, it->stream, it->rows, nack->reason);
      audit("batch_rejected", {{"batch_seq", nack->seq},
                               {"batch_id", it->batch_id},
                               {"source", it->source},
                               {"stream", it->stream},
                               {"rows", it->rows},
                               {"reason", nack->reason}});
      if (auto parked = spool.reject(nack->seq, nack->reason); !parked) {
        log->error("cannot mark seq={} as rejected in the spool: {}", nack->seq,
                   parked.error().message);
      }
      update([&](Status& s) {
        ++s.batches_rejected;
        s.last_error = fmt::format("the tenant rejected batch seq {}: {}", nack->seq, nack->reason);
      });
      progress();
    }
    c.in_flight.erase(it);
    wake_up();
    return "";
  }
  if (const auto* gap_ack = std::get_if<GapAck>(&message)) {
    if (auto settled = spool.settle_gaps(gap_ack->to_seq); !settled) {
      log->error("cannot record the tenant's gap_ack in the spool: {}", settled.error().message);
    }
    log->info("the tenant recorded the loss of batches up to seq {}", gap_ack->to_seq);
    update([&](Status& s) { s.acked_through = std::max(s.acked_through, gap_ack->to_seq); });
    progress();
    return "";
  }
  if (const auto* command = std::get_if<Command>(&message)) {
    CommandResult result;
    const bool allowed = std::find(settings.allow_commands.begin(), settings.allow_commands.end(),
                                   command->name) != settings.allow_commands.end();
    if (command->name != "sync_now") {
      result = {false, fmt::format("unknown command '{}'", command->name)};
    } else if (!allowed) {
      result = {false, fmt::format("command {} is not in uplink.allow_commands", command->name)};
    } else if (!take_command_turn()) {
      result = {false, fmt::format("too many commands: at most {} a minute are obeyed",
                                   kCommandsPerMinute)};
    } else if (hooks.on_command) {
      result = hooks.on_command(command->name, command->source);
    } else {
      result = {false, "this agent takes no commands now"};
    }
    audit("command", {{"id", command->id_json},
                      {"name", command->name},
                      {"source", command->source},
                      {"obeyed", result.ok},
                      {"message", result.message}});
    log->info("tenant command id={} name={} source={}: {} ({})", command->id_json, command->name,
              command->source.empty() ? "(all)" : command->source, result.ok ? "obeyed" : "refused",
              result.message);
    c.outbox.push_back(command_result_json(command->id_json, result.ok, result.message));
    wake_up();
    return "";
  }
  if (const auto* request = std::get_if<RekeyRequest>(&message)) {
    start_rekey(c, *request);  // a copy: at most kMaxRekeyTokens tokens
    return "";
  }
  if (std::holds_alternative<Welcome>(message)) {
    return "the tenant sent a second welcome on one connection (a protocol error)";
  }
  log->debug("ignored a message of unknown type '{}' from the tenant",
             std::get<UnknownMessage>(message).type);
  return "";
}

void Uplink::Impl::use_tenant_key(const std::string& key_id) {
  if (key_id.empty()) return;  // a tenant that does not say: the key in use stays
  auto before = spool.sealing_key_id();
  auto choice = spool.use_tenant_key(key_id);
  if (!before || !choice) {
    log->error("cannot record in the spool which tenant key to seal batches to: {}",
               (!before ? before.error() : choice.error()).message);
    return;
  }
  switch (*choice) {
    case spool::KeyChoice::kAlready:
      return;
    case spool::KeyChoice::kSwitched:
      log->info(
          "the tenant asks for batches sealed to its key {}: every batch spooled from now on is "
          "(until now: key {}; batches already spooled keep theirs)",
          key_id, *before);
      audit("tenant_key_changed", {{"from", *before}, {"to", key_id}});
      update([&](Status& s) { s.sealing_key_id = key_id; });
      return;
    case spool::KeyChoice::kUnknown:
      break;
  }
  if (warned_key_id == key_id) return;  // said once: not again at every connection
  warned_key_id = key_id;
  log->warn(
      "the tenant asks for batches sealed to its key {}, which is neither "
      "uplink.tenant_public_key nor uplink.tenant_next_public_key: set "
      "uplink.tenant_next_public_key to the tenant's new public key (the vendor gives it) and "
      "reload the agent; until then batches stay sealed to key {}",
      key_id.substr(0, 64), *before);
}

void Uplink::Impl::start_rekey(Connection& c, RekeyRequest request) {
  std::string refusal;
  if (request.count > kMaxRekeyTokens) {
    refusal = fmt::format(
        "rekey_request refused: it holds {} tokens, and at most {} are taken in one message; "
        "send them in parts",
        request.count, kMaxRekeyTokens);
  } else if (!hooks.on_rekey_request || !workers) {
    refusal = "rekey_request refused: this agent answers none now";
  } else if (rekey_busy) {
    refusal =
        "rekey_request refused: the previous one is still being answered; send one at a time, "
        "each after the rekey_result of the one before";
  }
  if (!refusal.empty()) {
    log->warn("tenant rekey_request id={} tokens={}: {}", request.id_json, request.count, refusal);
    c.outbox.push_back(rekey_result_json(request.id_json, false, {}, refusal));
    wake_up();
    return;
  }
  rekey_busy = true;
  log->info("tenant rekey_request id={} tokens={}: revealing and mapping", request.id_json,
            request.count);
  net::post(*workers, [this, serial = c.serial, request = std::move(request)] {
    auto outcome = hooks.on_rekey_request(request.tokens);
    net::post(io, [this, serial, id = request.id_json, tokens = request.count,
                   outcome = std::move(outcome)] { finish_rekey(serial, id, tokens, outcome); });
  });
}

void Uplink::Impl::finish_rekey(std::uint64_t serial, const std::string& id_json,
                                std::size_t tokens, const Result<RekeyOutcome>& outcome) {
  rekey_busy = false;
  const RekeyOutcome counts = outcome ? *outcome : RekeyOutcome{};
  const std::string message =
      outcome ? fmt::format("{} of {} tokens mapped", counts.mapped, tokens)
              : fmt::format("rekey_request failed: {}", outcome.error().message);
  if (outcome) {
    log->info(
        "tenant rekey_request id={} answered: tokens={} mapped={} unknown={} current={} seq={}",
        id_json, tokens, counts.mapped, counts.unknown, counts.current, counts.seq);
  } else {
    log->error("tenant rekey_request id={}: {}", id_json, message);
  }
  audit("rekey_request", {{"id", id_json},
                          {"tokens", tokens},
                          {"ok", outcome.has_value()},
                          {"mapped", counts.mapped},
                          {"unknown", counts.unknown},
                          {"current", counts.current},
                          {"rekey_seq", counts.seq}});
  if (current == nullptr || current->serial != serial || current->ended) {
    log->info(
        "the answer to rekey_request id={} is not sent: its connection ended (maps spooled are "
        "delivered all the same)",
        id_json);
    return;
  }
  current->outbox.push_back(rekey_result_json(id_json, outcome.has_value(), counts, message));
  wake_up();
}

net::awaitable<void> Uplink::Impl::reader(Connection& c) {
  try {
    for (;;) {
      beast::flat_buffer buffer;
      error_code ec;
      co_await c.ws.async_read(buffer, net::redirect_error(net::use_awaitable, ec));
      if (ec) {
        end(c, c.closing ? "stopped" : describe_read_error(ec, c.ws));
        co_return;
      }
      if (!c.ws.got_text()) {
        end(c, "the tenant sent a binary message, which the protocol does not allow");
        co_return;
      }
      const std::string_view text(static_cast<const char*>(buffer.data().data()), buffer.size());
      auto message = parse_incoming(text);
      if (!message) {
        end(c, fmt::format("the tenant sent a message Ferry cannot read: {}",
                           message.error().message));
        co_return;
      }
      if (auto error = handle(c, *message); !error.empty()) {
        end(c, std::move(error));
        co_return;
      }
    }
  } catch (const std::exception& e) {
    end(c, fmt::format("the connection failed: {}", e.what()));
  }
}

net::awaitable<void> Uplink::Impl::writer(Connection& c) {
  try {
    for (;;) {
      if (c.ended) co_return;
      error_code ec;
      if (stopping) {
        c.closing = true;
        if (!c.ws.is_open()) {  // the tenant closed first, and its close was answered
          end(c, "stopped");
          co_return;
        }
        co_await c.ws.async_close(websocket::close_code::normal,
                                  net::redirect_error(net::use_awaitable, ec));
        end(c, "stopped");
        co_return;
      }
      if (!c.outbox.empty()) {
        const std::string text = std::move(c.outbox.front());
        c.outbox.pop_front();
        c.ws.text(true);
        co_await c.ws.async_write(net::buffer(text), net::redirect_error(net::use_awaitable, ec));
        if (ec) {
          end(c, describe_write_error(ec));
          co_return;
        }
        continue;
      }
      if (c.halted) {
        if (!c.in_flight.empty()) {
          co_await wait_wake(SteadyClock::time_point::max());
          continue;
        }
        if (!c.retry_at) {
          const auto delay = c.nack_backoff.next();
          c.retry_at = SteadyClock::now() + delay;
          log->info("sending again from seq {} in {}", c.retry_from, format_delay(delay));
        }
        if (SteadyClock::now() < *c.retry_at) {
          co_await wait_wake(*c.retry_at);
          continue;
        }
        c.halted = false;
        c.send_after = c.retry_from - 1;
        c.retry_from = std::numeric_limits<std::uint64_t>::max();
        c.retry_at.reset();
        continue;
      }
      // A recorded loss goes out before any batch that follows it.
      auto gaps = spool.gaps();
      if (!gaps) {
        end(c, "cannot read the spool: " + gaps.error().message);
        co_return;
      }
      const auto gap = std::find_if(gaps->begin(), gaps->end(), [&](const spool::Gap& g) {
        return g.to_seq > c.gaps_sent_through;
      });
      if (gap != gaps->end()) {
        log->warn("telling the tenant that seqs {}..{} ({} rows) were not sent: {}", gap->from_seq,
                  gap->to_seq, gap->rows, gap->reason);
        c.gaps_sent_through = gap->to_seq;
        c.outbox.push_back(gap_json(gap->from_seq, gap->to_seq, gap->rows, gap->reason));
        audit("gap_reported", {{"from_seq", gap->from_seq},
                               {"to_seq", gap->to_seq},
                               {"rows", gap->rows},
                               {"reason", gap->reason}});
        continue;
      }
      if (c.in_flight.size() < static_cast<std::size_t>(settings.max_in_flight)) {
        std::optional<spool::StoredBatch> claimed;
        bool recheck = false;
        {
          // An erasure withholds unsent batches under this lock: a batch read here is claimed
          // for the wire before the lock goes, so the erasure knows to leave it alone.
          std::lock_guard hold(send_mutex);
          auto next = spool.pending(c.send_after, 1);
          if (!next) {
            end(c, "cannot read the spool: " + next.error().message);
            co_return;
          }
          if (!next->empty()) {
            // A loss recorded since the look at the gaps above (the collector dropped batches
            // to make room) goes out first, so the tenant never sees a batch before the loss
            // before it.
            const std::uint64_t seq = next->front().seq;
            auto later_gaps = spool.gaps();
            recheck = later_gaps &&
                      std::any_of(later_gaps->begin(), later_gaps->end(), [&](const spool::Gap& g) {
                        return g.to_seq > c.gaps_sent_through && g.from_seq < seq;
                      });
            if (!recheck) {
              handed_through = std::max(handed_through, seq);
              spool.protect_through(seq);
              claimed = std::move(next->front());
            }
          }
        }
        if (recheck) continue;
        if (claimed) {
          spool::StoredBatch& batch = *claimed;
          c.ws.binary(true);
          co_await c.ws.async_write(net::buffer(batch.frame),
                                    net::redirect_error(net::use_awaitable, ec));
          if (ec) {
            end(c, describe_write_error(ec));
            co_return;
          }
          env::test_hooks::crash_point("uplink-after-send");
          c.send_after = batch.seq;
          c.in_flight.push_back({batch.seq, std::move(batch.batch_id), std::move(batch.source),
                                 std::move(batch.stream), batch.rows, batch.frame.size()});
          update([](Status& s) { ++s.batches_sent; });
          log->debug("sent seq={} rows={} bytes={}", batch.seq, batch.rows, batch.frame.size());
          continue;
        }
      }
      co_await wait_wake(SteadyClock::time_point::max());
    }
  } catch (const std::exception& e) {
    end(c, fmt::format("the connection failed: {}", e.what()));
  }
}

net::awaitable<tl::expected<Welcome, std::string>> Uplink::Impl::await_welcome(WebSocket& ws) {
  net::steady_timer deadline(co_await net::this_coro::executor);
  deadline.expires_after(settings.idle_timeout);
  for (;;) {
    beast::flat_buffer buffer;
    error_code ec;
    error_code timer_ec;
    auto first = co_await (ws.async_read(buffer, net::redirect_error(net::use_awaitable, ec)) ||
                           deadline.async_wait(net::redirect_error(net::use_awaitable, timer_ec)));
    if (first.index() == 1) {
      co_return tl::unexpected(fmt::format("the tenant did not answer hello within {}",
                                           config::format_duration(settings.idle_timeout)));
    }
    if (ec) co_return tl::unexpected(describe_read_error(ec, ws));
    auto message = parse_incoming(
        std::string_view(static_cast<const char*>(buffer.data().data()), buffer.size()));
    if (!message) {
      co_return tl::unexpected(
          fmt::format("the tenant's answer to hello is not readable: {}", message.error().message));
    }
    if (const auto* welcome = std::get_if<Welcome>(&*message)) co_return *welcome;
    if (!std::holds_alternative<UnknownMessage>(*message)) {
      co_return tl::unexpected(
          std::string("the tenant sent another message before welcome (a protocol error)"));
    }
  }
}

net::awaitable<std::string> Uplink::Impl::session(WebSocket& ws, bool& held, bool& refused) {
  error_code ec;
  auto stats = spool.stats();
  if (!stats) co_return "cannot read the spool: " + stats.error().message;
  const Hello hello{agent_id, tenant_id, spool.spool_id(), FERRY_VERSION, stats->next_seq};
  ws.text(true);
  co_await ws.async_write(net::buffer(to_json(hello)), net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return describe_write_error(ec);
  auto welcome = co_await await_welcome(ws);
  if (!welcome) co_return welcome.error();
  const std::uint64_t acked = welcome->acked_through;
  if (acked >= stats->next_seq) {
    // The tenant holds seqs this spool has not made yet: the spool file was restored from an
    // old copy (its spool_id travels with it). Sending would reuse seqs for new content, and
    // acking by `acked_through` would delete batches the tenant never saw.
    refused = true;
    co_return fmt::format(
        "the tenant already holds seq {} of spool {}, but this spool has made only up to seq {}: "
        "spool.db was restored from an older copy. Stop the agent and move spool.db aside; a "
        "new spool (with a new spool_id) starts and sources are read again",
        acked, spool.spool_id(), stats->next_seq - 1);
  }
  if (auto removed = spool.ack_through(acked); !removed) {
    co_return "cannot update the spool: " + removed.error().message;
  }
  update([&](Status& s) {
    s.acked_through = acked;
    s.last_error.clear();
    ++s.connects;
  });
  use_tenant_key(welcome->key_id);
  progress();

  Connection c(ws, settings.reconnect);
  c.serial = ++connections_made;
  c.send_after = acked;
  // A tenant that lost batches it acknowledged (its state restored from an old backup, say)
  // waits for seq acked+1, which this spool no longer has: say so, or nothing would move again.
  auto first = spool.pending(0, 1);
  auto gaps = spool.gaps();
  if (!first) co_return "cannot read the spool: " + first.error().message;
  if (!gaps) co_return "cannot read the spool: " + gaps.error().message;
  std::uint64_t expected = first->empty() ? stats->next_seq : first->front().seq;
  for (const auto& gap : *gaps) {
    if (gap.to_seq > acked) expected = std::min(expected, gap.from_seq);
  }
  if (expected > acked + 1) {
    log->warn(
        "the tenant holds batches up to seq {} only, but this spool already delivered up to seq "
        "{}: telling it those were acked before",
        acked, expected - 1);
    c.outbox.push_back(gap_json(acked + 1, expected - 1, 0, kAckedBeforeReason));
  }
  log->info("the tenant holds every batch up to seq {}; sending from there", acked);

  const auto started = SteadyClock::now();
  current = &c;
  co_await (reader(c) || writer(c));
  current = nullptr;
  held = c.acked_any || SteadyClock::now() - started >= kHeldAfter;
  co_return c.end_reason;
}

net::awaitable<void> Uplink::Impl::main_loop() {
  Backoff backoff(settings.reconnect.min_delay, settings.reconnect.max_delay,
                  std::random_device{}());
  while (!stopping) {
    update([](Status& s) {
      s.state = State::kConnecting;
      s.next_attempt.reset();
    });
    auto dialed = co_await dial(*tls, target);
    if (stopping) break;
    std::string error;
    bool held = false;
    bool unauthorized = false;
    if (!dialed) {
      error = dialed.error().message;
      // A refused token or proxy password: retrying fast would only lock the account.
      unauthorized = dialed.error().kind == DialFailure::kUnauthorized ||
                     dialed.error().kind == DialFailure::kProxyAuth;
      const bool refused = is_refusal(dialed.error());
      log->error("cannot connect to the tenant: {}", error);
      const DialFailure kind = dialed.error().kind;
      const bool tls_failed = kind == DialFailure::kTlsVersion || kind == DialFailure::kTls ||
                              kind == DialFailure::kCertificate;
      const bool token_rejected = kind == DialFailure::kUnauthorized;
      if ((token_rejected || tls_failed) && error != last_refusal) {
        last_refusal = error;
        audit(token_rejected ? "token_rejected" : "tls_failure",
              {{"url", settings.url}, {"error", error}});
      }
      update([&](Status& s) {
        s.refused = refused;
        s.last_error = error;
      });
      progress();
    } else {
      update([&](Status& s) {
        s.state = State::kConnected;
        s.tls_version = dialed->tls_version;
        s.refused = false;
      });
      last_refusal.clear();
      log->info("connected to {} ({})", settings.url, dialed->tls_version);
      bool refused = false;
      error = co_await session(*dialed->ws, held, refused);
      // Let operations the closed socket aborted (a keepalive ping, say) finish before the
      // stream they refer to goes away.
      error_code ignored;
      beast::get_lowest_layer(*dialed->ws).socket().close(ignored);
      co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
      co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
      dialed->ws.reset();
      if (stopping) break;
      if (refused) {
        log->error("disconnected from the tenant: {}", error);
        update([&](Status& s) { s.refused = true; });
        progress();
      } else {
        log->warn("disconnected from the tenant: {}", error);
      }
    }
    if (held) backoff.reset();
    auto delay = backoff.next();
    if (unauthorized) delay = std::max<std::chrono::milliseconds>(delay, kUnauthorizedWait);
    update([&](Status& s) {
      s.state = State::kBackoff;
      s.tls_version.clear();
      s.last_error = error;
      s.next_attempt = std::chrono::system_clock::now() + delay;
    });
    log->info("connecting again in {}", format_delay(delay));
    const auto until = SteadyClock::now() + delay;
    while (!stopping && SteadyClock::now() < until) co_await wait_wake(until);
  }
  update([](Status& s) {
    s.state = State::kDisabled;
    s.tls_version.clear();
    s.next_attempt.reset();
  });
}

Result<std::unique_ptr<Uplink>> Uplink::create(const config::Settings& settings,
                                               spool::Spool& spool, Hooks hooks) {
  auto tls = make_tls_context(settings.uplink, settings.agent.data_dir);
  if (!tls) return tl::unexpected(tls.error());
  auto target = make_dial_target(settings.uplink.url, settings.uplink.proxy, settings.uplink.token);
  if (!target) return make_error(ErrorCode::kConfig, "{}", target.error());
  target->idle_timeout = settings.uplink.idle_timeout;
  target->ca_file = settings.uplink.ca_file;
  target->connect_timeout =
      std::min<std::chrono::milliseconds>(std::chrono::seconds(30), settings.uplink.idle_timeout);
  auto impl = std::make_unique<Impl>(settings, spool, std::move(hooks), std::move(*tls),
                                     std::move(*target));
  auto sealing = spool.sealing_key_id();
  if (!sealing) return tl::unexpected(sealing.error());
  impl->status.sealing_key_id = std::move(*sealing);
  return std::unique_ptr<Uplink>(new Uplink(std::move(impl)));
}

Uplink::Uplink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Uplink::~Uplink() { stop(); }

void Uplink::start() {
  Impl* impl = impl_.get();
  impl->workers.emplace(1);
  impl->thread = std::thread([impl] {
    net::co_spawn(impl->io, impl->main_loop(), [impl](std::exception_ptr error) {
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          impl->log->error("the uplink stopped on an internal error: {}", e.what());
        }
      }
      impl->finished.set_value();
      impl->io.stop();
    });
    impl->io.run();
  });
}

void Uplink::stop() {
  Impl* impl = impl_.get();
  if (!impl->thread.joinable()) return;
  net::post(impl->io, [impl] {
    impl->stopping = true;
    impl->wake_up();
  });
  // A polite close waits for the tenant's answer; a tenant that does not answer gets no more
  // than this before the connection is simply dropped.
  if (impl->finished.get_future().wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    impl->log->warn("the tenant did not answer the close in time: connection dropped");
    impl->io.stop();
  }
  impl->thread.join();
  // A rekey_request being answered finishes its spool write; its answer, posted to the stopped
  // loop, is never sent (the tenant asks again after the maps reach it).
  impl->workers->join();
}

void Uplink::notify() {
  Impl* impl = impl_.get();
  net::post(impl->io, [impl] { impl->wake_up(); });
}

void Uplink::hold_sending(const std::function<void(std::uint64_t sent_through)>& work) {
  std::lock_guard hold(impl_->send_mutex);
  work(impl_->handed_through);
}

bool Uplink::answers_within(std::chrono::milliseconds within) {
  Impl* impl = impl_.get();
  if (!impl->thread.joinable()) return true;
  // Shared with the handler, which may run long after this returned (or never, if the loop ends).
  auto answered = std::make_shared<std::promise<void>>();
  auto future = answered->get_future();
  net::post(impl->io, [answered] {
    env::test_hooks::liveness_probe("uplink");
    answered->set_value();
  });
  return future.wait_for(within) == std::future_status::ready;
}

Status Uplink::status() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->status;
}

}  // namespace ferry::uplink
