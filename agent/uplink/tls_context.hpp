// The agent's TLS client configuration: TLS 1.3 only, the server verified against uplink.ca_file
// (or the system trust store), and the client certificate for mutual TLS when configured.
#pragma once

#include <filesystem>
#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "common/config/settings.hpp"
#include "common/error/error.hpp"

namespace ferry::uplink {

// Errors name the file and the fix ("uplink.ca_file /etc/ferry/ca.pem: no PEM certificate in it").
// The client key is read as a secret (fs::read_secret_file): root also trusts the owner of
// `data_dir` with it.
Result<std::unique_ptr<boost::asio::ssl::context>> make_tls_context(
    const config::UplinkSettings& settings, const std::filesystem::path& data_dir);

}  // namespace ferry::uplink
