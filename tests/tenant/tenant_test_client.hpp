// A minimal agent side for the ferry-tenant smoke tests: TLS 1.3 to 127.0.0.1, the WebSocket
// upgrade with a bearer token and ferry.v1, then text and binary messages. Every call has a
// deadline, so a test never hangs on a tenant that stopped talking. One thread; blocking calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

#include "common/crypto/bytes.hpp"

namespace ferry::tenant::test {

struct Message {
  boost::system::error_code error;  // set when the read failed (closed, timed_out, ...)
  bool text = false;
  std::string data;
};

class TestAgent {
 public:
  static constexpr std::chrono::milliseconds kDeadline{10000};

  explicit TestAgent(const std::filesystem::path& ca_file);
  ~TestAgent();
  TestAgent(const TestAgent&) = delete;
  TestAgent& operator=(const TestAgent&) = delete;

  // TCP, TLS and the upgrade. On a refused upgrade the error is set and `status` holds the HTTP
  // status the tenant answered (401, 400); 101 on success.
  boost::system::error_code connect(std::uint16_t port, const std::string& token,
                                    bool offer_subprotocol = true);
  int status() const { return status_; }
  // The subprotocol the 101 answer selected ("" when none).
  const std::string& selected_subprotocol() const { return subprotocol_; }

  boost::system::error_code send_text(const std::string& text);
  boost::system::error_code send_binary(crypto::ByteView data);
  boost::system::error_code ping();
  Message read(std::chrono::milliseconds deadline = kDeadline);
  // The close code the tenant sent (after read() returned websocket::error::closed).
  int close_code() const { return static_cast<int>(ws_.reason().code); }
  std::string close_reason() const {
    return std::string(ws_.reason().reason.data(), ws_.reason().reason.size());
  }
  int pongs() const { return pongs_; }

 private:
  template <class Start>
  boost::system::error_code run(std::chrono::milliseconds deadline, Start start);

  boost::asio::io_context io_;
  boost::asio::ssl::context tls_{boost::asio::ssl::context::tls_client};
  boost::beast::websocket::stream<boost::beast::ssl_stream<boost::beast::tcp_stream>> ws_;
  int status_ = 0;
  std::string subprotocol_;
  int pongs_ = 0;
};

}  // namespace ferry::tenant::test
