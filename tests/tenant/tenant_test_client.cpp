#include "tests/tenant/tenant_test_client.hpp"

#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/beast/http.hpp>
#include <openssl/ssl.h>

namespace ferry::tenant::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

TestAgent::TestAgent(const std::filesystem::path& ca_file) : ws_(io_, tls_) {
  boost::system::error_code ec;
  tls_.load_verify_file(ca_file.string(), ec);
  if (ec) throw std::runtime_error("cannot load " + ca_file.string() + ": " + ec.message());
  tls_.set_verify_mode(asio::ssl::verify_peer);
  SSL_CTX_set_min_proto_version(tls_.native_handle(), TLS1_3_VERSION);
  ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::pong) ++pongs_;
  });
}

TestAgent::~TestAgent() {
  boost::system::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

template <class Start>
boost::system::error_code TestAgent::run(std::chrono::milliseconds deadline, Start start) {
  std::optional<boost::system::error_code> result;
  start([&result](boost::system::error_code ec, auto&&...) { result = ec; });
  io_.restart();
  io_.run_for(deadline);
  if (result) return *result;
  // Past the deadline: abort the operation and let its handler run.
  beast::get_lowest_layer(ws_).close();
  io_.restart();
  io_.run_for(std::chrono::seconds(1));
  return asio::error::timed_out;
}

boost::system::error_code TestAgent::connect(std::uint16_t port, const std::string& token,
                                             bool offer_subprotocol) {
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  auto ec = run(kDeadline, [&](auto handler) {
    beast::get_lowest_layer(ws_).async_connect(endpoint, std::move(handler));
  });
  if (ec) return ec;
  SSL_set_tlsext_host_name(ws_.next_layer().native_handle(), "localhost");
  ws_.next_layer().set_verify_callback(asio::ssl::host_name_verification("localhost"));
  ec = run(kDeadline, [&](auto handler) {
    ws_.next_layer().async_handshake(asio::ssl::stream_base::client, std::move(handler));
  });
  if (ec) return ec;
  ws_.set_option(websocket::stream_base::decorator(
      [token, offer_subprotocol](websocket::request_type& request) {
        request.set(beast::http::field::authorization, "Bearer " + token);
        if (offer_subprotocol) {
          request.set(beast::http::field::sec_websocket_protocol, "ferry.v1");
        }
      }));
  websocket::response_type response;
  ec = run(kDeadline, [&](auto handler) {
    ws_.async_handshake(response, "localhost", "/v1/agent", std::move(handler));
  });
  status_ = static_cast<int>(response.result_int());
  subprotocol_ = std::string(response[beast::http::field::sec_websocket_protocol]);
  return ec;
}

boost::system::error_code TestAgent::send_text(const std::string& text) {
  ws_.text(true);
  return run(kDeadline,
             [&](auto handler) { ws_.async_write(asio::buffer(text), std::move(handler)); });
}

boost::system::error_code TestAgent::send_binary(crypto::ByteView data) {
  ws_.binary(true);
  return run(kDeadline, [&](auto handler) {
    ws_.async_write(asio::buffer(data.data(), data.size()), std::move(handler));
  });
}

boost::system::error_code TestAgent::ping() {
  return run(kDeadline, [&](auto handler) { ws_.async_ping({}, std::move(handler)); });
}

Message TestAgent::read(std::chrono::milliseconds deadline) {
  beast::flat_buffer buffer;
  Message message;
  message.error = run(deadline, [&](auto handler) { ws_.async_read(buffer, std::move(handler)); });
  message.text = ws_.got_text();
  message.data = beast::buffers_to_string(buffer.cdata());
  return message;
}

}  // namespace ferry::tenant::test
