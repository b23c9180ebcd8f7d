// An echo server for the proxy tests: listens on 127.0.0.1 on a port the kernel picks and writes
// back every byte it reads; a FIN from the client is answered with a FIN once the echo is written.
//
// Threading: runs its own thread with its own io_context; the accessors may be called from any
// thread. The destructor closes every connection and joins the thread. Construction throws
// boost::system::system_error if it cannot listen.
#pragma once

#include <cstdint>
#include <memory>

namespace ferry::test {

class EchoServer {
 public:
  EchoServer();
  ~EchoServer();
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  std::uint16_t port() const;
  std::uint64_t accepted() const;  // connections accepted so far
  std::uint64_t resets() const;    // connections that ended because the peer reset them

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::test
