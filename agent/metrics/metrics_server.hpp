// The HTTP endpoint of agent.metrics: GET /metrics answers the Prometheus text that `render`
// returns. Loopback only (the config refuses other addresses): it has no authentication.
//
// Threads: one thread of its own serves every connection; `render` is called on it, one request
// at a time, so it must be safe to call from that thread. A connection that sends nothing, or
// too slowly, is closed after `timeout` and never holds up other scrapes; requests larger than a
// few KiB are refused. stop() (and the destructor) closes every connection and joins.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/error/error.hpp"

namespace ferry::metrics {

struct ServerLimits {
  // For each request to arrive whole and its answer to be written; also how long an idle
  // keep-alive connection stays open.
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
  // Connections open at once; more are closed as soon as they are accepted.
  std::size_t max_connections = 16;
};

// The Content-Type of the Prometheus text exposition format.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

class MetricsServer {
 public:
  // Listens on host:port ("127.0.0.1" or "::1"; port 0 picks a free port, see port()) and starts
  // serving. Fails, naming the address and agent.metrics, when the port is taken.
  static Result<std::unique_ptr<MetricsServer>> start(const std::string& host, std::uint16_t port,
                                                      std::function<std::string()> render,
                                                      ServerLimits limits = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  void stop();
  // The port listened on (the one the system chose when start() was given 0).
  std::uint16_t port() const;

 private:
  struct Impl;
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::metrics
