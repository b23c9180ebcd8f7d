#include "common/http/client.hpp"

#include <algorithm>
#include <map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/version.hpp>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/http/gzip.hpp"
#include "common/http/rate_limiter.hpp"
#include "common/http/retry_after.hpp"
#include "common/http/system_trust.hpp"
#include "common/http/tunnel.hpp"
#include "common/log/printable.hpp"

// g++ 12 at -O1 (the sanitize preset) inlines Asio's awaitable frame allocator (aligned_alloc
// through thread_info_base) into these coroutines and then reports its matching operator delete
// as a mismatch (-Wmismatched-new-delete): a known false positive of that pairing, not a bug.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace ferry::http {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;
using Stream = beast::ssl_stream<beast::tcp_stream>;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kErrorBodyBytes = 64 * 1024;
constexpr std::size_t kReadPiece = 64 * 1024;
constexpr std::uint32_t kHeaderLimit = 64 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string openssl_reason(const error_code& ec) {
  std::string text = ec.message();
  ERR_clear_error();
  return text;
}

// Where a request goes, taken apart once per send().
struct Target {
  std::string host;
  std::uint16_t port = 443;
  std::string path;   // with the query
  std::string where;  // "GET https://host/path", for messages
  std::string host_header;
};

Result<Target> target_of(const Request& request) {
  auto url = config::parse_url(request.url);
  if (!url) {
    return make_error(ErrorCode::kInvalidArgument, "{}: not a URL ({})",
                      describe_request(request.method, request.url), url.error().message);
  }
  if (url->scheme != "https") {
    return make_error(ErrorCode::kInvalidArgument, "{}: only https is used",
                      describe_request(request.method, request.url));
  }
  Target target;
  target.host = url->host;
  target.port = url->port == 0 ? 443 : url->port;
  target.path = url->target;
  target.where = describe_request(request.method, request.url);
  target.host_header = target.port == 443 && target.host.find(':') == std::string::npos
                           ? target.host
                           : authority(target.host, target.port);
  return target;
}

// A failure of one attempt: `retry` when another attempt may help.
struct Failure {
  ErrorCode code = ErrorCode::kUnavailable;
  std::string message;
  bool retry = true;
  // The connection was one kept alive from before and failed before any answer came: the server
  // may simply have closed it meanwhile, so the attempt is made again at once on a new one.
  bool stale_connection = false;
};

template <class T>
using Attempt = tl::expected<T, Failure>;

tl::unexpected<Failure> fail(ErrorCode code, std::string message, bool retry = true) {
  return tl::unexpected<Failure>(Failure{code, std::move(message), retry, false});
}

}  // namespace

std::string describe_request(bhttp::verb method, std::string_view url) {
  const std::size_t query = url.find_first_of("?#");
  return fmt::format("{} {}", std::string_view(bhttp::to_string(method)),
                     log::printable(url.substr(0, query), 300));
}

std::optional<std::string_view> Response::header(std::string_view name) const {
  for (const Header& field : headers) {
    if (iequals(field.first, name)) return std::string_view(field.second);
  }
  return std::nullopt;
}

struct Client::Impl {
  ClientOptions options;
  const env::Clock* clock = nullptr;
  std::unique_ptr<ssl::context> tls;
  net::io_context io;
  RateLimiter limiter;
  // One kept-alive connection per "host:port".
  std::map<std::string, std::unique_ptr<Stream>> connections;
  std::uint64_t opened = 0;
  // What the attempt in progress waits on, cancelled or closed by a stop.
  Stream* current = nullptr;
  tcp::resolver* resolving = nullptr;
  beast::tcp_stream* connecting = nullptr;
  std::mutex wait_mutex;
  std::condition_variable_any wait_cv;

  Impl(ClientOptions client_options, const env::Clock& client_clock)
      : options(std::move(client_options)),
        clock(&client_clock),
        limiter(options.rate_limit, client_clock) {}

  // The deadline of one phase: the phase timeout, or what is left of the attempt's.
  std::chrono::milliseconds phase(Clock::time_point attempt_deadline) const {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(attempt_deadline - Clock::now());
    return std::max(std::chrono::milliseconds(1), std::min(options.timeout, left));
  }

  std::string proxy_setting() const { return fmt::format("the proxy of {}", options.setting); }

  tl::unexpected<Failure> too_large(const Target& target) const {
    return fail(ErrorCode::kCorrupt,
                fmt::format("{}: the answer is larger than {} bytes (max_response_size of {})",
                            target.where, options.max_response_bytes, options.setting),
                false);
  }

  net::awaitable<Attempt<std::unique_ptr<Stream>>> open(const Target& target,
                                                        Clock::time_point deadline);
  net::awaitable<Attempt<Response>> exchange(const Request& request, const Target& target,
                                             const BodyHandler& on_body, SendReport& report);
  Result<Response> send(const Request& request, const BodyHandler& on_body, std::stop_token stop,
                        SendReport& report);
  bool wait(std::chrono::milliseconds delay, std::stop_token stop);
};

net::awaitable<Attempt<std::unique_ptr<Stream>>> Client::Impl::open(const Target& target,
                                                                    Clock::time_point deadline) {
  const bool proxied = options.proxy.has_value();
  const std::string hop_host = proxied ? options.proxy->host : target.host;
  const std::uint16_t hop_port = proxied ? options.proxy->port : target.port;
  const std::string hop =
      authority(hop_host, hop_port) + (proxied ? " (" + proxy_setting() + ")" : "");
  error_code ec;
  tcp::resolver resolver(io);
  resolving = &resolver;
  const auto endpoints = co_await resolver.async_resolve(
      hop_host, std::to_string(hop_port), net::redirect_error(net::use_awaitable, ec));
  resolving = nullptr;
  if (ec) {
    co_return fail(ErrorCode::kUnavailable,
                   fmt::format("cannot resolve {}: {}", hop, ec.message()));
  }
  beast::tcp_stream tcp_stream(io);
  struct ClearConnecting {
    beast::tcp_stream*& connecting;
    ~ClearConnecting() { connecting = nullptr; }
  } clear_connecting{connecting};
  connecting = &tcp_stream;
  tcp_stream.expires_after(phase(deadline));
  co_await tcp_stream.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    co_return fail(ErrorCode::kUnavailable,
                   fmt::format("cannot connect to {}: {}", hop,
                               ec == beast::error::timeout ? "no answer in time" : ec.message()));
  }
  ++opened;
  if (proxied) {
    tcp_stream.expires_after(phase(deadline));
    auto tunnel =
        co_await open_tunnel(tcp_stream, *options.proxy, target.host, target.port, proxy_setting());
    if (!tunnel) {
      co_return fail(
          tunnel.error().credentials_refused ? ErrorCode::kAuth : ErrorCode::kUnavailable,
          tunnel.error().message, !tunnel.error().credentials_refused);
    }
  }
  connecting = nullptr;
  auto stream = std::make_unique<Stream>(std::move(tcp_stream), *tls);
  SSL* native = stream->native_handle();
  if (!set_identity(native, target.host)) {
    ERR_clear_error();
    co_return fail(ErrorCode::kConfig,
                   fmt::format("cannot check a server certificate against the host '{}' of {}: "
                               "use a DNS name or a plain IP address",
                               target.host, options.setting),
                   false);
  }
  beast::get_lowest_layer(*stream).expires_after(phase(deadline));
  current = stream.get();
  co_await stream->async_handshake(ssl::stream_base::client,
                                   net::redirect_error(net::use_awaitable, ec));
  current = nullptr;
  if (ec) {
    const long verify = SSL_get_verify_result(native);
    const std::string at = authority(target.host, target.port);
    if (verify != X509_V_OK) {
      co_return fail(
          ErrorCode::kConfig,
          fmt::format(
              "the server certificate of {} is not accepted: {}{}", at,
              X509_verify_cert_error_string(verify),
              verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH
                  ? fmt::format(": it is not issued for {}; check the host in the url of {}",
                                target.host, options.setting)
              : verify == X509_V_ERR_CERT_HAS_EXPIRED
                  ? std::string(": the API's owner must renew it (check this machine's "
                                "clock too)")
                  : fmt::format(": if the API uses a private CA, put its certificate in "
                                "ca_file of {}",
                                options.setting)),
          false);
    }
    co_return fail(
        ErrorCode::kUnavailable,
        fmt::format("TLS handshake with {} failed: {}", at,
                    ec == beast::error::timeout ? "no answer in time" : openssl_reason(ec)));
  }
  ERR_clear_error();
  co_return stream;
}

net::awaitable<Attempt<Response>> Client::Impl::exchange(const Request& request,
                                                         const Target& target,
                                                         const BodyHandler& on_body,
                                                         SendReport& report) {
  const auto deadline = Clock::now() + options.request_timeout;
  const std::string key = authority(target.host, target.port);
  std::unique_ptr<Stream> stream;
  bool reused = false;
  if (auto kept = connections.find(key); kept != connections.end()) {
    stream = std::move(kept->second);
    connections.erase(kept);
    reused = true;
  } else {
    auto opened_stream = co_await open(target, deadline);
    if (!opened_stream) co_return tl::unexpected(opened_stream.error());
    stream = std::move(*opened_stream);
  }
  current = stream.get();
  struct ClearCurrent {
    Stream*& current;
    ~ClearCurrent() { current = nullptr; }
  } clear_current{current};

  bhttp::request<bhttp::string_body> message{request.method, target.path, 11};
  message.set(bhttp::field::host, target.host_header);
  message.set(bhttp::field::user_agent, "ferry/" FERRY_VERSION);
  message.set(bhttp::field::accept_encoding, "gzip");
  for (const Header& field : request.headers) message.set(field.first, field.second);
  if (!request.body.empty() || request.method == bhttp::verb::post) {
    message.body() = request.body;
    message.prepare_payload();
  }
  message.keep_alive(true);
  error_code ec;
  beast::get_lowest_layer(*stream).expires_after(phase(deadline));
  co_await bhttp::async_write(*stream, message, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    Failure failure{ErrorCode::kUnavailable,
                    fmt::format("{}: sending the request failed: {}", target.where, ec.message()),
                    true, reused};
    co_return tl::unexpected(std::move(failure));
  }

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(options.max_response_bytes);
  beast::get_lowest_layer(*stream).expires_after(phase(deadline));
  co_await bhttp::async_read_header(*stream, buffer, parser,
                                    net::redirect_error(net::use_awaitable, ec));
  if (ec == bhttp::error::body_limit) co_return too_large(target);
  if (ec) {
    const bool nothing_came = ec == bhttp::error::end_of_stream || ec == net::error::eof ||
                              ec == net::error::connection_reset ||
                              ec == ssl::error::stream_truncated;
    Failure failure{ErrorCode::kUnavailable,
                    fmt::format("{}: no answer: {}", target.where,
                                ec == beast::error::timeout ? "none came in time" : ec.message()),
                    true, reused && nothing_came};
    co_return tl::unexpected(std::move(failure));
  }
  Response response;
  response.status = parser.get().result_int();
  for (const auto& field : parser.get()) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  const bool success = response.status >= 200 && response.status <= 299;
  const auto encoding = response.header("Content-Encoding");
  const bool gzipped = encoding && (iequals(*encoding, "gzip") || iequals(*encoding, "x-gzip") ||
                                    iequals(*encoding, "deflate"));
  if (encoding && !gzipped && !iequals(*encoding, "identity")) {
    co_return fail(ErrorCode::kCorrupt,
                   fmt::format("{}: the answer is encoded as '{}', which Ferry does not read (it "
                               "asks for gzip)",
                               target.where, log::printable(*encoding, 40)),
                   false);
  }
  // Where the body goes: the caller's handler for a success, else the first 64 KiB for its
  // message. Counted after decompression.
  const BodyHandler keep_start = [&response](std::string_view piece) -> Result<void> {
    if (response.body.size() < kErrorBodyBytes) {
      response.body.append(piece.substr(0, kErrorBodyBytes - response.body.size()));
    }
    return {};
  };
  const BodyHandler deliver = [&](std::string_view piece) -> Result<void> {
    report.body_bytes += piece.size();
    return on_body(piece);
  };
  const BodyHandler& sink = success ? deliver : keep_start;
  std::optional<Inflater> inflater;
  if (gzipped) inflater.emplace(options.max_response_bytes, sink);

  std::vector<char> piece(kReadPiece);
  while (!parser.is_done()) {
    parser.get().body().data = piece.data();
    parser.get().body().size = piece.size();
    beast::get_lowest_layer(*stream).expires_after(phase(deadline));
    co_await bhttp::async_read(*stream, buffer, parser,
                               net::redirect_error(net::use_awaitable, ec));
    if (ec == bhttp::error::need_buffer) ec = {};
    const std::size_t got = piece.size() - parser.get().body().size;
    if (got > 0) {
      const std::string_view bytes(piece.data(), got);
      auto handed = inflater ? inflater->write(bytes) : sink(bytes);
      if (!handed) co_return fail(handed.error().code, handed.error().message, false);
    }
    if (ec == bhttp::error::body_limit) co_return too_large(target);
    if (ec) {
      co_return fail(
          ErrorCode::kUnavailable,
          fmt::format("{}: the answer was cut short after {} bytes of its body: {}", target.where,
                      report.body_bytes,
                      ec == beast::error::timeout ? "no data came in time" : ec.message()));
    }
  }
  if (inflater) {
    if (auto finished = inflater->finish(); !finished) {
      co_return fail(ErrorCode::kCorrupt,
                     fmt::format("{}: {}", target.where, finished.error().message), false);
    }
  }
  if (parser.keep_alive()) connections[key] = std::move(stream);
  co_return response;
}

bool Client::Impl::wait(std::chrono::milliseconds delay, std::stop_token stop) {
  std::unique_lock lock(wait_mutex);
  clock->wait_until(wait_cv, lock, stop, clock->now() + delay, [] { return false; });
  return !stop.stop_requested();
}

Result<Response> Client::Impl::send(const Request& request, const BodyHandler& on_body,
                                    std::stop_token stop, SendReport& report) {
  auto target = target_of(request);
  if (!target) return tl::unexpected(target.error());
  const auto stopped = [&] {
    return make_error(ErrorCode::kUnavailable, "{}: stopped", target->where);
  };
  std::string last_problem;
  for (int attempt = 0;; ++attempt) {
    if (!limiter.acquire(stop)) return stopped();
    report.attempts = attempt + 1;
    std::optional<Attempt<Response>> outcome;
    {
      // A stop closes the socket of the attempt in progress; the attempt then fails at once.
      std::stop_callback on_stop(stop, [this] {
        net::post(io, [this] {
          error_code ignored;
          if (resolving != nullptr) resolving->cancel();
          if (connecting != nullptr) connecting->socket().close(ignored);
          if (current != nullptr) beast::get_lowest_layer(*current).socket().close(ignored);
        });
      });
      // Signed afresh for each attempt: a nonce is used once, a token may expire meanwhile.
      Request signed_request = request;
      signed_request.sign = nullptr;
      if (request.sign) {
        if (auto applied = request.sign(signed_request); !applied) {
          return tl::unexpected(applied.error());
        }
      }
      for (int fresh = 0; fresh < 2; ++fresh) {
        io.restart();
        outcome.reset();
        net::co_spawn(io, exchange(signed_request, *target, on_body, report),
                      [&outcome](std::exception_ptr thrown, Attempt<Response> result) {
                        if (thrown) {
                          outcome = fail(ErrorCode::kInternal, "the HTTP exchange threw", false);
                        } else {
                          outcome = std::move(result);
                        }
                      });
        io.run();
        if (!outcome)
          outcome = fail(ErrorCode::kInternal, "the HTTP exchange did not finish", false);
        // A kept-alive connection the server had closed: once more on a new one, not a retry.
        if (*outcome || !(*outcome).error().stale_connection || stop.stop_requested()) break;
      }
    }
    if (stop.stop_requested()) return stopped();
    std::optional<std::chrono::milliseconds> delay;
    if (!*outcome) {
      Failure& failure = (*outcome).error();
      if (!failure.retry || report.body_bytes > 0) {
        return tl::unexpected(Error{failure.code, std::move(failure.message)});
      }
      last_problem = std::move(failure.message);
    } else {
      Response& response = **outcome;
      const unsigned status = response.status;
      if (status != 429 && status < 500) return std::move(response);
      const auto retry_after = response.header("Retry-After");
      if ((status == 429 || status == 503) && retry_after) {
        delay = parse_retry_after(*retry_after, std::chrono::system_clock::now());
      }
      if (delay && *delay > options.max_retry_after) {
        return make_error(
            status == 429 ? ErrorCode::kRateLimited : ErrorCode::kUnavailable,
            "{}: the API answered HTTP {} and asks to wait {}s before trying again; the source "
            "tries again at its next run",
            target->where, status,
            std::chrono::duration_cast<std::chrono::seconds>(*delay).count());
      }
      if (attempt >= options.retries) {
        if (status == 429) {
          return make_error(ErrorCode::kRateLimited,
                            "{}: the API still answers HTTP 429 (too many requests) after {} "
                            "attempts; lower rate_limit of {}",
                            target->where, attempt + 1, options.setting);
        }
        if (status == 503) {
          return make_error(ErrorCode::kUnavailable,
                            "{}: the API is unavailable (HTTP 503) after {} attempts",
                            target->where, attempt + 1);
        }
        return std::move(response);  // another 5xx: the caller names it
      }
      last_problem = fmt::format("HTTP {}", status);
    }
    if (attempt >= options.retries) {
      return make_error(ErrorCode::kUnavailable, "{} (after {} attempts)", last_problem,
                        attempt + 1);
    }
    if (!wait(
            delay.value_or(backoff_delay(attempt + 1, options.first_backoff, options.max_backoff)),
            stop)) {
      return stopped();
    }
  }
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::create(ClientOptions options, const env::Clock& clock) {
  auto impl = std::make_unique<Impl>(std::move(options), clock);
  auto tls = std::make_unique<ssl::context>(ssl::context::tls_client);
  if (SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION) != 1) {
    return make_error(ErrorCode::kCrypto, "this OpenSSL cannot require TLS 1.2");
  }
  tls->set_verify_mode(ssl::verify_peer);
  error_code ec;
  if (auto trusted = use_system_trust(tls->native_handle()); !trusted && !impl->options.ca_file) {
    return make_error(ErrorCode::kConfig, "{}: install ca-certificates or set ca_file of {}",
                      trusted.error().message, impl->options.setting);
  }
  ERR_clear_error();
  if (impl->options.ca_file) {
    tls->load_verify_file(impl->options.ca_file->string(), ec);
    if (ec) {
      return make_error(ErrorCode::kConfig,
                        "ca_file {} of {}: cannot use it as trusted CA certificates ({}): it must "
                        "hold the API's CA certificate in PEM form",
                        impl->options.ca_file->string(), impl->options.setting, openssl_reason(ec));
    }
  }
  impl->tls = std::move(tls);
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Result<Response> Client::send(const Request& request, const BodyHandler& on_body,
                              std::stop_token stop, SendReport* report) {
  SendReport local;
  return impl_->send(request, on_body, stop, report != nullptr ? *report : local);
}

Result<Response> Client::fetch(const Request& request, std::stop_token stop) {
  std::string body;
  const BodyHandler collect = [&](std::string_view piece) -> Result<void> {
    body.append(piece);
    return {};
  };
  auto response = send(request, collect, stop);
  if (response && response->status >= 200 && response->status <= 299) {
    response->body = std::move(body);
  }
  return response;
}

std::uint64_t Client::connections_opened() const { return impl_->opened; }

}  // namespace ferry::http
