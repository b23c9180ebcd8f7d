// The system's trusted CAs on Linux (system_trust.hpp): OpenSSL's default paths.
#include "common/http/system_trust.hpp"

#include <openssl/err.h>

namespace ferry::http {

Result<void> use_system_trust(SSL_CTX* context) {
  if (SSL_CTX_set_default_verify_paths(context) != 1) {
    const unsigned long error = ERR_get_error();
    char reason[256] = {};
    ERR_error_string_n(error, reason, sizeof reason);
    ERR_clear_error();
    return make_error(ErrorCode::kConfig, "cannot load the system trust store ({})", reason);
  }
  return {};
}

}  // namespace ferry::http
