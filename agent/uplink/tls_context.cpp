#include "agent/uplink/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/crypto/bytes.hpp"
#include "common/fs/secret_file.hpp"
#include "common/http/system_trust.hpp"

namespace ferry::uplink {
namespace {

namespace ssl = boost::asio::ssl;

std::string openssl_reason(const boost::system::error_code& ec) {
  const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
  return reason != nullptr ? reason : ec.message();
}

}  // namespace

Result<std::unique_ptr<ssl::context>> make_tls_context(const config::UplinkSettings& settings,
                                                       const std::filesystem::path& data_dir) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  // TLS 1.3 and nothing older: an older server fails the handshake.
  if (SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION) != 1) {
    return make_error(ErrorCode::kCrypto, "this OpenSSL cannot require TLS 1.3");
  }
  context->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (settings.ca_file) {
    context->load_verify_file(settings.ca_file->string(), ec);
    if (ec) {
      return make_error(ErrorCode::kConfig,
                        "uplink.ca_file {}: cannot use it as trusted CA certificates ({}): it must "
                        "hold the tenant's CA certificate in PEM form",
                        settings.ca_file->string(), openssl_reason(ec));
    }
  } else {
    if (auto trusted = http::use_system_trust(native); !trusted) {
      return make_error(ErrorCode::kConfig, "{}: install ca-certificates or set uplink.ca_file",
                        trusted.error().message);
    }
  }
  if (settings.client_cert && settings.client_key) {
    context->use_certificate_chain_file(settings.client_cert->string(), ec);
    if (ec) {
      return make_error(ErrorCode::kConfig,
                        "uplink.client_cert {}: not a PEM certificate chain ({})",
                        settings.client_cert->string(), openssl_reason(ec));
    }
    // A secret: private, owned by the user running Ferry (or the service account), not a link;
    // or kept by root for the agent's group (root:ferry 0640), like uplink.token_file.
    auto key = fs::read_secret_file(*settings.client_key, 1024 * 1024, data_dir,
                                    fs::SecretSharing::kRootToOwnGroup);
    if (!key) {
      return make_error(key.error().code, "uplink.client_key: {}", key.error().message);
    }
    context->use_private_key(boost::asio::buffer(*key), ssl::context::pem, ec);
    crypto::secure_wipe(key->data(), key->size());
    if (ec) {
      return make_error(ErrorCode::kConfig,
                        "uplink.client_key {}: not a PEM private key without a passphrase ({})",
                        settings.client_key->string(), openssl_reason(ec));
    }
    if (SSL_CTX_check_private_key(native) != 1) {
      ERR_clear_error();
      return make_error(ErrorCode::kConfig,
                        "uplink.client_key {} does not belong to uplink.client_cert {}",
                        settings.client_key->string(), settings.client_cert->string());
    }
  }
  return context;
}

}  // namespace ferry::uplink
