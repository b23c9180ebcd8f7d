// The control channel on Windows: a named pipe (windows_pipe.hpp), local only
// (PIPE_REJECT_REMOTE_CLIENTS), whose access list lets SYSTEM, Administrators and the agent's own
// user (for the service, its virtual account NT SERVICE\Ferry) open it, and no one else. Each
// connection's user is read from Windows (the server impersonates the client for a moment) and
// handed to the handler, as SO_PEERCRED's uid is on Linux: requests that act record it.
//
// One instance of the pipe waits for a client at a time; a connected instance is served by a
// coroutine of its own, and the next instance is made at once. The first instance is made with
// FILE_FLAG_FIRST_PIPE_INSTANCE: when another process already has the name, the agent refuses
// to start rather than share it.
#include "agent/control/control_server.hpp"

#include <future>
#include <optional>
#include <set>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/windows/overlapped_ptr.hpp>
#include <boost/asio/windows/stream_handle.hpp>
#include <boost/asio/write.hpp>
#include <windows.h>
// After windows.h:
#include <sddl.h>

#include "agent/control/windows_pipe.hpp"
#include "common/env/windows_acl.hpp"
#include "common/error/path_text.hpp"
#include "common/log/log.hpp"

namespace ferry::control {
namespace {

namespace net = boost::asio;
using boost::system::error_code;
using Pipe = net::windows::stream_handle;

constexpr std::size_t kMaxRequest = 64 * 1024;
constexpr DWORD kPipeBuffer = 64 * 1024;
// Requests answered at once; more wait for a free thread (control_server.hpp).
constexpr std::size_t kHandlerThreads = 8;

// The pipe's security descriptor: full access for SYSTEM, Administrators and this process's
// user, nothing for anyone else; not inherited from anywhere.
class PipeSecurity {
 public:
  static Result<std::unique_ptr<PipeSecurity>> make() {
    const env::UserId user = env::current_user();
    if (user.empty()) {
      return make_error(ErrorCode::kIo, "cannot read this process's user for the control pipe");
    }
    const std::wstring sddl =
        L"D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;" + std::filesystem::path(user).wstring() + L")";
    auto security = std::unique_ptr<PipeSecurity>(new PipeSecurity());
    if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1,
                                                                &security->descriptor_, nullptr)) {
      return make_error(ErrorCode::kInternal, "cannot make the control pipe's access list: {}",
                        env::windows::system_message(::GetLastError()));
    }
    security->attributes_ = {sizeof(SECURITY_ATTRIBUTES), security->descriptor_, FALSE};
    return security;
  }
  ~PipeSecurity() { ::LocalFree(descriptor_); }
  PipeSecurity(const PipeSecurity&) = delete;
  PipeSecurity& operator=(const PipeSecurity&) = delete;
  SECURITY_ATTRIBUTES* attributes() { return &attributes_; }

 private:
  PipeSecurity() = default;
  PSECURITY_DESCRIPTOR descriptor_ = nullptr;
  SECURITY_ATTRIBUTES attributes_{};
};

}  // namespace

struct ControlServer::Impl {
  Impl(std::filesystem::path socket_path, Handler request_handler,
       std::unique_ptr<PipeSecurity> pipe_security)
      : path(std::move(socket_path)),
        name(windows::pipe_name(path)),
        handler(std::move(request_handler)),
        security(std::move(pipe_security)) {}

  // A new instance of the pipe, waiting for a client; kAlreadyExists when `first` and another
  // process has the name.
  Result<HANDLE> make_instance(bool first) {
    if (first && name_taken()) return taken();
    const DWORD open_mode =
        PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
    HANDLE pipe = ::CreateNamedPipeW(
        name.c_str(), open_mode, PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_REJECT_REMOTE_CLIENTS,
        PIPE_UNLIMITED_INSTANCES, kPipeBuffer, kPipeBuffer, 0, security->attributes());
    if (pipe != INVALID_HANDLE_VALUE) return pipe;
    const DWORD error = ::GetLastError();
    if (first && (error == ERROR_ACCESS_DENIED || error == ERROR_PIPE_BUSY)) return taken();
    return make_error(ErrorCode::kIo, "agent.control_socket {}: cannot make the pipe: {}",
                      windows::describe_pipe(path), env::windows::system_message(error));
  }

  // Whether a server already has the name: an instance opens, or all are busy. (Windows also
  // refuses the first instance when the name exists, FILE_FLAG_FIRST_PIPE_INSTANCE; Wine does
  // not, so both are asked.)
  bool name_taken() const {
    HANDLE probe = ::CreateFileW(name.c_str(), GENERIC_READ, 0, nullptr, OPEN_EXISTING,
                                 SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, nullptr);
    if (probe != INVALID_HANDLE_VALUE) {
      ::CloseHandle(probe);
      return true;
    }
    const DWORD error = ::GetLastError();
    return error == ERROR_PIPE_BUSY || error == ERROR_ACCESS_DENIED;
  }

  Result<HANDLE> taken() const {
    return make_error(ErrorCode::kAlreadyExists,
                      "agent.control_socket {}: another process has this pipe (another agent "
                      "with the same data_dir or control_socket?): give each agent its own",
                      windows::describe_pipe(path));
  }

  // Waits for a client on `pipe` (ConnectNamedPipe, overlapped).
  net::awaitable<error_code> connect(Pipe& pipe) {
    error_code ec;
    auto token = net::redirect_error(net::use_awaitable, ec);
    co_await net::async_initiate<decltype(token), void(error_code)>(
        [&pipe](auto completion) {
          net::windows::overlapped_ptr operation(
              pipe.get_executor(),
              [completion = std::move(completion)](error_code done, std::size_t) mutable {
                std::move(completion)(done);
              });
          const BOOL connected = ::ConnectNamedPipe(pipe.native_handle(), operation.get());
          const DWORD error = ::GetLastError();
          if (connected || error == ERROR_IO_PENDING) {
            operation.release();  // the completion arrives through the io_context
          } else if (error == ERROR_PIPE_CONNECTED) {
            operation.complete(error_code(), 0);  // the client came before we waited
          } else {
            operation.complete(
                error_code(static_cast<int>(error), net::error::get_system_category()), 0);
          }
        },
        token);
    co_return ec;
  }

  net::awaitable<void> serve(Pipe pipe) {
    const Registered registered(*this, pipe);
    error_code ec;
    std::optional<Peer> peer;
    std::string buffer;
    for (;;) {
      const std::size_t n =
          co_await net::async_read_until(pipe, net::dynamic_buffer(buffer, kMaxRequest), '\n',
                                         net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return;  // the client left (or sent a line too long to be a request)
      if (!peer) {
        // Windows lets a server impersonate its client once it has read from the pipe.
        auto user = windows::client_user(pipe.native_handle());
        if (!user) {
          log::get("agent")->warn("control pipe: {}; the connection is closed",
                                  user.error().message);
          co_return;
        }
        ULONG pid = 0;
        ::GetNamedPipeClientProcessId(pipe.native_handle(), &pid);
        peer = Peer{*user, {}, pid};
      }
      std::string line = buffer.substr(0, n - 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      buffer.erase(0, n);
      // On the handler pool: a request that waits (sync_wait, reload) holds up no other.
      std::string response = co_await net::co_spawn(
          handlers,
          [this, &line, &peer]() -> net::awaitable<std::string> { co_return handler(line, *peer); },
          net::use_awaitable);
      response += "\n";
      co_await net::async_write(pipe, net::buffer(response),
                                net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return;
    }
  }

  net::awaitable<void> accept_loop(HANDLE first) {
    HANDLE waiting = first;
    for (;;) {
      Pipe pipe(io, waiting);
      error_code ec;
      {
        const Registered registered(*this, pipe);
        ec = co_await connect(pipe);
      }
      if (stopping) co_return;
      // A failed instance (a client that left at once) is dropped; a connected one is served.
      if (!ec) net::co_spawn(io, serve(std::move(pipe)), net::detached);
      for (;;) {
        auto next = make_instance(false);
        if (next) {
          waiting = *next;
          break;
        }
        log::get("agent")->error("control pipe: {}; trying again in a second",
                                 next.error().message);
        net::steady_timer pause(io, std::chrono::seconds(1));
        co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
        if (stopping) co_return;
      }
    }
  }

  // Keeps a pipe in `open_pipes` while a coroutine waits on it, so that stop() can close it.
  struct Registered {
    Registered(Impl& owner, Pipe& open) : server(owner), pipe(open) {
      server.open_pipes.insert(&pipe);
    }
    ~Registered() { server.open_pipes.erase(&pipe); }
    Registered(const Registered&) = delete;
    Registered& operator=(const Registered&) = delete;
    Impl& server;
    Pipe& pipe;
  };

  // Closes every pipe: the waits on them end (Windows completes them as cancelled), which the
  // io_context needs before it can be destroyed.
  void close_pipes() {
    stopping = true;
    for (Pipe* pipe : open_pipes) {
      error_code ignored;
      pipe->close(ignored);
    }
  }

  std::filesystem::path path;
  std::wstring name;
  Handler handler;
  std::unique_ptr<PipeSecurity> security;
  net::io_context io;
  std::atomic<bool> stopping{false};
  std::set<Pipe*> open_pipes;  // used on the io thread only
  std::thread thread;
  // Declared after `io`, so that it is gone (joined) before the coroutines waiting on it are.
  net::thread_pool handlers{kHandlerThreads};
};

Result<std::unique_ptr<ControlServer>> ControlServer::start(const std::filesystem::path& path,
                                                            Handler handler) {
  auto security = PipeSecurity::make();
  if (!security) return tl::unexpected(security.error());
  auto impl = std::make_unique<Impl>(path, std::move(handler), std::move(*security));
  auto first = impl->make_instance(true);
  if (!first) return tl::unexpected(first.error());
  Impl* raw = impl.get();
  net::co_spawn(raw->io, raw->accept_loop(*first), net::detached);
  raw->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<ControlServer>(new ControlServer(std::move(impl)));
}

ControlServer::ControlServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlServer::~ControlServer() { stop(); }

void ControlServer::stop() {
  if (!impl_->thread.joinable()) return;
  std::promise<void> closed;
  std::future<void> done = closed.get_future();
  net::post(impl_->io, [this, &closed] {
    impl_->close_pipes();
    closed.set_value();
  });
  done.wait();
  impl_->io.stop();
  impl_->thread.join();
  impl_->handlers.join();  // the handler makes its waits end when the agent stops
}

}  // namespace ferry::control
