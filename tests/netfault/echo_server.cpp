#include "tests/netfault/echo_server.hpp"

#include <array>
#include <atomic>
#include <thread>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

namespace ferry::test {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

struct Counters {
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> resets{0};
};

// One connection: read, write back, repeat. Kept alive by its pending handler.
class EchoSession : public std::enable_shared_from_this<EchoSession> {
 public:
  EchoSession(Counters& counters, tcp::socket socket)
      : counters_(counters), socket_(std::move(socket)) {}

  void read() {
    socket_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](const error_code& ec, std::size_t size) {
                              self->on_read(ec, size);
                            });
  }

 private:
  void on_read(const error_code& ec, std::size_t size) {
    if (ec) {
      end(ec);
      return;
    }
    asio::async_write(socket_, asio::buffer(buffer_.data(), size),
                      [self = shared_from_this()](const error_code& write_error, std::size_t) {
                        if (write_error) {
                          self->end(write_error);
                          return;
                        }
                        self->read();
                      });
  }

  void end(const error_code& ec) {
    if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe) ++counters_.resets;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    socket_.close(ignored);
  }

  Counters& counters_;
  tcp::socket socket_;
  std::array<char, 16 * 1024> buffer_{};
};

}  // namespace

struct EchoServer::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  Counters counters;
  std::uint16_t port = 0;
  std::thread thread;

  void accept() {
    acceptor.async_accept([this](const error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        ++counters.accepted;
        std::make_shared<EchoSession>(counters, std::move(socket))->read();
      }
      accept();
    });
  }
};

EchoServer::EchoServer() : impl_(std::make_unique<Impl>()) {
  impl_->acceptor.open(tcp::v4());
  impl_->acceptor.bind(tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

EchoServer::~EchoServer() {
  impl_->io.stop();
  impl_->thread.join();
}

std::uint16_t EchoServer::port() const { return impl_->port; }
std::uint64_t EchoServer::accepted() const { return impl_->counters.accepted.load(); }
std::uint64_t EchoServer::resets() const { return impl_->counters.resets.load(); }

}  // namespace ferry::test
