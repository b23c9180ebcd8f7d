#include "agent/control/control_server.hpp"

#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/control/control_client.hpp"
#include "agent/control/peer_posix.hpp"
#include "agent/control/replies.hpp"
#include "agent/control/socket_folder.hpp"
#include "common/log/log.hpp"

namespace ferry::control {
namespace {

namespace net = boost::asio;
using boost::system::error_code;
using Protocol = net::local::stream_protocol;

constexpr std::size_t kMaxRequest = 64 * 1024;
// Requests answered at once; more wait for a free thread. `status` and `ping` are quick; a
// `sync_wait` holds its thread for as long as it waits.
constexpr std::size_t kHandlerThreads = 8;

}  // namespace

struct ControlServer::Impl {
  Impl(std::filesystem::path socket_path, Handler request_handler)
      : path(std::move(socket_path)), handler(std::move(request_handler)), acceptor(io) {}

  // Why `socket`'s peer gets no answer; nullopt when it may talk. The socket file's group is
  // read now, so that a chgrp by the admin applies to the next connection.
  std::optional<std::string> refusal(Protocol::socket& socket, Peer& peer) {
    auto found = peer_of(socket.native_handle());
    if (!found) return found.error().message;
    peer = *found;
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
      return fmt::format("the control socket {} is gone: is the agent stopping?", path.string());
    }
    return refusal_for(peer, ::geteuid(), info.st_gid);
  }

  net::awaitable<void> serve(Protocol::socket socket) {
    error_code ec;
    Peer peer;
    const std::optional<std::string> refused = refusal(socket, peer);
    if (refused) {
      log::get("agent")->warn("control socket refused a connection uid={} user={} pid={}", peer.uid,
                              env::user_name(peer.uid), peer.pid);
    }
    std::string buffer;
    for (;;) {
      const std::size_t n =
          co_await net::async_read_until(socket, net::dynamic_buffer(buffer, kMaxRequest), '\n',
                                         net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return;  // the client left (or sent a line too long to be a request)
      if (refused) {
        // Answered after the request was read, so that the client's write never meets a closed
        // socket and it reads why.
        const std::string line = refusal_line(*refused) + "\n";
        co_await net::async_write(socket, net::buffer(line),
                                  net::redirect_error(net::use_awaitable, ec));
        co_return;
      }
      std::string line = buffer.substr(0, n - 1);
      buffer.erase(0, n);
      // On the handler pool: a request that waits (sync_wait, reload) holds up no other.
      std::string response = co_await net::co_spawn(
          handlers,
          [this, &line, &peer]() -> net::awaitable<std::string> { co_return handler(line, peer); },
          net::use_awaitable);
      response += "\n";
      co_await net::async_write(socket, net::buffer(response),
                                net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return;
    }
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      error_code ec;
      Protocol::socket socket =
          co_await acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
      if (ec == net::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {  // out of file descriptors, say: try again shortly rather than spin
        net::steady_timer pause(io, std::chrono::milliseconds(100));
        co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
        continue;
      }
      net::co_spawn(io, serve(std::move(socket)), net::detached);
    }
  }

  std::filesystem::path path;
  Handler handler;
  net::io_context io;
  Protocol::acceptor acceptor;
  std::thread thread;
  // Declared after `io`, so that it is gone (joined) before the coroutines waiting on it are.
  net::thread_pool handlers{kHandlerThreads};
};

Result<std::unique_ptr<ControlServer>> ControlServer::start(const std::filesystem::path& path,
                                                            Handler handler) {
  std::error_code fs_error;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), fs_error);
  if (auto folder = check_socket_folder(path); !folder) return tl::unexpected(folder.error());
  if (std::filesystem::exists(path, fs_error)) {
    // Never delete what is not a socket: a control_socket set to another file by mistake (the
    // key file, say) must be refused, not replaced.
    if (!std::filesystem::is_socket(path, fs_error)) {
      return make_error(ErrorCode::kAlreadyExists,
                        "agent.control_socket {} exists and is not a socket: choose another path "
                        "(the default is <data_dir>/control.sock)",
                        path.string());
    }
    // We hold the data_dir lock, but the socket may live elsewhere (/run/ferry): make sure no
    // other agent answers there before taking the name.
    auto answer = request(path, R"({"cmd":"ping"})", std::chrono::seconds(2));
    if (answer || answer.error().code != ErrorCode::kUnavailable) {
      return make_error(ErrorCode::kAlreadyExists,
                        "agent.control_socket {}: another process answers there (another agent "
                        "with the same control_socket?): give each agent its own",
                        path.string());
    }
    std::filesystem::remove(path, fs_error);
  }
  auto impl = std::make_unique<Impl>(path, std::move(handler));
  error_code ec;
  impl->acceptor.open(Protocol(), ec);
  // Created 0660 from the start (the umask applies to bind): never readable by everyone.
  const mode_t old_mask = ::umask(0117);
  if (!ec) impl->acceptor.bind(Protocol::endpoint(path.string()), ec);
  ::umask(old_mask);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return make_error(ErrorCode::kIo, "agent.control_socket {}: cannot listen there: {}",
                      path.string(), ec.message());
  }
  ::chmod(path.c_str(), 0660);
  Impl* raw = impl.get();
  net::co_spawn(raw->io, raw->accept_loop(), net::detached);
  raw->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<ControlServer>(new ControlServer(std::move(impl)));
}

ControlServer::ControlServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlServer::~ControlServer() { stop(); }

void ControlServer::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->io.stop();
  impl_->thread.join();
  impl_->handlers.join();  // the handler makes its waits end when the agent stops
  error_code ignored;
  impl_->acceptor.close(ignored);
  std::error_code fs_error;
  std::filesystem::remove(impl_->path, fs_error);
}

}  // namespace ferry::control
