// The agent's TLS client configuration: TLS 1.3 only, the server verified against uplink.ca_file
// (or the system trust store), and the client certificate for mutual TLS when configured.
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "common/config/settings.hpp"
#include "common/error/error.hpp"

namespace ferry::uplink {

// Errors name the file and the fix ("uplink.ca_file /etc/ferry/ca.pem: no PEM certificate in it").
Result<std::unique_ptr<boost::asio::ssl::context>> make_tls_context(
    const config::UplinkSettings& settings);

}  // namespace ferry::uplink
