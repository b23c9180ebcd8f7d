#include "tests/tenant/session.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "common/config/size.hpp"
#include "common/frame/frame.hpp"
#include "common/log/log.hpp"
#include "tests/tenant/batch_payload.hpp"

namespace ferry::tenant {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kSubprotocol = "ferry.v1";
constexpr std::size_t kMaxMessage = 64u * 1024 * 1024;
constexpr auto kUpgradeTimeout = std::chrono::seconds(30);
// Tokens one rekey_request carries at most (the agent refuses a larger one).
constexpr std::size_t kMaxRekeyTokens = 1000;

// Close codes of docs/protocol.md.
constexpr std::uint16_t kCloseNormal = 1000;
constexpr std::uint16_t kCloseProtocol = 1002;
constexpr std::uint16_t kCloseBadData = 1007;
constexpr std::uint16_t kClosePolicy = 1008;
constexpr std::uint16_t kCloseCannotStore = 1011;

std::shared_ptr<spdlog::logger> logger() { return log::get("tenant"); }

std::optional<std::string_view> string_of(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return std::string_view(value->get_string());
}

std::optional<std::uint64_t> uint_of(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return std::nullopt;
  if (value->is_uint64()) return value->get_uint64();
  if (value->is_int64() && value->get_int64() >= 0) {
    return static_cast<std::uint64_t>(value->get_int64());
  }
  return std::nullopt;
}

bool offers_subprotocol(const http::request<http::string_body>& request) {
  const auto [first, last] = request.equal_range(http::field::sec_websocket_protocol);
  for (auto field = first; field != last; ++field) {
    std::string_view list = field->value();
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      if (item == kSubprotocol) return true;
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
  }
  return false;
}

// The token of "Authorization: Bearer <token>", or "" when there is none.
std::string_view bearer_token(const http::request<http::string_body>& request) {
  std::string_view value = request[http::field::authorization];
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return {};
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value;
}

std::string ack_message(std::uint64_t seq, std::string_view batch_id) {
  json::object message;
  message["type"] = "ack";
  message["seq"] = seq;
  message["batch_id"] = batch_id;
  return json::serialize(message);
}

// `retry_after`: whole seconds the agent should wait before it sends the batch again (an optional
// key of nack; agents that do not know it ignore it and keep to their own backoff).
std::string nack_message(std::uint64_t seq, std::string_view batch_id, bool retry,
                         std::string_view reason, std::optional<std::chrono::seconds> retry_after) {
  json::object message;
  message["type"] = "nack";
  message["seq"] = seq;
  message["batch_id"] = batch_id;
  message["retry"] = retry;
  message["reason"] = reason;
  if (retry_after) message["retry_after"] = retry_after->count();
  return json::serialize(message);
}

}  // namespace

Session::Session(asio::ip::tcp::socket socket, asio::ssl::context& tls, ServerContext& context,
                 std::function<void(std::uint64_t)> on_end)
    : ws_(std::move(socket), tls),
      context_(context),
      on_end_(std::move(on_end)),
      id_(context.next_session_id++),
      answer_timer_(ws_.get_executor()) {
  boost::system::error_code ec;
  const auto endpoint = beast::get_lowest_layer(ws_).socket().remote_endpoint(ec);
  remote_ =
      ec ? std::string("?") : fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
}

void Session::start() {
  auto self = shared_from_this();
  asio::co_spawn(ws_.get_executor(), run(self), [self](const std::exception_ptr& error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      logger()->error("connection failed conn={} error={}", self->id_, e.what());
    }
    self->abort_connection();
    if (self->on_end_) std::exchange(self->on_end_, nullptr)(self->id_);
  });
}

void Session::shutdown() {
  if (state_ == State::kUpgrading) {
    beast::get_lowest_layer(ws_).close();
    return;
  }
  close_with(kCloseNormal, "tenant shutting down");
}

asio::awaitable<void> Session::run(std::shared_ptr<Session> self) {
  if (co_await upgrade()) {
    state_ = State::kAwaitHello;
    while (true) {
      beast::flat_buffer buffer;
      auto [ec, bytes] = co_await ws_.async_read(buffer, kAsTuple);
      if (ec) {
        if (ec == websocket::error::closed) {
          logger()->info("connection closed conn={} agent={} code={} reason='{}'", id_,
                         agent_->agent_id, static_cast<int>(ws_.reason().code),
                         std::string_view(ws_.reason().reason.data(), ws_.reason().reason.size()));
        } else if (state_ != State::kDead) {
          logger()->info("connection ended conn={} agent={} error='{}'", id_, agent_->agent_id,
                         ec.message());
        }
        break;
      }
      if (state_ == State::kClosing || state_ == State::kDead) continue;
      const auto data = buffer.cdata();
      if (ws_.got_text()) {
        on_text({static_cast<const char*>(data.data()), data.size()});
      } else {
        on_batch({static_cast<const std::uint8_t*>(data.data()), data.size()});
      }
    }
  }
  state_ = State::kDead;
  answers_.clear();
  answer_timer_.cancel();
  if (on_end_) std::exchange(on_end_, nullptr)(id_);
  (void)self;
}

asio::awaitable<bool> Session::upgrade() {
  auto& tcp = beast::get_lowest_layer(ws_);
  tcp.expires_after(kUpgradeTimeout);
  auto [handshake_ec] =
      co_await ws_.next_layer().async_handshake(asio::ssl::stream_base::server, kAsTuple);
  if (handshake_ec) {
    logger()->warn("tls handshake failed conn={} remote={} error='{}'", id_, remote_,
                   handshake_ec.message());
    co_return false;
  }

  beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(4096);
  auto [read_ec, read_bytes] =
      co_await http::async_read(ws_.next_layer(), buffer, parser, kAsTuple);
  if (read_ec) {
    logger()->warn("http request failed conn={} remote={} error='{}'", id_, remote_,
                   read_ec.message());
    co_return false;
  }
  http::request<http::string_body> request = parser.release();

  std::optional<http::status> refusal;
  std::string body;
  if (!websocket::is_upgrade(request)) {
    refusal = http::status::bad_request;
    body = "expected a WebSocket upgrade offering the subprotocol ferry.v1\n";
  } else if (context_.options.refuse_tokens ||
             !(agent_ = context_.tokens.find(bearer_token(request)))) {
    refusal = http::status::unauthorized;
    body = "unknown agent token\n";
  } else if (!offers_subprotocol(request)) {
    refusal = http::status::bad_request;
    body = "the upgrade must offer the WebSocket subprotocol ferry.v1\n";
  }
  if (refusal) {
    logger()->warn("upgrade refused conn={} remote={} status={} reason='{}'", id_, remote_,
                   static_cast<int>(*refusal), std::string_view(body).substr(0, body.size() - 1));
    http::response<http::string_body> response{*refusal, request.version()};
    response.set(http::field::server, "ferry-tenant");
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    if (*refusal == http::status::unauthorized) {
      response.set(http::field::www_authenticate, "Bearer");
    }
    response.keep_alive(false);
    response.body() = std::move(body);
    response.prepare_payload();
    auto [write_ec, written] = co_await http::async_write(ws_.next_layer(), response, kAsTuple);
    if (!write_ec) co_await ws_.next_layer().async_shutdown(kAsTuple);
    tcp.close();
    co_return false;
  }

  tcp.expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  const bool select_subprotocol = !context_.options.no_subprotocol;
  ws_.set_option(
      websocket::stream_base::decorator([select_subprotocol](websocket::response_type& response) {
        response.set(http::field::server, "ferry-tenant");
        if (select_subprotocol) response.set(http::field::sec_websocket_protocol, kSubprotocol);
      }));
  ws_.read_message_max(kMaxMessage);
  auto [accept_ec] = co_await ws_.async_accept(request, kAsTuple);
  if (accept_ec) {
    logger()->warn("websocket upgrade failed conn={} remote={} error='{}'", id_, remote_,
                   accept_ec.message());
    co_return false;
  }
  ws_.text(true);
  logger()->info("agent connected conn={} remote={} agent={} path={}", id_, remote_,
                 agent_->agent_id, std::string_view(request.target()));
  co_return true;
}

void Session::on_text(std::string_view text) {
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  const json::object* message = ec ? nullptr : parsed.if_object();
  const auto type = message != nullptr ? string_of(*message, "type") : std::nullopt;
  if (!type) {
    close_with(kCloseBadData, "text message is not a JSON object with a type");
    return;
  }
  if (*type == "hello") {
    on_hello(*message);
  } else if (*type == "gap") {
    on_gap(*message);
  } else if (*type == "command_result") {
    on_command_result(*message);
  } else if (*type == "rekey_result") {
    on_rekey_result(*message);
  } else {
    logger()->warn("unknown message type conn={} agent={} type='{}'", id_, agent_->agent_id, *type);
    close_with(kClosePolicy, fmt::format("unknown message type '{}'", type->substr(0, 40)));
  }
}

void Session::on_hello(const json::object& message) {
  if (state_ != State::kAwaitHello) {
    close_with(kCloseProtocol, "hello sent twice");
    return;
  }
  const auto version = uint_of(message, "v");
  const auto agent_id = string_of(message, "agent_id");
  const auto tenant_id = string_of(message, "tenant_id");
  const auto spool_id = string_of(message, "spool_id");
  if (!version || !agent_id || !tenant_id || !spool_id || spool_id->empty()) {
    close_with(kCloseProtocol, "hello needs v, agent_id, tenant_id and spool_id");
    return;
  }
  if (*version != 1) {
    close_with(kClosePolicy,
               fmt::format("protocol version {} is not supported (only 1)", *version));
    return;
  }
  if (*agent_id != agent_->agent_id || *tenant_id != agent_->tenant_id) {
    logger()->warn("hello refused conn={} token_agent={} hello_agent='{}' hello_tenant='{}'", id_,
                   agent_->agent_id, agent_id->substr(0, 64), tenant_id->substr(0, 64));
    close_with(kClosePolicy, "hello names an agent or tenant this token is not for");
    return;
  }
  auto settled = context_.store.settled(*agent_id, *spool_id);
  if (!settled) {
    logger()->error("cannot read tenant.db conn={} error='{}'", id_, settled.error().message);
    close_with(kCloseCannotStore, "tenant cannot read its state now");
    return;
  }
  spool_id_ = std::string(*spool_id);
  const auto next_seq = uint_of(message, "next_seq");
  const auto agent_version = string_of(message, "agent_version");
  logger()->info("hello agent={} tenant={} spool={} next_seq={} agent_version={} acked_through={}",
                 *agent_id, *tenant_id, spool_id_, next_seq ? *next_seq : 0,
                 agent_version ? *agent_version : "?", *settled);
  if (next_seq && *next_seq > 0 && *next_seq - 1 < *settled) {
    logger()->warn("agent spool is behind the tenant agent={} spool={} next_seq={} settled={}",
                   *agent_id, spool_id_, *next_seq, *settled);
  }
  json::object welcome;
  welcome["type"] = "welcome";
  welcome["v"] = 1;
  welcome["acked_through"] = *settled;
  welcome["key_id"] = context_.keys.front().id;  // the key this tenant wants batches sealed to
  send(json::serialize(welcome));
  state_ = State::kWelcomed;
  maybe_sweep();  // one a rekey batch stored on an earlier connection still owes

  for (const auto& source : context_.options.commands) {
    json::object command;
    command["type"] = "command";
    command["id"] = std::to_string(context_.next_command_id++);
    command["name"] = "sync_now";
    if (!source.empty()) command["source"] = source;
    logger()->info("command sent agent={} id={} name=sync_now source='{}'", *agent_id,
                   command["id"].get_string().c_str(), source);
    send(json::serialize(command));
  }
  if (context_.options.rekey_request_file) {
    json::object request;
    request["type"] = "rekey_request";
    request["id"] = fmt::format("test-{}", context_.next_command_id++);
    json::array tokens;
    for (const auto& token : context_.test_rekey_tokens) tokens.emplace_back(token);
    request["tokens"] = std::move(tokens);
    logger()->info("rekey request sent agent={} id={} tokens={} (test: --rekey-request)", *agent_id,
                   request["id"].get_string().c_str(), context_.test_rekey_tokens.size());
    send(json::serialize(request));
  }
}

void Session::on_gap(const json::object& message) {
  if (state_ != State::kWelcomed) {
    close_with(kCloseProtocol, "gap before welcome");
    return;
  }
  const auto from_seq = uint_of(message, "from_seq");
  const auto to_seq = uint_of(message, "to_seq");
  if (!from_seq || !to_seq || *from_seq < 1 || *from_seq > *to_seq) {
    close_with(kCloseProtocol, "gap needs from_seq and to_seq with 1 <= from_seq <= to_seq");
    return;
  }
  const std::uint64_t rows = uint_of(message, "rows").value_or(0);
  const std::string reason(string_of(message, "reason").value_or(""));
  auto before =
      context_.store.record_gap(agent_->agent_id, spool_id_, *from_seq, *to_seq, rows, reason);
  if (!before) {
    logger()->error("cannot record gap agent={} spool={} error='{}'", agent_->agent_id, spool_id_,
                    before.error().message);
    close_with(kCloseCannotStore, "tenant cannot record the gap now");
    return;
  }
  logger()->warn("gap recorded agent={} spool={} from_seq={} to_seq={} rows={} reason='{}'",
                 agent_->agent_id, spool_id_, *from_seq, *to_seq, rows, reason);
  if (*from_seq > *before + 1) {
    logger()->warn("gap leaves seqs unexplained agent={} spool={} from_seq={} to_seq={}",
                   agent_->agent_id, spool_id_, *before + 1, *from_seq - 1);
  }
  json::object gap_ack;
  gap_ack["type"] = "gap_ack";
  gap_ack["to_seq"] = *to_seq;
  answer(json::serialize(gap_ack), false);
}

void Session::on_command_result(const json::object& message) {
  if (state_ != State::kWelcomed) {
    close_with(kCloseProtocol, "command_result before welcome");
    return;
  }
  const json::value* id = message.if_contains("id");
  const json::value* ok = message.if_contains("ok");
  logger()->info("command result agent={} id={} ok={} message='{}'", agent_->agent_id,
                 id != nullptr ? json::serialize(*id) : "?",
                 ok != nullptr && ok->is_bool() ? (ok->get_bool() ? "true" : "false") : "?",
                 string_of(message, "message").value_or(""));
  if (auto appended =
          context_.store.append_command_result(agent_->agent_id, json::serialize(message));
      !appended) {
    logger()->error("cannot record command result agent={} error='{}'", agent_->agent_id,
                    appended.error().message);
  }
}

void Session::on_rekey_result(const json::object& message) {
  if (state_ != State::kWelcomed) {
    close_with(kCloseProtocol, "rekey_result before welcome");
    return;
  }
  const json::value* id = message.if_contains("id");
  const std::string id_text = id != nullptr ? json::serialize(*id) : "?";
  const json::value* ok_value = message.if_contains("ok");
  const bool ok = ok_value != nullptr && ok_value->is_bool() && ok_value->get_bool();
  logger()->info(
      "rekey result agent={} id={} ok={} mapped={} unknown={} current={} seq={} message='{}'",
      agent_->agent_id, id_text, ok, uint_of(message, "mapped").value_or(0),
      uint_of(message, "unknown").value_or(0), uint_of(message, "current").value_or(0),
      uint_of(message, "seq").value_or(0), string_of(message, "message").value_or(""));
  const bool ours =
      id != nullptr && id->is_string() && rekey_in_flight_ && id->get_string() == *rekey_in_flight_;
  if (!ours) return;  // not the one awaited: nothing to go on with
  rekey_in_flight_.reset();
  if (!ok) {
    logger()->warn("rekey sweep stopped agent={} parts_left={}: the agent refused a part",
                   agent_->agent_id, sweep_parts_.size());
    sweep_parts_.clear();
    sweep_.reset();
    sweep_failed_ = true;
    return;
  }
  send_rekey_part();
}

void Session::maybe_sweep() {
  if (state_ != State::kWelcomed || sweep_ || sweep_failed_) return;
  auto owed = context_.store.rekey_sweep_owed(agent_->agent_id);
  if (!owed) {
    logger()->error("cannot read tenant.db agent={} error='{}'", agent_->agent_id,
                    owed.error().message);
    return;
  }
  if (!*owed) return;
  auto tokens = context_.store.pseudonyms_below(agent_->agent_id, (*owed)->version);
  if (!tokens) {
    logger()->error("cannot collect old pseudonyms agent={} error='{}'", agent_->agent_id,
                    tokens.error().message);
    return;
  }
  sweep_ = **owed;
  logger()->info("rekey sweep agent={} version={} old_pseudonyms={} requests={}", agent_->agent_id,
                 sweep_->version, tokens->size(),
                 (tokens->size() + kMaxRekeyTokens - 1) / kMaxRekeyTokens);
  for (std::size_t at = 0; at < tokens->size(); at += kMaxRekeyTokens) {
    const auto end = tokens->begin() +
                     static_cast<std::ptrdiff_t>(std::min(tokens->size(), at + kMaxRekeyTokens));
    sweep_parts_.emplace_back(
        std::make_move_iterator(tokens->begin() + static_cast<std::ptrdiff_t>(at)),
        std::make_move_iterator(end));
  }
  send_rekey_part();
}

void Session::send_rekey_part() {
  if (!sweep_) return;
  if (sweep_parts_.empty()) {
    // Every part answered: the sweep is done; a rekey batch stored meanwhile owes another.
    if (auto settled = context_.store.settle_rekey_sweep(agent_->agent_id, *sweep_); !settled) {
      logger()->error("cannot record the rekey sweep agent={} error='{}'", agent_->agent_id,
                      settled.error().message);
    }
    logger()->info("rekey sweep done agent={} version={}", agent_->agent_id, sweep_->version);
    sweep_.reset();
    maybe_sweep();
    return;
  }
  const std::string id = fmt::format("rekey-{}", context_.next_command_id++);
  json::object request;
  request["type"] = "rekey_request";
  request["id"] = id;
  json::array tokens;
  for (auto& token : sweep_parts_.front()) tokens.emplace_back(std::move(token));
  const std::size_t count = tokens.size();
  request["tokens"] = std::move(tokens);
  sweep_parts_.pop_front();
  rekey_in_flight_ = id;
  logger()->info("rekey request sent agent={} id={} tokens={} parts_left={}", agent_->agent_id, id,
                 count, sweep_parts_.size());
  send(json::serialize(request));
}

void Session::on_batch(crypto::ByteView data) {
  if (state_ != State::kWelcomed) {
    close_with(kCloseProtocol, "batch before welcome");
    return;
  }
  auto view = frame::split(data);
  if (!view) {
    close_with(kCloseBadData, "binary message is not a batch frame");
    return;
  }
  auto parsed = frame::Header::from_json(view->header_json);
  if (!parsed) {
    logger()->warn("bad batch header conn={} agent={} error='{}'", id_, agent_->agent_id,
                   parsed.error().message);
    close_with(kCloseBadData, "batch frame header is not valid");
    return;
  }
  const frame::Header& header = *parsed;
  if (header.agent_id != agent_->agent_id || header.tenant_id != agent_->tenant_id) {
    logger()->warn("batch refused conn={} token_agent={} seq={} reason='names another agent'", id_,
                   agent_->agent_id, header.seq);
    close_with(kClosePolicy, "batch header names an agent or tenant this token is not for");
    return;
  }
  if (header.spool_id != spool_id_) {
    close_with(kCloseProtocol, "batch spool_id differs from the hello's");
    return;
  }

  const std::string& agent = agent_->agent_id;
  auto nack = [&](bool retry, std::string_view reason,
                  std::optional<std::chrono::seconds> retry_after = std::nullopt) {
    const std::string after =
        retry_after ? fmt::format(" retry_after={}s", retry_after->count()) : std::string();
    logger()->warn("batch nacked agent={} spool={} seq={} batch_id={} retry={}{} reason='{}'",
                   agent, spool_id_, header.seq, header.batch_id, retry, after, reason);
    answer(nack_message(header.seq, header.batch_id, retry, reason, retry_after), false);
  };
  auto reject = [&](std::string_view reason) {
    if (auto rejected = context_.store.reject(header, reason); !rejected) {
      logger()->error("cannot record rejection agent={} seq={} error='{}'", agent, header.seq,
                      rejected.error().message);
      nack(true, "tenant cannot record the batch now");
      return;
    }
    nack(false, reason);
  };

  auto placement = context_.store.place(header);
  if (!placement) {
    logger()->error("cannot read tenant.db agent={} seq={} error='{}'", agent, header.seq,
                    placement.error().message);
    nack(true, "tenant cannot read its state now");
    return;
  }
  switch (placement->order) {
    case TenantStore::Order::kDuplicate:
      logger()->info("duplicate batch acked agent={} spool={} seq={} batch_id={}", agent, spool_id_,
                     header.seq, header.batch_id);
      answer(ack_message(header.seq, header.batch_id), true);
      return;
    case TenantStore::Order::kOutOfOrder:
      nack(true, fmt::format("out of order: expected seq {}", placement->expected));
      return;
    case TenantStore::Order::kNext:
      break;
  }

  const auto& options = context_.options;
  if (options.nack_retry_seqs.contains(header.seq) &&
      context_.nacked_once.insert(header.seq).second) {
    nack(true, "test: --nack-retry");
    return;
  }
  if (options.reject_seqs.contains(header.seq)) {
    reject("test: --reject");
    return;
  }
  if (auto storable = TenantStore::check_storable(header); !storable) {
    reject(storable.error().message);
    return;
  }
  // The key that opens it: the one its header names, or (a frame from an agent that does not
  // name it) each key in turn. A key the tenant does not hold may yet be added: retry.
  std::vector<crypto::ByteView> keys;
  for (const TenantKey& key : context_.keys) {
    if (header.tenant_key_id.empty() || key.id == header.tenant_key_id) {
      keys.emplace_back(key.private_key);
    }
  }
  if (keys.empty()) {
    nack(true, fmt::format("batch seq {} is sealed to tenant key {}, which the tenant does not "
                           "hold now: the vendor must start ferry-tenant with that key's file "
                           "among its --private-key options; the agent sends the batch again",
                           header.seq, header.tenant_key_id));
    return;
  }
  // The quota is checked before the batch is opened: an agent over it costs no decryption or
  // decompression.
  const auto now = ByteQuota::Clock::now();
  if (const auto wait = context_.quota.wait_before(agent, now)) {
    nack(true,
         fmt::format("over this tenant's quota of {} per minute for this agent "
                     "(--max-bytes-per-minute): send again in {} s",
                     config::format_size(context_.quota.max_bytes_per_minute()), wait->count()),
         wait);
    return;
  }
  // Opened within --max-batch-bytes: a small frame that expands past it is refused for good
  // without ever being held whole.
  auto plaintext = open_payload(*view, header.seq, keys, options.max_batch_bytes);
  if (!plaintext) {
    reject(plaintext.error().message);
    return;
  }
  context_.quota.spend(agent, plaintext->size(), now);
  if (auto payload = TenantStore::check_payload(header, *plaintext); !payload) {
    reject(payload.error().message);
    return;
  }
  if (auto stored = context_.store.store(header, *plaintext); !stored) {
    logger()->error("cannot store batch agent={} seq={} error='{}'", agent, header.seq,
                    stored.error().message);
    nack(true, "tenant cannot store the batch now");
    return;
  }
  ++stored_count_;
  logger()->info(
      "batch stored agent={} spool={} seq={} batch_id={} kind={} source={} stream={} "
      "rows={} bytes={} key_id={}",
      agent, spool_id_, header.seq, header.batch_id, header.kind, header.source, header.stream,
      header.rows, plaintext->size(), header.tenant_key_id.empty() ? "-" : header.tenant_key_id);
  if (header.kind == "rekey") {
    sweep_failed_ = false;  // a new rekey batch: a sweep may be tried again
    maybe_sweep();
  }
  if (options.drop_after != 0 && stored_count_ == options.drop_after) {
    logger()->warn("test: dropping connection without ack conn={} agent={} seq={}", id_, agent,
                   header.seq);
    abort_connection();
    return;
  }
  answer(ack_message(header.seq, header.batch_id), true);
}

void Session::answer(std::string text, bool is_ack) {
  if (state_ != State::kWelcomed) return;
  const auto now = std::chrono::steady_clock::now();
  auto due = now + (is_ack ? context_.options.ack_delay : std::chrono::milliseconds(0));
  if (!answers_.empty()) due = std::max(due, answers_.back().due);
  if (answers_.empty() && due <= now) {
    send(std::move(text));
    return;
  }
  answers_.push_back({due, std::move(text)});
  if (answers_.size() == 1) arm_answer_timer();
}

void Session::arm_answer_timer() {
  answer_timer_.expires_at(answers_.front().due);
  answer_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->release_answers();
  });
}

void Session::release_answers() {
  const auto now = std::chrono::steady_clock::now();
  while (!answers_.empty() && answers_.front().due <= now) {
    send(std::move(answers_.front().text));
    answers_.pop_front();
  }
  if (!answers_.empty()) arm_answer_timer();
}

void Session::send(std::string text) {
  if (state_ == State::kClosing || state_ == State::kDead) return;
  writes_.push_back({std::move(text), std::nullopt});
  write_next();
}

void Session::close_with(std::uint16_t code, std::string reason) {
  if (state_ == State::kClosing || state_ == State::kDead || state_ == State::kUpgrading) return;
  if (code != kCloseNormal) {
    logger()->warn("closing connection conn={} agent={} code={} reason='{}'", id_, agent_->agent_id,
                   code, reason);
  } else {
    logger()->info("closing connection conn={} agent={} code={} reason='{}'", id_, agent_->agent_id,
                   code, reason);
  }
  state_ = State::kClosing;
  answers_.clear();
  answer_timer_.cancel();
  // Drop queued messages; one already being written finishes first.
  if (writing_) {
    writes_.erase(writes_.begin() + 1, writes_.end());
  } else {
    writes_.clear();
  }
  if (reason.size() > 120) reason.resize(120);  // a close frame's reason fits in 123 bytes
  writes_.push_back(
      {{}, websocket::close_reason(static_cast<websocket::close_code>(code), reason)});
  write_next();
}

void Session::abort_connection() {
  state_ = State::kDead;
  answers_.clear();
  answer_timer_.cancel();
  beast::get_lowest_layer(ws_).close();
}

void Session::write_next() {
  if (writing_ || writes_.empty() || state_ == State::kDead) return;
  writing_ = true;
  if (writes_.front().close) {
    ws_.async_close(*writes_.front().close,
                    [self = shared_from_this()](boost::system::error_code ec) {
                      self->writing_ = false;
                      self->writes_.clear();
                      if (ec && ec != asio::error::operation_aborted) {
                        logger()->debug("close failed conn={} error='{}'", self->id_, ec.message());
                        self->abort_connection();
                      }
                    });
    return;
  }
  ws_.async_write(asio::buffer(writes_.front().text),
                  [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                    self->writing_ = false;
                    if (ec) {
                      self->writes_.clear();
                      if (ec != asio::error::operation_aborted) {
                        logger()->info("write failed conn={} error='{}'", self->id_, ec.message());
                      }
                      self->abort_connection();
                      return;
                    }
                    self->writes_.pop_front();
                    self->write_next();
                  });
}

}  // namespace ferry::tenant
