// A fault-injecting TCP relay for tests, on loopback only. It listens on 127.0.0.1 on a port the
// kernel picks and relays each accepted connection to 127.0.0.1:target_port, unless its mode says
// otherwise. A test points a client at port() instead of the server and then breaks the path on
// purpose: refuse, cut after N bytes with a reset, reset everything now, or go silent.
//
// A stable address for a server that is not up yet, or restarts on another port: TcpProxy()
// takes its port at once but does not listen, so a client's connect is refused (ECONNREFUSED,
// as when nothing listens there) and no other program can take the port meanwhile; forward_to()
// then starts listening and relays to the server. Tests never free a port and hope to bind it
// again (another test may take it in between): servers bind port 0, and a client that must be
// configured before its server runs is pointed at such a proxy.
//
// Modes (set_mode takes effect, for connections already open and for those accepted later, before
// it returns). A new connection gets the mode in force when the proxy thread accepts it, which can
// be after the client's connect has already succeeded (the kernel completes the handshake): a test
// that changes modes around a connect waits for connections_accepted() first.
//   kForward        relay both ways. A FIN from one side is passed on as a FIN (half-close); a
//                   reset or error on one side resets the other. If the target refuses, the client
//                   is reset. Open connections that were being cut lose their byte limit.
//   kRefuse         a new connection is accepted and closed at once (the client reads EOF) and
//                   the target is never contacted. Open, relaying connections are closed (FIN to
//                   both sides).
//   kCutAfterBytes  relay, but each connection passes at most `bytes` more bytes, counted over
//                   both directions together from the moment the mode applies to it (accept, or
//                   the set_mode call for open connections). Exactly that many bytes are
//                   delivered, then both sides are reset (RST, via SO_LINGER 0). With bytes = 0 a
//                   new connection is reset right after accept and open ones are reset now.
//   kBlackhole      stop relaying and stay silent: no data, no FIN, no RST, in either direction.
//                   The proxy stops reading, so what a side sends piles up in kernel buffers until
//                   its writes stall, as with a peer that vanished. A new connection is accepted
//                   (the TCP handshake succeeds) but the target is never contacted. A connection
//                   that has gone silent stays silent for good: switching back to kForward does
//                   not revive it; only cut_all() or the destructor ends it. New connections
//                   follow the new mode.
//
// Threading: the proxy runs its own thread with its own io_context; every public member may be
// called from any thread except that thread. set_mode and cut_all wait until the proxy thread has
// applied them. The counters are atomics, updated on the proxy thread; tests poll them with a
// deadline. Owns every socket it opens; the destructor closes them all (plainly, not with RST)
// and joins the thread. Construction and forward_to throw boost::system::system_error if the proxy
// cannot bind or listen.
#pragma once

#include <cstdint>
#include <memory>

namespace ferry::test {

class TcpProxy {
 public:
  enum class Mode { kForward, kRefuse, kCutAfterBytes, kBlackhole };

  // Listens now and relays to 127.0.0.1:target_port.
  explicit TcpProxy(std::uint16_t target_port);
  // Holds its port and refuses connections until forward_to().
  TcpProxy();
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  // The port the proxy listens on, at 127.0.0.1.
  std::uint16_t port() const;

  // Relays connections accepted from now on to 127.0.0.1:target_port (open ones keep theirs), and
  // starts listening if the proxy did not yet. Returns once the proxy thread has applied it.
  void forward_to(std::uint16_t target_port);

  // `bytes` is used by kCutAfterBytes only.
  void set_mode(Mode mode, std::uint64_t bytes = 0);

  // Resets (RST) every connection open now, silent ones included; later connections follow the
  // mode as usual.
  void cut_all();

  // Connections accepted so far, whatever the mode did with them. Counted when the proxy thread
  // accepts, which can be shortly after the client's connect has already succeeded.
  std::uint64_t connections_accepted() const;
  // Bytes handed to a receiving socket, both directions, all connections. Counted before the write
  // starts, so bytes a peer has received are always already counted.
  std::uint64_t bytes_forwarded() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::test
