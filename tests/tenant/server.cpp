#include "tests/tenant/server.hpp"

#include <csignal>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "common/fs/read_file.hpp"
#include "common/log/log.hpp"
#include "tests/tenant/session.hpp"
#include "tests/tenant/tenant_key.hpp"
#include "tests/tenant/tls_context.hpp"

namespace ferry::tenant {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kShutdownGrace = std::chrono::seconds(5);

std::shared_ptr<spdlog::logger> logger() { return log::get("tenant"); }

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), endpoint.port())
                         : fmt::format("{}:{}", address.to_string(), endpoint.port());
}

}  // namespace

Server::Server(asio::io_context& io, asio::ssl::context& tls, ServerContext& context)
    : io_(io), tls_(tls), context_(context), acceptor_(io), deadline_(io) {}

Result<tcp::endpoint> Server::listen(const ListenAddress& address) {
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address.host == "localhost" ? "127.0.0.1" : address.host, ec);
  if (ec) {
    return make_error(ErrorCode::kInvalidArgument,
                      "--listen: '{}' is not an IP address (use 127.0.0.1, ::1, 0.0.0.0 or "
                      "localhost)",
                      address.host);
  }
  const tcp::endpoint endpoint(ip, address.port);
  const std::string where = endpoint_text(endpoint);
  if (acceptor_.open(endpoint.protocol(), ec); ec) {
    return make_error(ErrorCode::kIo, "cannot open a socket for {}: {}", where, ec.message());
  }
  acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (acceptor_.bind(endpoint, ec); ec) {
    return make_error(ErrorCode::kUnavailable,
                      "cannot listen on {}: {} (choose another --listen port, or port 0 for a "
                      "free one)",
                      where, ec.message());
  }
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return make_error(ErrorCode::kIo, "cannot listen on {}: {}", where, ec.message());
  }
  auto bound = acceptor_.local_endpoint(ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot read the bound port: {}", ec.message());
  return bound;
}

void Server::start() { asio::co_spawn(io_, accept_loop(), asio::detached); }

asio::awaitable<void> Server::accept_loop() {
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(io_), kAsTuple);
    if (stopping_) break;
    if (ec) {
      logger()->warn("accept failed error='{}'", ec.message());
      // Out of file descriptors, say: do not spin.
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(kAsTuple);
      continue;
    }
    auto session = std::make_shared<Session>(std::move(socket), tls_, context_,
                                             [this](std::uint64_t id) { on_session_end(id); });
    sessions_[session->id()] = session;
    session->start();
  }
}

void Server::on_session_end(std::uint64_t id) {
  sessions_.erase(id);
  if (stopping_ && sessions_.empty()) deadline_.cancel();
}

void Server::shutdown() {
  if (stopping_) return;
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  // Copy first: a session may end (and erase itself) while being told to close.
  std::vector<std::shared_ptr<Session>> live;
  for (auto& [id, weak] : sessions_) {
    if (auto session = weak.lock()) live.push_back(std::move(session));
  }
  for (auto& session : live) session->shutdown();
  if (sessions_.empty()) return;
  deadline_.expires_after(kShutdownGrace);
  deadline_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    logger()->warn("connections did not close in time count={}; stopping anyway", sessions_.size());
    io_.stop();
  });
}

int run_serve(const ServeOptions& options, std::ostream& out, std::ostream& err) {
  auto fail = [&](int code, const std::string& message) {
    err << "ferry-tenant serve: " << message << "\n";
    return code;
  };
  auto tokens = Tokens::load(options.tokens_file);
  if (!tokens) return fail(2, "--tokens " + tokens.error().message);
  std::vector<TenantKey> keys;
  for (const auto& file : options.private_key_files) {
    auto key = load_tenant_key(file);
    if (!key) return fail(2, "--private-key " + key.error().message);
    for (const TenantKey& loaded : keys) {
      if (loaded.id == key->id) {
        return fail(2, fmt::format("--private-key {} is the same key as {} (key id {}): give "
                                   "each key once",
                                   file.string(), loaded.file.string(), key->id));
      }
    }
    keys.push_back(std::move(*key));
  }
  std::vector<std::string> test_rekey_tokens;
  if (options.rekey_request_file) {
    auto text = fs::read_small_file(*options.rekey_request_file, 64 * 1024 * 1024);
    if (!text) return fail(2, "--rekey-request " + text.error().message);
    std::string_view rest = *text;
    while (!rest.empty()) {
      const std::size_t newline = rest.find('\n');
      std::string_view line = rest.substr(0, newline);
      rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty()) test_rekey_tokens.emplace_back(line);
    }
  }
  auto tls = make_server_tls(options);
  if (!tls) return fail(2, tls.error().message);
  auto store = TenantStore::open(options.out_dir);
  if (!store) return fail(1, "--out " + store.error().message);

  ::signal(SIGPIPE, SIG_IGN);
  asio::io_context io(1);
  ServerContext context{options,
                        *tokens,
                        keys,
                        *store,
                        {},
                        1,
                        1,
                        ByteQuota(options.max_bytes_per_minute),
                        std::move(test_rekey_tokens)};
  Server server(io, **tls, context);
  auto endpoint = server.listen(options.listen);
  if (!endpoint) {
    return fail(endpoint.error().code == ErrorCode::kInvalidArgument ? 2 : 1,
                endpoint.error().message);
  }
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (ec) return;
    logger()->info("stopping signal={}", signal == SIGINT ? "SIGINT" : "SIGTERM");
    server.shutdown();
  });
  server.start();
  std::string key_ids;
  for (const TenantKey& key : keys) key_ids += (key_ids.empty() ? "" : ",") + key.id;
  logger()->info("listening address={} agents={} out={} tls={} key_id={} keys={}",
                 endpoint_text(*endpoint), tokens->size(), options.out_dir.string(),
                 options.tls12_only ? "1.2" : "1.3", keys.front().id, key_ids);
  out << "ferry-tenant: listening on " << endpoint_text(*endpoint) << std::endl;
  try {
    io.run();
  } catch (const std::exception& e) {
    return fail(1, fmt::format("internal error: {} (please report this)", e.what()));
  }
  logger()->info("stopped");
  return 0;
}

}  // namespace ferry::tenant
