#include "tests/support/https_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <charconv>
#include <exception>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <type_traits>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>
#include <zlib.h>

#include "common/fs/atomic_file.hpp"
#include "tests/tenant/pki.hpp"

namespace ferry::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;
using Fault = HttpReply::Fault;

constexpr std::uint32_t kMaxHead = 16 * 1024;
constexpr std::uint64_t kMaxBody = 1024 * 1024;
constexpr auto kIdleTimeout = std::chrono::seconds(10);
constexpr auto kDrainTimeout = std::chrono::seconds(5);

// A connection parked by Fault::kStall, closed by release_stalls().
class Stalled {
 public:
  virtual ~Stalled() = default;
  virtual void release() = 0;
};

// What sessions share with the server. Used on the server thread only, except where marked.
struct Core {
  std::optional<ssl::context> tls;  // before io: outlives every session's stream
  asio::io_context io;
  std::mutex handler_mutex;                                   // any thread
  std::shared_ptr<const HttpsServer::Handler> handler;        // guarded by handler_mutex
  std::atomic<std::uint64_t> connections{0};                  // read from any thread
  std::atomic<std::uint64_t> requests{0};                     // read from any thread
  std::atomic<std::uint64_t> refused{0};                      // read from any thread
  mutable std::mutex exchanges_mutex;                         // any thread
  std::vector<HttpExchange> exchanges;                        // guarded by exchanges_mutex
  std::map<std::uint64_t, std::shared_ptr<Stalled>> stalled;  // by connection; last: goes first

  std::shared_ptr<const HttpsServer::Handler> current_handler() {
    const std::lock_guard lock(handler_mutex);
    return handler;
  }

  void release_stalls() {
    auto parked = std::move(stalled);
    stalled.clear();
    for (auto& [connection, session] : parked) session->release();
  }
};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent escapes and '+' as a space; a '%' without two hex digits stays as it is.
std::string decode_component(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
               hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::string name = decode_component(pair.substr(0, eq));
    out[name] =
        eq == std::string_view::npos ? std::string() : decode_component(pair.substr(eq + 1));
  }
  return out;
}

HttpExchange to_exchange(const http::request<http::string_body>& request,
                         std::uint64_t connection) {
  HttpExchange exchange;
  exchange.method.assign(request.method_string().data(), request.method_string().size());
  exchange.target.assign(request.target().data(), request.target().size());
  const std::size_t question = exchange.target.find('?');
  exchange.path = exchange.target.substr(0, question);
  if (question != std::string::npos) {
    exchange.query = parse_query(std::string_view(exchange.target).substr(question + 1));
  }
  for (const auto& field : request) {
    const std::string name =
        lower(std::string_view(field.name_string().data(), field.name_string().size()));
    const std::string_view value(field.value().data(), field.value().size());
    auto [it, inserted] = exchange.headers.try_emplace(name, value);
    if (!inserted) {
      it->second += ", ";
      it->second += value;
    }
  }
  exchange.body = request.body();
  exchange.connection = connection;
  return exchange;
}

// zlib's gzip wrapper (deflateInit2 with 16 + MAX_WBITS); the header's time is 0, so the same body
// always gives the same bytes.
std::string gzip(std::string_view data) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw std::runtime_error("https_server: deflateInit2 failed");
  }
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int status = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (status != Z_STREAM_END) throw std::runtime_error("https_server: deflate failed");
  return out;
}

std::string chunk(std::string_view data, std::size_t chunk_size) {
  chunk_size = std::max<std::size_t>(chunk_size, 1);
  std::string out;
  for (std::size_t at = 0; at < data.size(); at += chunk_size) {
    const std::string_view piece = data.substr(at, chunk_size);
    std::array<char, 32> size_text{};
    const auto end =
        std::to_chars(size_text.data(), size_text.data() + size_text.size(), piece.size(), 16).ptr;
    out.append(size_text.data(), end);
    out += "\r\n";
    out += piece;
    out += "\r\n";
  }
  out += "0\r\n\r\n";
  return out;
}

std::string status_line(unsigned status) {
  const http::status known = http::int_to_status(status);
  std::string reason = "Unknown";
  if (known != http::status::unknown) {
    const auto text = http::obsolete_reason(known);
    reason.assign(text.data(), text.size());
  }
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
}

// An answer as bytes: the head, and the body as sent (gzipped, chunked).
struct Answer {
  std::string head;
  std::string body;
  bool close = false;  // Connection: close was sent
};

Answer compose(const HttpReply& reply, bool head_request, bool client_keeps_alive) {
  Answer answer;
  answer.head = status_line(reply.status);
  answer.close = reply.close || !client_keeps_alive;
  for (const auto& [name, value] : reply.headers) {
    if (beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding")) {
      continue;
    }
    if (beast::iequals(name, "connection")) {
      if (beast::iequals(value, "close")) answer.close = true;
      continue;
    }
    if (reply.gzip && beast::iequals(name, "content-encoding")) continue;
    answer.head += name + ": " + value + "\r\n";
  }
  const bool bodiless = reply.status < 200 || reply.status == 204 || reply.status == 304;
  if (!bodiless) {
    answer.body = reply.gzip ? gzip(reply.body) : reply.body;
    if (reply.gzip) answer.head += "Content-Encoding: gzip\r\n";
    if (reply.chunked) {
      answer.head += "Transfer-Encoding: chunked\r\n";
      answer.body = chunk(answer.body, reply.chunk_size);
    } else {
      answer.head += "Content-Length: " + std::to_string(answer.body.size()) + "\r\n";
    }
  }
  if (answer.close) answer.head += "Connection: close\r\n";
  answer.head += "\r\n";
  if (head_request) answer.body.clear();
  return answer;
}

HttpReply failure_reply(std::string body) {
  HttpReply reply;
  reply.status = 500;
  reply.headers = {{"Content-Type", "text/plain"}};
  reply.body = std::move(body);
  return reply;
}

// One TCP connection, plain or TLS, from accept to close. Kept alive by its pending handlers (and
// by Core::stalled while stalled). Runs on the server thread only.
template <bool kTls>
class Session : public Stalled, public std::enable_shared_from_this<Session<kTls>> {
 public:
  using Stream = std::conditional_t<kTls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

  Session(Core& core, tcp::socket socket, std::uint64_t connection)
      : core_(core),
        stream_(make_stream(core, std::move(socket))),
        timer_(core.io),
        connection_(connection) {}

  void start() {
    if constexpr (kTls) {
      tcp().expires_after(kIdleTimeout);
      stream_.async_handshake(ssl::stream_base::server, [self = self()](const error_code& ec) {
        if (ec) {
          self->close_now();
          return;
        }
        self->read_request();
      });
    } else {
      read_request();
    }
  }

  void release() override { close_now(); }

 private:
  static Stream make_stream(Core& core, tcp::socket socket) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *core.tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  std::shared_ptr<Session> self() { return this->shared_from_this(); }
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(kMaxHead);
    parser_->body_limit(kMaxBody);
    tcp().expires_after(kIdleTimeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = self()](const error_code& ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(const error_code& ec) {
    if (ec) {
      on_read_error(ec);
      return;
    }
    if (parser_->is_done()) {
      handle();
      return;
    }
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      output_ = "HTTP/1.1 100 Continue\r\n\r\n";
      write_output([](Session& session) { session.read_body(); });
      return;
    }
    read_body();
  }

  void read_body() {
    tcp().expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = self()](const error_code& ec, std::size_t) {
                       if (ec) {
                         self->on_read_error(ec);
                         return;
                       }
                       self->handle();
                     });
  }

  void on_read_error(const error_code& ec) {
    if (ec == http::error::header_limit) {
      refuse(431);
    } else if (ec == http::error::body_limit) {
      refuse(413);
    } else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
      refuse(400);
    } else {
      close_now();  // the client closed, went silent, or the connection broke
    }
  }

  void refuse(unsigned status) {
    ++core_.refused;
    output_ = status_line(status) + "Content-Length: 0\r\nConnection: close\r\n\r\n";
    write_output([](Session& session) { session.close_gracefully(); });
  }

  void handle() {
    const http::request<http::string_body> request = parser_->release();
    parser_.reset();
    HttpExchange exchange = to_exchange(request, connection_);
    {
      const std::lock_guard lock(core_.exchanges_mutex);
      exchange.number = core_.exchanges.size() + 1;
      core_.exchanges.push_back(exchange);
    }
    core_.requests.store(exchange.number);

    const bool head_request = request.method() == http::verb::head;
    HttpReply reply;
    Answer answer;
    try {
      const auto handler = core_.current_handler();
      reply =
          handler && *handler ? (*handler)(exchange) : failure_reply("https_server: no handler\n");
      answer = compose(reply, head_request, request.keep_alive());
    } catch (const std::exception& e) {
      reply = failure_reply(std::string("https_server: the handler threw: ") + e.what() + "\n");
      answer = compose(reply, head_request, false);
    } catch (...) {
      reply = failure_reply("https_server: the handler threw\n");
      answer = compose(reply, head_request, false);
    }
    keep_alive_ = !answer.close;
    body_ = std::move(answer.body);
    output_ = std::move(answer.head);
    sent_ = 0;
    piece_ = std::max<std::size_t>(reply.slow_piece, 1);
    delay_ = reply.slow_delay;

    switch (reply.fault) {
      case Fault::kNone:
        output_ += body_;
        write_output([](Session& session) { session.after_answer(); });
        return;
      case Fault::kClose:
        close_gracefully();
        return;
      case Fault::kTruncate:
        output_.append(body_, 0, body_.size() / 2);
        write_output([](Session& session) { session.close_gracefully(); });
        return;
      case Fault::kStall:
        write_output([](Session& session) { session.stall(); });
        return;
      case Fault::kSlow:
        write_output([](Session& session) { session.write_piece(); });
        return;
    }
  }

  // Writes output_, then goes on with `next`; a connection that fails or times out is closed.
  template <class Next>
  void write_output(Next next) {
    tcp().expires_after(kIdleTimeout);
    asio::async_write(stream_, asio::buffer(output_),
                      [self = self(), next](const error_code& ec, std::size_t) {
                        if (ec) {
                          self->close_now();
                          return;
                        }
                        next(*self);
                      });
  }

  void write_piece() {
    if (sent_ >= body_.size()) {
      after_answer();
      return;
    }
    const std::size_t size = std::min(piece_, body_.size() - sent_);
    tcp().expires_after(kIdleTimeout);
    asio::async_write(stream_, asio::buffer(body_.data() + sent_, size),
                      [self = self(), size](const error_code& ec, std::size_t) {
                        if (ec) {
                          self->close_now();
                          return;
                        }
                        self->sent_ += size;
                        if (self->sent_ >= self->body_.size()) {
                          self->after_answer();
                          return;
                        }
                        self->timer_.expires_after(self->delay_);
                        self->timer_.async_wait([self](const error_code& wait_error) {
                          if (wait_error) return;
                          self->write_piece();
                        });
                      });
  }

  void after_answer() {
    if (keep_alive_) {
      read_request();  // bytes of a pipelined request may be in buffer_ already
      return;
    }
    close_gracefully();
  }

  void stall() {
    tcp().expires_never();
    core_.stalled[connection_] = self();
  }

  // close_notify (with TLS), FIN, then read and drop what the client still sends until it closes
  // too or kDrainTimeout passes, so unread data does not make the kernel answer with an RST that
  // could destroy our last bytes in flight.
  void close_gracefully() {
    if constexpr (kTls) {
      // Marking the peer's close_notify as received makes the shutdown send ours and finish
      // without waiting for the client's.
      SSL_set_shutdown(stream_.native_handle(), SSL_RECEIVED_SHUTDOWN);
      tcp().expires_after(kDrainTimeout);
      stream_.async_shutdown([self = self()](const error_code&) { self->shutdown_and_drain(); });
    } else {
      shutdown_and_drain();
    }
  }

  void shutdown_and_drain() {
    error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    tcp().expires_after(kDrainTimeout);
    drain();
  }

  void drain() {
    tcp().async_read_some(asio::buffer(drain_buffer_),
                          [self = self()](const error_code& ec, std::size_t) {
                            if (ec) {
                              self->close_now();
                              return;
                            }
                            self->drain();
                          });
  }

  void close_now() {
    error_code ignored;
    timer_.cancel();
    tcp().socket().close(ignored);
  }

  Core& core_;
  Stream stream_;
  asio::steady_timer timer_;  // between the pieces of a slow body
  const std::uint64_t connection_;
  beast::flat_buffer buffer_;  // received, not yet parsed: may hold a pipelined request
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string output_;  // the head (and body) being written
  std::string body_;    // the body as sent, for kSlow
  std::size_t sent_ = 0;
  std::size_t piece_ = 1;
  std::chrono::milliseconds delay_{0};
  bool keep_alive_ = false;
  std::array<char, 4096> drain_buffer_{};
};

}  // namespace

struct HttpsServer::Impl {
  Core core;  // first: its io_context outlives the acceptor
  tcp::acceptor acceptor{core.io};
  asio::executor_work_guard<asio::io_context::executor_type> work{core.io.get_executor()};
  bool tls = true;
  std::uint16_t port = 0;
  std::string ca_pem;
  std::thread thread;

  void accept() {
    acceptor.async_accept([this](const error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        const std::uint64_t number = ++core.connections;
        if (core.tls) {
          std::make_shared<Session<true>>(core, std::move(socket), number)->start();
        } else {
          std::make_shared<Session<false>>(core, std::move(socket), number)->start();
        }
      }
      accept();
    });
  }

  void make_tls(bool tls12_only) {
    namespace pki = tenant::pki;
    auto ca = pki::make_ca("ferry test API CA");
    if (!ca)
      throw std::runtime_error("https_server: cannot make the test CA: " + ca.error().message);
    auto leaf = pki::issue(*ca, pki::CertOptions{});
    if (!leaf) {
      throw std::runtime_error("https_server: cannot issue the server certificate: " +
                               leaf.error().message);
    }
    ca_pem = ca->cert_pem;
    ssl::context& context = core.tls.emplace(ssl::context::tls_server);
    context.use_certificate_chain(asio::buffer(leaf->cert_pem));
    context.use_private_key(asio::buffer(leaf->key_pem), ssl::context::pem);
    SSL_CTX* native = context.native_handle();
    if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(native, tls12_only ? TLS1_2_VERSION : TLS1_3_VERSION) != 1) {
      throw std::runtime_error("https_server: cannot restrict the TLS versions");
    }
  }
};

HttpsServer::HttpsServer(Handler handler, HttpsServerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->tls = options.tls;
  if (options.tls) impl_->make_tls(options.tls12_only);
  set_handler(std::move(handler));
  impl_->acceptor.open(tcp::v4());
  impl_->acceptor.bind(tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  impl_->thread = std::thread([impl = impl_.get()] {
    for (;;) {
      try {
        impl->core.io.run();
        return;  // stopped by the destructor
      } catch (...) {
        // Handlers catch what they expect; anything else (bad_alloc) costs at most the
        // connection it came from. Keep serving the others.
      }
    }
  });
}

HttpsServer::~HttpsServer() {
  impl_->core.io.stop();
  impl_->thread.join();
  // Stalled sessions hold sockets of the io_context: close them while it lives. Sessions in
  // pending handlers go when the io_context is destroyed (with Impl).
  impl_->core.release_stalls();
}

std::uint16_t HttpsServer::port() const { return impl_->port; }

std::string HttpsServer::base_url() const {
  return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port());
}

const std::string& HttpsServer::ca_pem() const { return impl_->ca_pem; }

void HttpsServer::write_ca_file(const std::filesystem::path& file) const {
  if (auto written = fs::write_file_atomically(file, impl_->ca_pem, fs::Access::kAllRead);
      !written) {
    throw std::runtime_error("https_server: cannot write the CA to " + file.string() + ": " +
                             written.error().message);
  }
}

void HttpsServer::set_handler(Handler handler) {
  auto shared = std::make_shared<const Handler>(std::move(handler));
  const std::lock_guard lock(impl_->core.handler_mutex);
  impl_->core.handler = std::move(shared);
}

std::uint64_t HttpsServer::connections() const { return impl_->core.connections.load(); }

std::uint64_t HttpsServer::requests() const { return impl_->core.requests.load(); }

std::uint64_t HttpsServer::refused() const { return impl_->core.refused.load(); }

std::vector<HttpExchange> HttpsServer::exchanges() const {
  const std::lock_guard lock(impl_->core.exchanges_mutex);
  return impl_->core.exchanges;
}

void HttpsServer::release_stalls() {
  Core& core = impl_->core;
  if (core.io.get_executor().running_in_this_thread()) {  // from a handler
    core.release_stalls();
    return;
  }
  std::promise<void> done;
  auto released = done.get_future();
  asio::post(core.io, [&core, &done] {
    core.release_stalls();
    done.set_value();
  });
  released.wait();
}

}  // namespace ferry::test
