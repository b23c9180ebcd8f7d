// The system's trusted CA certificates, for a TLS client that was given no CA file of its own
// (the uplink without uplink.ca_file, an API source without ca_file). One file per system:
//  - Linux (system_trust_posix.cpp): OpenSSL's default paths, which Debian points at
//    /etc/ssl/certs (the ca-certificates package);
//  - Windows (system_trust_windows.cpp): the certificates of the machine's and the user's
//    "Trusted Root Certification Authorities" store (ROOT), read through CryptoAPI and added to
//    OpenSSL's store, so that a CA the school's IT deploys by group policy is trusted as Windows
//    trusts it. (OpenSSL's own default folder is empty on Windows.)
#pragma once

#include <openssl/ssl.h>

#include "common/error/error.hpp"

namespace ferry::http {

// Adds the system's trusted CAs to `context`'s store. Errors (kConfig) say what is missing; the
// message leaves the fix (install ca-certificates, or set the CA file) to the caller's words.
Result<void> use_system_trust(SSL_CTX* context);

}  // namespace ferry::http
