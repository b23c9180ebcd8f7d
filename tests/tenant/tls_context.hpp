// The server's TLS context: TLS 1.3 only (or 1.2 only, for the agent's refusal test), the server
// certificate chain and key from PEM files, and optionally client certificates required and
// verified against a CA (mutual TLS). Built once before the server starts; read-only afterwards.
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "common/error/error.hpp"
#include "tests/tenant/serve_options.hpp"

namespace ferry::tenant {

Result<std::unique_ptr<boost::asio::ssl::context>> make_server_tls(const ServeOptions& options);

}  // namespace ferry::tenant
