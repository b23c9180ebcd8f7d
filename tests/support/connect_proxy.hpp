// An HTTP CONNECT proxy for tests (RFC 9110 section 9.3.6), on loopback only. It listens on
// 127.0.0.1 on a port the kernel picks. For `CONNECT host:port HTTP/1.1` it connects to the target
// and answers `HTTP/1.1 200 Connection established`, then relays bytes both ways until either side
// closes (a FIN is passed on as a half-close). Bytes the client sent after the request head, before
// reading the answer, are relayed too.
//
// Answers other than 200, each with `Content-Length: 0`:
//   400 the head does not parse, or the target is not host:port
//   403 the target is not loopback: only 127.0.0.0/8, ::1 and "localhost" (taken as 127.0.0.1)
//       are allowed; other names are refused without any DNS lookup
//   405 the method is not CONNECT
//   407 authentication is required and Proxy-Authorization is missing or wrong; carries
//       `Proxy-Authenticate: Basic realm="ferry-test"`. If the request allows keep-alive the
//       connection stays open for another request (as curl retries), else it is closed.
//   431 no blank line ends the head within 8 KiB
//   502 the target refused or could not be reached
// After 400, 403, 405, 431 and 502 the proxy closes the connection (`Connection: close`). A client
// that sends no complete head within 10 s is disconnected.
//
// Threading: the proxy runs its own thread with its own io_context; every public member may be
// called from any thread. Counters and the recorded head are updated before the answer is written,
// so a client that has read an answer sees them already. Owns every socket it opens; the destructor
// closes them all and joins the thread. Construction throws boost::system::system_error if it
// cannot listen.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace ferry::test {

class ConnectProxy {
 public:
  // required_auth "user:pass": every CONNECT must carry
  // `Proxy-Authorization: Basic base64(user:pass)` (the scheme name in any case). "": no auth.
  explicit ConnectProxy(std::string required_auth = "");
  ~ConnectProxy();
  ConnectProxy(const ConnectProxy&) = delete;
  ConnectProxy& operator=(const ConnectProxy&) = delete;

  // The port the proxy listens on, at 127.0.0.1.
  std::uint16_t port() const;

  std::uint64_t connects_ok() const;    // tunnels established (200 answers)
  std::uint64_t auth_failures() const;  // 407 answers
  // The last CONNECT request head received, byte for byte: request line and header fields,
  // through the blank line that ends them (answered 200 or not). "" before the first one.
  std::string last_request_head() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::test
