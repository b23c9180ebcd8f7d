// The one HTTP client of the API sources (OneRoster REST, Ed-Fi, Canvas): HTTPS with the server
// certificate and host name always verified, TLS 1.2 or newer (many school APIs have no 1.3),
// the system trust store plus an optional ca_file, a per-source HTTP CONNECT proxy, keep-alive,
// gzip answers, a deadline per phase and per request, a cap on the answer's size, a request-rate
// limit, and retries: 429 and 503 honour Retry-After, other 5xx and network failures back off
// exponentially with jitter. The body of a successful answer is handed over as it arrives, so a
// caller that parses it as a stream reads a page of any size in bounded memory.
//
// The uplink keeps its own rules (TLS 1.3 only, a WebSocket); what both need (the CONNECT tunnel,
// the certificate identity) is in tunnel.hpp.
//
// Threads: a Client is used by one thread at a time (a source's worker); each call runs its own
// I/O on the calling thread. Stopping: a requested stop token ends the call at once with
// kUnavailable. Messages name the request's method, scheme, host and path (never its query, its
// headers or its body: they may hold credentials) and the setting the client was made for.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/verb.hpp>

#include "common/config/url.hpp"
#include "common/env/clock.hpp"
#include "common/error/error.hpp"

namespace ferry::http {

struct ClientOptions {
  std::string setting;  // what messages name as the configuration's place: "source 'sis_api'"
  std::optional<std::filesystem::path> ca_file;        // trusted besides the system trust store
  std::optional<config::Url> proxy;                    // http://[user:pass@]host:port
  std::chrono::milliseconds timeout{30'000};           // each phase: connect, TLS, head, each read
  std::chrono::milliseconds request_timeout{600'000};  // one attempt of a request, whole
  std::uint64_t max_response_bytes = 256ULL * 1024 * 1024;  // received, and after gunzip
  double rate_limit = 0;                         // requests a second (each attempt counts); 0: none
  int retries = 5;                               // attempts after the first
  std::chrono::milliseconds first_backoff{500};  // doubled each retry, with jitter, up to:
  std::chrono::milliseconds max_backoff{30'000};
  // A Retry-After longer than this is not waited for within the run: the request fails
  // (kRateLimited) and the source tries again at its next run.
  std::chrono::milliseconds max_retry_after{120'000};
};

using Header = std::pair<std::string, std::string>;

struct Request;

// Adds credentials to a copy of the request before each attempt (a fresh OAuth 1 nonce and
// timestamp, an OAuth 2 token that may have expired during the retries). An error ends send().
using Signer = std::function<Result<void>(Request& attempt)>;

struct Request {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string url;  // absolute: https://host[:port]/path?query
  std::vector<Header> headers;
  std::string body;  // sent with Content-Length when not empty (set Content-Type in headers)
  Signer sign;       // optional
};

struct Response {
  unsigned status = 0;
  std::vector<Header> headers;  // as received
  // fetch(): the whole body. send(): empty for a 2xx answer (the handler had it); for any other
  // status the first 64 KiB, for the caller's message (never log it whole: it may echo input).
  std::string body;

  // The first header field of that name (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const;
};

// Receives the body of a 2xx answer piece by piece, decompressed. An error stops the request and
// is returned by send() unchanged.
using BodyHandler = std::function<Result<void>(std::string_view piece)>;

// What became of one send(), for callers that resume a body cut short.
struct SendReport {
  int attempts = 0;
  std::uint64_t body_bytes = 0;  // handed to the BodyHandler (decompressed)
};

// "GET https://host:port/path": a request as messages name it (no query).
std::string describe_request(boost::beast::http::verb method, std::string_view url);

class Client {
 public:
  // Fails (kConfig) when ca_file cannot be used or the system trust store cannot be loaded.
  static Result<std::unique_ptr<Client>> create(ClientOptions options,
                                                const env::Clock& clock = env::system_clock());
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `request` and, for a 2xx answer, hands its body to `on_body`. Retries as the header
  // says, but never once a byte of the body was handed over: a body cut short is an error
  // (kUnavailable) and report->body_bytes tells how far it came. Another final status (4xx,
  // or 5xx on the last attempt) is returned as a Response, not an error, except 429 (and 503)
  // after the retries or with a Retry-After beyond max_retry_after: kRateLimited (kUnavailable).
  // Network failures after the retries: kUnavailable; a server certificate not accepted: kConfig
  // (someone must fix the trust, retrying cannot); an answer over max_response_bytes or a gzip
  // body that does not inflate: kCorrupt.
  Result<Response> send(const Request& request, const BodyHandler& on_body, std::stop_token stop,
                        SendReport* report = nullptr);

  // send() with the whole body of a 2xx answer collected in Response::body.
  Result<Response> fetch(const Request& request, std::stop_token stop);

  // TCP connections opened so far (keep-alive reuses one per host).
  std::uint64_t connections_opened() const;

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::http
