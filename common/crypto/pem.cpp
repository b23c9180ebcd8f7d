#include "common/crypto/pem.hpp"

#include <memory>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace ferry::crypto {

Result<std::size_t> count_pem_certificates(std::string_view pem) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  std::size_t blocks = 0;
  for (auto at = pem.find(kBegin); at != std::string_view::npos; at = pem.find(kBegin, at + 1)) {
    ++blocks;
  }
  if (blocks == 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "holds no PEM certificate (no \"{}\" line): give the CA certificate(s) in "
                      "PEM form, e.g. the tenant's ca.pem",
                      kBegin);
  }
  const std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return make_error(ErrorCode::kInternal, "cannot read certificates: out of memory");
  std::size_t parsed = 0;
  for (;;) {
    X509* certificate = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (certificate == nullptr) break;
    X509_free(certificate);
    ++parsed;
  }
  ERR_clear_error();  // the end of the input reads as an error
  if (parsed < blocks) {
    return make_error(ErrorCode::kInvalidArgument,
                      "certificate {} of {} is not a valid PEM certificate (damaged, or cut off)",
                      parsed + 1, blocks);
  }
  return parsed;
}

}  // namespace ferry::crypto
