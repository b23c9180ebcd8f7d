// A small certificate authority for tests and the demo: a CA, and server or client certificates
// it signs, as PEM. Made with OpenSSL's API (no `openssl` command needed). For loopback tests and
// demos only: a real tenant uses certificates from its own PKI.
//
// Every certificate is X.509 v3, signed with ECDSA SHA-256, with a random 128-bit serial, a
// subjectKeyIdentifier and an authorityKeyIdentifier. Each call makes a fresh key; nothing is
// cached or shared, so the functions may be called from any thread. Errors are kInvalidArgument
// for bad input (the message names it) and kCrypto when OpenSSL refuses (with its reason).
#pragma once

#include <string>
#include <vector>

#include "common/error/error.hpp"

namespace ferry::tenant::pki {

struct Issued {
  std::string cert_pem;  // one certificate, "-----BEGIN CERTIFICATE-----"
  std::string key_pem;   // its EC P-256 key, PKCS#8 unencrypted, "-----BEGIN PRIVATE KEY-----"
};

struct CertOptions {
  std::string common_name = "localhost";
  std::vector<std::string> dns_names = {"localhost"};            // subjectAltName DNS entries
  std::vector<std::string> ip_addresses = {"127.0.0.1", "::1"};  // subjectAltName IP entries
  // Validity relative to now, in seconds: not_before = now + not_before_s, not_after = now +
  // not_after_s. An expired certificate: not_before_s = -2 days, not_after_s = -1 day.
  long not_before_s = -3600;
  long not_after_s = 365L * 24 * 3600;
  bool client = false;  // extendedKeyUsage clientAuth instead of serverAuth
};

// A self-signed CA certificate (basicConstraints critical CA:TRUE; keyUsage critical keyCertSign,
// cRLSign) with an EC P-256 key, valid from an hour ago until `valid_s` seconds from now.
Result<Issued> make_ca(const std::string& common_name, long valid_s = 10L * 365 * 24 * 3600);

// A leaf certificate signed by `ca`, with a fresh EC P-256 key: basicConstraints critical CA:FALSE,
// keyUsage critical digitalSignature, extendedKeyUsage serverAuth (clientAuth with
// options.client), subjectAltName from the options (left out when both lists are empty), issuer
// name and authority key id from `ca`. Fails if `ca` does not parse, its key does not match its
// certificate, or it is not a CA.
Result<Issued> issue(const Issued& ca, const CertOptions& options);

}  // namespace ferry::tenant::pki
