#include "tests/tenant/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/fs/read_file.hpp"

namespace ferry::tenant {
namespace {

std::string openssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

}  // namespace

Result<std::unique_ptr<boost::asio::ssl::context>> make_server_tls(const ServeOptions& options) {
  namespace ssl = boost::asio::ssl;
  for (const auto& [path, option] :
       {std::pair{options.cert_file, "--cert"}, std::pair{options.key_file, "--key"}}) {
    if (auto readable = fs::check_readable(path); !readable) {
      return with_context(readable.error(), option);
    }
  }
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  const int version = options.tls12_only ? TLS1_2_VERSION : TLS1_3_VERSION;
  if (SSL_CTX_set_min_proto_version(native, version) != 1 ||
      SSL_CTX_set_max_proto_version(native, version) != 1) {
    return make_error(ErrorCode::kCrypto, "cannot restrict the TLS version: {}", openssl_reason());
  }
  boost::system::error_code ec;
  context->use_certificate_chain_file(options.cert_file.string(), ec);
  if (ec) {
    return make_error(ErrorCode::kConfig,
                      "--cert {}: not a PEM certificate chain ({}); 'ferry-tenant certs' makes "
                      "test certificates",
                      options.cert_file.string(), ec.message());
  }
  context->use_private_key_file(options.key_file.string(), ssl::context::pem, ec);
  if (ec) {
    return make_error(ErrorCode::kConfig, "--key {}: not a PEM private key ({})",
                      options.key_file.string(), ec.message());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return make_error(ErrorCode::kConfig,
                      "--key {} does not belong to the certificate in --cert {}: pass the key "
                      "made with that certificate",
                      options.key_file.string(), options.cert_file.string());
  }
  if (options.client_ca_file) {
    context->load_verify_file(options.client_ca_file->string(), ec);
    if (ec) {
      return make_error(ErrorCode::kConfig, "--client-ca {}: cannot load CA certificates ({})",
                        options.client_ca_file->string(), ec.message());
    }
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    if (ec) {
      return make_error(ErrorCode::kCrypto, "cannot require client certificates: {}", ec.message());
    }
  }
  return context;
}

}  // namespace ferry::tenant
