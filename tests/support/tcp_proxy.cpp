#include "tests/support/tcp_proxy.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <future>
#include <limits>
#include <map>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace ferry::test {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using Mode = TcpProxy::Mode;

constexpr std::size_t kChunk = 16 * 1024;
constexpr std::uint64_t kUnlimited = std::numeric_limits<std::uint64_t>::max();

// Closes with SO_LINGER 0: the kernel drops unsent data and sends RST instead of FIN.
void reset_socket(tcp::socket& socket) {
  if (!socket.is_open()) return;
  error_code ignored;
  socket.set_option(tcp::socket::linger(true, 0), ignored);
  socket.close(ignored);
}

void close_socket(tcp::socket& socket) {
  if (!socket.is_open()) return;
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

class Connection;

// What connections share with the proxy. Used on the proxy thread only, except the atomics.
struct Core {
  asio::io_context io;
  tcp::endpoint target;
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> forwarded{0};
  std::map<std::uint64_t, std::shared_ptr<Connection>> live;  // open connections, by id
};

// One accepted connection and, once connected, its upstream socket. Kept alive by Core::live
// (so a silent connection with no pending operation survives) and by its own pending handlers.
// Runs on the proxy thread only.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Core& core, std::uint64_t id, tcp::socket client)
      : core_(core), id_(id), client_(std::move(client)), upstream_(core.io) {}

  // Applies the mode a new connection was accepted under.
  void start(Mode mode, std::uint64_t bytes) {
    switch (mode) {
      case Mode::kRefuse:
        close();
        return;
      case Mode::kBlackhole:
        state_ = State::kSilent;  // no read, no connect: the client hears nothing
        return;
      case Mode::kForward:
      case Mode::kCutAfterBytes:
        budget_ = mode == Mode::kCutAfterBytes ? bytes : kUnlimited;
        if (budget_ == 0) {
          reset();
          return;
        }
        state_ = State::kConnecting;
        upstream_.async_connect(core_.target, [self = shared_from_this()](const error_code& ec) {
          self->on_connect(ec);
        });
        return;
    }
  }

  // Applies a mode change to this open connection; silent and closed connections ignore it.
  void apply(Mode mode, std::uint64_t bytes) {
    if (state_ != State::kConnecting && state_ != State::kForwarding) return;
    switch (mode) {
      case Mode::kForward:
        budget_ = kUnlimited;
        return;
      case Mode::kCutAfterBytes:
        budget_ = bytes;
        cut_if_spent();
        return;
      case Mode::kRefuse:
        close();
        return;
      case Mode::kBlackhole:
        go_silent();
        return;
    }
  }

  // RST to both sides; the connection is finished.
  void reset() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    reset_socket(client_);
    reset_socket(upstream_);
    core_.live.erase(id_);  // the caller holds a reference, so `this` lives on until it returns
  }

 private:
  enum class State { kConnecting, kForwarding, kSilent, kClosed };

  tcp::socket& from(int direction) { return direction == 0 ? client_ : upstream_; }
  tcp::socket& to(int direction) { return direction == 0 ? upstream_ : client_; }

  void on_connect(const error_code& ec) {
    if (state_ != State::kConnecting) return;  // went silent or closed meanwhile
    if (ec) {
      reset();  // the client sees a reset, the nearest thing to "connection refused"
      return;
    }
    state_ = State::kForwarding;
    read(0);
    read(1);
  }

  void read(int direction) {
    from(direction).async_read_some(
        asio::buffer(buffers_[direction]),
        [self = shared_from_this(), direction](const error_code& ec, std::size_t size) {
          self->on_read(direction, ec, size);
        });
  }

  void on_read(int direction, const error_code& ec, std::size_t size) {
    if (state_ != State::kForwarding) return;
    if (ec == asio::error::eof) {
      error_code ignored;
      to(direction).shutdown(tcp::socket::shutdown_send, ignored);  // pass the FIN on
      ended_[direction] = true;
      if (ended_[0] && ended_[1]) close();
      return;
    }
    if (ec) {
      reset();
      return;
    }
    const std::size_t allowed = static_cast<std::size_t>(std::min<std::uint64_t>(size, budget_));
    if (budget_ != kUnlimited) budget_ -= allowed;
    if (allowed == 0) {
      cut_if_spent();  // this direction stops; the reset follows once no write is in flight
      return;
    }
    ++writes_in_flight_;
    core_.forwarded += allowed;
    asio::async_write(to(direction), asio::buffer(buffers_[direction].data(), allowed),
                      [self = shared_from_this(), direction](const error_code& write_ec,
                                                             std::size_t /*written*/) {
                        self->on_write(direction, write_ec);
                      });
  }

  void on_write(int direction, const error_code& ec) {
    --writes_in_flight_;
    if (state_ != State::kForwarding) return;
    if (ec) {
      reset();
      return;
    }
    if (budget_ == 0) {
      cut_if_spent();
      return;
    }
    read(direction);
  }

  // Resets once the byte budget is spent and what it allowed has been written.
  void cut_if_spent() {
    if (budget_ == 0 && writes_in_flight_ == 0) reset();
  }

  void go_silent() {
    state_ = State::kSilent;
    // Pending reads and writes finish with operation_aborted and are not started again. The
    // sockets stay open: no FIN, no RST.
    error_code ignored;
    client_.cancel(ignored);
    if (upstream_.is_open()) upstream_.cancel(ignored);
  }

  void close() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    close_socket(client_);
    close_socket(upstream_);
    core_.live.erase(id_);
  }

  Core& core_;
  const std::uint64_t id_;
  tcp::socket client_;
  tcp::socket upstream_;
  State state_ = State::kConnecting;
  std::uint64_t budget_ = kUnlimited;  // bytes still allowed, both directions together
  int writes_in_flight_ = 0;
  std::array<bool, 2> ended_{};  // direction 0: client to upstream; 1: upstream to client
  std::array<std::array<char, kChunk>, 2> buffers_{};
};

}  // namespace

struct TcpProxy::Impl {
  Core core;  // first: its io_context outlives the acceptor and the connections
  // Keeps the proxy thread running while there is nothing to accept yet (before forward_to).
  asio::executor_work_guard<asio::io_context::executor_type> work{core.io.get_executor()};
  tcp::acceptor acceptor{core.io};
  bool listening = false;      // proxy thread only, once the thread runs
  Mode mode = Mode::kForward;  // proxy thread only
  std::uint64_t cut_bytes = 0;
  std::uint64_t next_id = 0;
  std::uint16_t port = 0;
  std::thread thread;

  void accept() {
    acceptor.async_accept([this](const error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        ++core.accepted;
        const std::uint64_t id = next_id++;
        auto connection = std::make_shared<Connection>(core, id, std::move(socket));
        core.live.emplace(id, connection);
        connection->start(mode, cut_bytes);
      }
      accept();
    });
  }

  // Runs `task` on the proxy thread and waits for it.
  template <class Task>
  void run_and_wait(Task task) {
    std::promise<void> done;
    asio::post(core.io, [&] {
      task();
      done.set_value();
    });
    done.get_future().wait();
  }

  // Open connections, copied so that a connection can leave `live` while we walk the list.
  std::vector<std::shared_ptr<Connection>> snapshot() const {
    std::vector<std::shared_ptr<Connection>> out;
    out.reserve(core.live.size());
    for (const auto& [id, connection] : core.live) out.push_back(connection);
    return out;
  }
};

TcpProxy::TcpProxy() : impl_(std::make_unique<Impl>()) {
  // Bound but not listening: the kernel answers a connect with RST, as for a closed port.
  const auto loopback = asio::ip::address_v4::loopback();
  impl_->acceptor.open(tcp::v4());
  impl_->acceptor.bind(tcp::endpoint(loopback, 0));
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->thread = std::thread([impl = impl_.get()] { impl->core.io.run(); });
}

TcpProxy::TcpProxy(std::uint16_t target_port) : TcpProxy() { forward_to(target_port); }

void TcpProxy::forward_to(std::uint16_t target_port) {
  error_code failed;
  impl_->run_and_wait([this, target_port, &failed] {
    impl_->core.target = tcp::endpoint(asio::ip::address_v4::loopback(), target_port);
    if (impl_->listening) return;
    impl_->acceptor.listen(asio::socket_base::max_listen_connections, failed);
    if (failed) return;
    impl_->listening = true;
    impl_->accept();
  });
  if (failed) throw boost::system::system_error(failed, "tcp_proxy: cannot listen");
}

TcpProxy::~TcpProxy() {
  impl_->core.io.stop();
  impl_->thread.join();
  // Connections with no pending operation (silent ones) are freed here; those with pending
  // handlers are freed when the io_context destroys the handlers. Either way their sockets close.
  impl_->core.live.clear();
}

std::uint16_t TcpProxy::port() const { return impl_->port; }

void TcpProxy::set_mode(Mode mode, std::uint64_t bytes) {
  impl_->run_and_wait([this, mode, bytes] {
    impl_->mode = mode;
    impl_->cut_bytes = bytes;
    for (const auto& connection : impl_->snapshot()) connection->apply(mode, bytes);
  });
}

void TcpProxy::cut_all() {
  impl_->run_and_wait([this] {
    for (const auto& connection : impl_->snapshot()) connection->reset();
  });
}

std::uint64_t TcpProxy::connections_accepted() const { return impl_->core.accepted.load(); }

std::uint64_t TcpProxy::bytes_forwarded() const { return impl_->core.forwarded.load(); }

}  // namespace ferry::test
