#include "tests/netfault/test_client.hpp"

#include <algorithm>

#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

namespace ferry::test {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

template <class Start>
bool TestClient::run(std::chrono::milliseconds deadline, Start start) {
  bool done = false;
  start(done);
  io_.restart();
  io_.run_for(deadline);
  if (done) return true;
  error_code ignored;
  socket_.cancel(ignored);
  io_.restart();
  io_.run();  // lets the cancelled handler finish
  return false;
}

error_code TestClient::connect(std::uint16_t port, std::chrono::milliseconds deadline) {
  error_code result;
  const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
  const bool finished = run(deadline, [&](bool& done) {
    socket_.async_connect(endpoint, [&](const error_code& ec) {
      result = ec;
      done = true;
    });
  });
  return finished ? result : error_code(asio::error::timed_out);
}

error_code TestClient::write(std::string_view data, std::chrono::milliseconds deadline) {
  error_code result;
  const bool finished = run(deadline, [&](bool& done) {
    asio::async_write(socket_, asio::buffer(data), [&](const error_code& ec, std::size_t) {
      result = ec;
      done = true;
    });
  });
  return finished ? result : error_code(asio::error::timed_out);
}

void TestClient::shutdown_send() {
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
}

ReadResult TestClient::take(std::size_t size, error_code error, bool finished) {
  ReadResult result;
  const std::size_t count = std::min(size, pending_.size());
  result.data = pending_.substr(0, count);
  pending_.erase(0, count);
  result.error = finished ? error : error_code(asio::error::timed_out);
  return result;
}

ReadResult TestClient::read(std::size_t size, std::chrono::milliseconds deadline) {
  if (pending_.size() >= size) return take(size, {}, true);
  error_code error;
  const bool finished = run(deadline, [&](bool& done) {
    asio::async_read(socket_, asio::dynamic_buffer(pending_),
                     asio::transfer_at_least(size - pending_.size()),
                     [&](const error_code& ec, std::size_t) {
                       error = ec;
                       done = true;
                     });
  });
  return take(size, error, finished);
}

ReadResult TestClient::read_until(std::string_view delimiter, std::chrono::milliseconds deadline) {
  error_code error;
  std::size_t through = 0;
  const bool finished = run(deadline, [&](bool& done) {
    asio::async_read_until(socket_, asio::dynamic_buffer(pending_), delimiter,
                           [&](const error_code& ec, std::size_t size) {
                             error = ec;
                             through = size;
                             done = true;
                           });
  });
  // Without the delimiter, hand back everything that came.
  return take(finished && !error ? through : pending_.size(), error, finished);
}

ReadResult TestClient::read_to_end(std::chrono::milliseconds deadline) {
  error_code error;
  const bool finished = run(deadline, [&](bool& done) {
    asio::async_read(socket_, asio::dynamic_buffer(pending_), asio::transfer_all(),
                     [&](const error_code& ec, std::size_t) {
                       error = ec;
                       done = true;
                     });
  });
  return take(pending_.size(), error, finished);
}

}  // namespace ferry::test
