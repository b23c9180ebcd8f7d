// The listening side of `ferry-tenant serve`: accepts connections and hands each to a Session;
// on shutdown stops accepting and closes every session with 1000.
//
// Ownership: the Server does not own the io_context, the TLS context or the ServerContext; all
// three must outlive it. Sessions are owned by their own handlers; the Server only keeps weak
// references to close them. Threading: one io_context thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <ostream>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/error/error.hpp"
#include "tests/tenant/server_context.hpp"

namespace ferry::tenant {

class Session;

class Server {
 public:
  Server(boost::asio::io_context& io, boost::asio::ssl::context& tls, ServerContext& context);

  // Binds and listens; returns the bound endpoint (the real port when 0 was asked for).
  Result<boost::asio::ip::tcp::endpoint> listen(const ListenAddress& address);
  void start();
  // Stops accepting and closes every session (close code 1000). io_context::run() returns once
  // they are gone, or after a few seconds at most.
  void shutdown();

 private:
  boost::asio::awaitable<void> accept_loop();
  void on_session_end(std::uint64_t id);

  boost::asio::io_context& io_;
  boost::asio::ssl::context& tls_;
  ServerContext& context_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer deadline_;
  std::map<std::uint64_t, std::weak_ptr<Session>> sessions_;
  bool stopping_ = false;
};

// The whole of `ferry-tenant serve` once its options are parsed: loads the tokens, the key and
// the TLS files, opens the store, listens, prints "ferry-tenant: listening on HOST:PORT" on `out`
// and serves until SIGTERM or SIGINT. Returns the exit code (0, 1 runtime, 2 configuration);
// errors go to `err` as one line.
int run_serve(const ServeOptions& options, std::ostream& out, std::ostream& err);

}  // namespace ferry::tenant
