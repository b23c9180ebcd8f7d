// Plain HTTP on 127.0.0.1 for tests of the agent's metrics endpoint, which takes no port 0.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ferry::test {

// A port on 127.0.0.1 that was free a moment ago; 0 when none could be had. The one port a test
// frees and expects to bind again, a race with anything else binding meanwhile: agent.metrics
// refuses port 0, so the agent cannot pick a port and report it, and the test must write one
// into the configuration.
std::uint16_t free_loopback_port();

// GET `path` from 127.0.0.1:`port` over a plain socket; the whole response ("" on failure).
std::string http_get(std::uint16_t port, std::string_view path);

}  // namespace ferry::test
