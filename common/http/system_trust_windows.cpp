// The system's trusted CAs on Windows (system_trust.hpp): every certificate of the ROOT store
// (the machine's and the current user's, as CertOpenSystemStoreW gives them), parsed by OpenSSL
// and added to the context's store. A certificate OpenSSL cannot parse is left out; none at all
// is an error.
#include <windows.h>
// After windows.h:
#include <openssl/x509.h>
#include <wincrypt.h>

#include "common/http/system_trust.hpp"

namespace ferry::http {

Result<void> use_system_trust(SSL_CTX* context) {
  HCERTSTORE store = ::CertOpenSystemStoreW(0, L"ROOT");
  if (store == nullptr) {
    return make_error(ErrorCode::kConfig,
                      "cannot open Windows' trusted root certificate store (error {})",
                      ::GetLastError());
  }
  X509_STORE* trusted = SSL_CTX_get_cert_store(context);
  int added = 0;
  const CERT_CONTEXT* certificate = nullptr;
  while ((certificate = ::CertEnumCertificatesInStore(store, certificate)) != nullptr) {
    const unsigned char* der = certificate->pbCertEncoded;
    X509* parsed = d2i_X509(nullptr, &der, static_cast<long>(certificate->cbCertEncoded));
    if (parsed == nullptr) continue;
    if (X509_STORE_add_cert(trusted, parsed) == 1) ++added;
    X509_free(parsed);
  }
  ::CertCloseStore(store, 0);
  if (added == 0) {
    return make_error(ErrorCode::kConfig,
                      "Windows' trusted root certificate store holds no certificate OpenSSL can "
                      "use");
  }
  return {};
}

}  // namespace ferry::http
