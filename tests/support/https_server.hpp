// An HTTP/1.1 server for tests, standing in for a school API vendor's server (OneRoster REST,
// Ed-Fi, Canvas) in tests of our HTTP client and of API connectors. Loopback only: it listens on
// 127.0.0.1 on a port the kernel picks. TLS by default (TLS 1.2 or 1.3, or 1.2 only), with a
// certificate for localhost, 127.0.0.1 and ::1 signed by a test CA made for this server alone
// (tests/tenant/pki.hpp); a client trusts ca_pem() and nothing else. Plain HTTP with tls = false.
//
// Each request is handed to the handler, which returns the answer: status, fields, body, and how
// to send it (gzip, chunked) or how to fail (a fault). The server writes framing itself:
// Content-Length (or Transfer-Encoding: chunked), Content-Encoding: gzip, Connection: close; the
// handler's own fields of those names are dropped, except that `Connection: close` from the
// handler counts as reply.close. Other fields are written as given, in order. No Date or Server
// field, so answers are byte for byte the same run after run. Answers to HEAD carry no body;
// answers with status 1xx, 204 or 304 carry neither body nor Content-Length.
//
// Connections are kept alive as HTTP/1.1 allows (pipelined requests are answered in order) until
// the client closes, the request asks to close (`Connection: close`, or HTTP/1.0 without
// keep-alive), the reply says close, or a fault ends it. When the server closes after an answer it
// sends TLS close_notify (with TLS), then a TCP FIN, and reads and drops what the client still
// sends for up to 5 s, so that an RST cannot destroy the answer in flight.
//
// Limits, answered without calling the handler and then closed (`Connection: close`), counted by
// refused(), not by requests():
//   400 the request does not parse as HTTP/1.1
//   413 the body is over 1 MiB (Content-Length, or the chunks so far)
//   431 the request line and fields are over 16 KiB
// A client silent for 10 s (TLS handshake, a request, or between requests) is disconnected without
// an answer; so is one that does not read an answer within 10 s. `Expect: 100-continue` is
// answered with 100 Continue before the body is read.
//
// Threading: the server runs its own thread with its own io_context; every public member may be
// called from any thread, from inside the handler too. The handler runs on the server thread, one
// request at a time, and every connection waits while it runs: it must return promptly (to delay
// a body, return Fault::kSlow or kStall; never sleep). What it captures by reference must outlive
// the server. A handler that throws is answered 500 with the exception's message as the body and
// `Connection: close`; no exception leaves the server thread. Counters and the record of
// exchanges are updated before the answer is written, so a client that has read an answer (or
// seen the connection close on a fault) sees them already.
//
// Ownership: the server owns every socket it opens; the destructor closes them all (stalled ones
// too) and joins its thread. Construction throws boost::system::system_error if it cannot listen,
// std::runtime_error if it cannot make its certificates.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ferry::test {

// What a handler sees of one request.
struct HttpExchange {
  std::string method{};  // "GET", "POST", as sent
  std::string target{};  // "/ims/oneroster/v1p1/users?limit=10&offset=0", as sent
  std::string path{};    // the target up to '?', not decoded: "/ims/oneroster/v1p1/users"
  // The query, decoded: percent escapes and '+' as a space, in names and values. A parameter
  // without '=' has the value "". A name given twice keeps its last value.
  std::map<std::string, std::string> query{};
  // Field names lower-cased; a field sent more than once has its values joined by ", ".
  std::map<std::string, std::string> headers{};
  std::string body{};            // de-chunked when the client sent it chunked
  std::uint64_t connection = 0;  // 1-based number of the TCP connection it came on
  std::uint64_t number = 0;      // 1-based number of this request since the server started
};

// What the handler answers.
struct HttpReply {
  unsigned status = 200;  // the reason phrase is the standard one ("Unknown" for others)
  // Written in order, e.g. {"Content-Type", "application/json"}, {"Retry-After", "1"}.
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
  bool gzip = false;     // gzip the body (zlib, deterministic) and send Content-Encoding: gzip
  bool chunked = false;  // Transfer-Encoding: chunked instead of Content-Length
  std::size_t chunk_size = 4096;  // with chunked: the largest chunk (0 counts as 1)

  enum class Fault {
    kNone,
    kClose,     // close the connection without answering (FIN; close_notify first with TLS)
    kTruncate,  // send the head with the full framing, then the first half of the body bytes
                // as sent (after gzip and chunk framing), then close
    kStall,     // send the head and nothing more; the socket stays open, unread and without a
                // deadline, until release_stalls() or the server is destroyed
    kSlow,      // send the head, then the body bytes as sent in pieces of slow_piece bytes with
                // slow_delay between them (a timer: other connections are served meanwhile)
  };
  Fault fault = Fault::kNone;
  std::size_t slow_piece = 1024;  // 0 counts as 1
  std::chrono::milliseconds slow_delay{0};
  bool close = false;  // answer with Connection: close and close afterwards
};

struct HttpsServerOptions {
  bool tls = true;          // false: plain HTTP
  bool tls12_only = false;  // with tls: TLS 1.2 at most (a school API without TLS 1.3)
};

class HttpsServer {
 public:
  // Called on the server thread for each request that parsed and is within the limits.
  using Handler = std::function<HttpReply(const HttpExchange&)>;

  // Makes the test CA and the server certificate, listens, and starts the server thread. An empty
  // handler answers 500.
  explicit HttpsServer(Handler handler, HttpsServerOptions options = {});
  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  // The port the server listens on, at 127.0.0.1.
  std::uint16_t port() const;
  // "https://127.0.0.1:PORT", or "http://127.0.0.1:PORT" without TLS; no trailing slash.
  std::string base_url() const;
  // The PEM certificate of the test CA that signed the server certificate (subjectAltName DNS
  // localhost, IP 127.0.0.1 and ::1). "" without TLS. Fixed for the server's lifetime.
  const std::string& ca_pem() const;
  // Writes ca_pem() to `file` (replacing it), mode 0644. Throws std::runtime_error on failure.
  void write_ca_file(const std::filesystem::path& file) const;

  // Replaces the handler for requests read from now on.
  void set_handler(Handler handler);

  std::uint64_t connections() const;  // TCP connections accepted (before any TLS handshake)
  std::uint64_t requests() const;     // requests handed to the handler (answered or faulted)
  std::uint64_t refused() const;      // requests answered 400, 413 or 431 (not in requests())
  // Every request handed to the handler so far, in order of number (a copy).
  std::vector<HttpExchange> exchanges() const;

  // Closes every connection stalled by Fault::kStall so far (the client reads EOF, or a TLS
  // stream truncated). Returns once done.
  void release_stalls();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::test
