// The uplink checks of `ferry check`, one line each, in the order the agent connects: the name
// resolves (the proxy's, when one is configured), TCP connects, the proxy opens a tunnel, TLS 1.3
// with a certificate that is trusted, issued for the host and not expired (with the days left),
// and the tenant accepts the token (the WebSocket upgrade, then hello and welcome). A step that
// fails makes the later ones "skipped". Nothing is sent but the hello: no batch, no spool access;
// the connection is closed cleanly at the end.
#pragma once

#include "agent/cli/check_report.hpp"
#include "common/config/settings.hpp"

namespace ferry::cli {

// With uplink.enabled false, one SKIP line says so.
void check_uplink(const config::Settings& settings, CheckReport& report);

}  // namespace ferry::cli
