// A loopback TCP client for the proxy tests in which every call has a deadline, so a test never
// hangs on a peer that stopped talking. Calls block the calling thread; one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace ferry::test {

struct ReadResult {
  std::string data;
  // Why the read stopped short: eof, connection_reset, timed_out (the deadline passed), ...; empty
  // when everything asked for arrived.
  boost::system::error_code error;
  bool timed_out() const { return error == boost::asio::error::timed_out; }
};

class TestClient {
 public:
  static constexpr std::chrono::milliseconds kDeadline{5000};

  TestClient() = default;
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  // Connects to 127.0.0.1:port.
  boost::system::error_code connect(std::uint16_t port,
                                    std::chrono::milliseconds deadline = kDeadline);
  boost::system::error_code write(std::string_view data,
                                  std::chrono::milliseconds deadline = kDeadline);
  // Sends FIN: the peer reads EOF; this side can still read.
  void shutdown_send();

  // Until `size` bytes have arrived, or the stream ends, fails or the deadline passes.
  ReadResult read(std::size_t size, std::chrono::milliseconds deadline = kDeadline);
  // Through the first `delimiter` (included), or until the stream ends, fails or the deadline
  // passes. Bytes after the delimiter stay for the next read.
  ReadResult read_until(std::string_view delimiter, std::chrono::milliseconds deadline = kDeadline);
  // Everything until the stream ends (error eof), fails, or the deadline passes.
  ReadResult read_to_end(std::chrono::milliseconds deadline = kDeadline);

 private:
  // Starts one operation through `start` (which must set `done` in its handler), runs it for at
  // most `deadline`, and cancels it past the deadline. False when it was cancelled.
  template <class Start>
  bool run(std::chrono::milliseconds deadline, Start start);

  ReadResult take(std::size_t size, boost::system::error_code error, bool finished);

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_{io_};
  std::string pending_;  // received and not yet returned
};

}  // namespace ferry::test
