#include "tests/tenant/pki.hpp"

#include <memory>
#include <string_view>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace ferry::tenant::pki {
namespace {

// RAII owners: each deleter calls the matching OpenSSL *_free, so every early return releases.
template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept { Free(p); }
};

void free_general_names(GENERAL_NAMES* names) { GENERAL_NAMES_free(names); }

using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Extension = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BigNum = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using GeneralName = std::unique_ptr<GENERAL_NAME, Deleter<GENERAL_NAME, GENERAL_NAME_free>>;
using GeneralNames = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, free_general_names>>;
using Ia5String = std::unique_ptr<ASN1_IA5STRING, Deleter<ASN1_IA5STRING, ASN1_IA5STRING_free>>;
using OctetString =
    std::unique_ptr<ASN1_OCTET_STRING, Deleter<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>>;

// A kCrypto error "pki: <what> failed: <OpenSSL's reason>", emptying OpenSSL's error queue so a
// stale entry never shows up under a later failure.
tl::unexpected<Error> openssl_error(std::string_view what) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return make_error(ErrorCode::kCrypto, "pki: {} failed", what);
  char reason[256];
  ERR_error_string_n(code, reason, sizeof(reason));
  return make_error(ErrorCode::kCrypto, "pki: {} failed: {}", what, reason);
}

Result<PKey> generate_p256_key() {
  PKey key(EVP_EC_gen("P-256"));
  if (!key) return openssl_error("generating an EC P-256 key");
  return key;
}

// A certificate with version 3, a random positive 128-bit serial, the subject CN, the public key
// of `key` and the validity window; no issuer, extensions or signature yet.
Result<Cert> new_certificate(const std::string& common_name, EVP_PKEY* key, long not_before_s,
                             long not_after_s) {
  Cert cert(X509_new());
  if (!cert) return openssl_error("allocating a certificate");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) return openssl_error("setting version 3");

  BigNum serial(BN_new());
  // BN_RAND_TOP_ONE: the top bit is set, so the serial is never zero and always 128 bits long.
  if (!serial || BN_rand(serial.get(), 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return openssl_error("setting a random serial number");
  }

  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    return openssl_error("setting the subject common name");
  }

  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before_s) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after_s) == nullptr) {
    return openssl_error("setting the validity period");
  }
  if (X509_set_pubkey(cert.get(), key) != 1) return openssl_error("setting the public key");
  return cert;
}

// Adds one extension from OpenSSL's configuration syntax ("critical,CA:TRUE"). `ctx` names the
// subject and issuer certificates, which subjectKeyIdentifier and authorityKeyIdentifier read.
Result<void> add_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  Extension extension(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!extension || X509_add_ext(cert, extension.get(), -1) != 1) {
    return openssl_error(fmt::format("adding extension {} = {}", OBJ_nid2sn(nid), value));
  }
  return {};
}

// subjectAltName built as GENERAL_NAMES rather than from a config string, so a name holding a
// comma or a colon cannot turn into a second entry.
Result<void> add_subject_alt_names(X509* cert, const CertOptions& options) {
  if (options.dns_names.empty() && options.ip_addresses.empty()) return {};
  GeneralNames names(GENERAL_NAMES_new());
  if (!names) return openssl_error("allocating subjectAltName");

  for (const std::string& dns : options.dns_names) {
    if (dns.empty()) return make_error(ErrorCode::kInvalidArgument, "pki: empty DNS name in SAN");
    Ia5String text(ASN1_IA5STRING_new());
    GeneralName name(GENERAL_NAME_new());
    if (!text || !name ||
        ASN1_STRING_set(text.get(), dns.data(), static_cast<int>(dns.size())) != 1) {
      return openssl_error(fmt::format("encoding SAN DNS:{}", dns));
    }
    GENERAL_NAME_set0_value(name.get(), GEN_DNS, text.release());
    if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0) {
      return openssl_error("adding a SAN entry");
    }
    static_cast<void>(name.release());  // owned by `names` now
  }

  for (const std::string& ip : options.ip_addresses) {
    OctetString address(a2i_IPADDRESS(ip.c_str()));
    if (!address) {
      ERR_clear_error();
      return make_error(ErrorCode::kInvalidArgument,
                        "pki: SAN IP address '{}' is not an IPv4 or IPv6 address", ip);
    }
    GeneralName name(GENERAL_NAME_new());
    if (!name) return openssl_error("allocating a SAN entry");
    GENERAL_NAME_set0_value(name.get(), GEN_IPADD, address.release());
    if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0) {
      return openssl_error("adding a SAN entry");
    }
    static_cast<void>(name.release());
  }

  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return openssl_error("adding subjectAltName");
  }
  return {};
}

Result<void> sign(X509* cert, EVP_PKEY* issuer_key) {
  if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0) return openssl_error("signing (SHA-256)");
  return {};
}

Result<std::string> bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size < 0 || (size > 0 && data == nullptr)) return openssl_error("reading PEM output");
  return std::string(data, static_cast<std::size_t>(size));
}

Result<Issued> to_pem(X509* cert, EVP_PKEY* key) {
  Bio cert_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || PEM_write_bio_X509(cert_bio.get(), cert) != 1) {
    return openssl_error("writing the certificate as PEM");
  }
  Bio key_bio(BIO_new(BIO_s_mem()));
  // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY"); no cipher: unencrypted.
  if (!key_bio ||
      PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return openssl_error("writing the private key as PEM");
  }
  Issued issued;
  auto cert_pem = bio_text(cert_bio.get());
  if (!cert_pem) return tl::unexpected(cert_pem.error());
  auto key_pem = bio_text(key_bio.get());
  if (!key_pem) return tl::unexpected(key_pem.error());
  issued.cert_pem = std::move(*cert_pem);
  issued.key_pem = std::move(*key_pem);
  return issued;
}

Result<Cert> read_cert(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return openssl_error("allocating a memory BIO");
  Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument,
                      "pki: the CA certificate is not a PEM certificate");
  }
  return cert;
}

Result<PKey> read_key(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return openssl_error("allocating a memory BIO");
  PKey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument,
                      "pki: the CA key is not an unencrypted PEM private key");
  }
  return key;
}

Result<void> check_common_name(const std::string& common_name) {
  if (common_name.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "pki: the common name must not be empty");
  }
  // X.520 caps commonName at 64 characters; OpenSSL refuses longer ones with a vaguer message.
  if (common_name.size() > 64) {
    return make_error(ErrorCode::kInvalidArgument,
                      "pki: the common name is {} characters; at most 64 are allowed",
                      common_name.size());
  }
  return {};
}

}  // namespace

Result<Issued> make_ca(const std::string& common_name, long valid_s) {
  if (auto ok = check_common_name(common_name); !ok) return tl::unexpected(ok.error());
  if (valid_s <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "pki: CA validity must be positive, got {} s",
                      valid_s);
  }
  auto key = generate_p256_key();
  if (!key) return tl::unexpected(key.error());
  auto cert = new_certificate(common_name, key->get(), -3600, valid_s);
  if (!cert) return tl::unexpected(cert.error());
  X509* x = cert->get();
  if (X509_set_issuer_name(x, X509_get_subject_name(x)) != 1) {
    return openssl_error("setting the issuer name");
  }

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  // The subject key identifier goes first: the authority key identifier of a self-signed
  // certificate is read from it.
  for (const auto& [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                                   std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"},
                                   std::pair{NID_subject_key_identifier, "hash"},
                                   std::pair{NID_authority_key_identifier, "keyid:always"}}) {
    if (auto ok = add_extension(x, &ctx, nid, value); !ok) return tl::unexpected(ok.error());
  }
  if (auto ok = sign(x, key->get()); !ok) return tl::unexpected(ok.error());
  return to_pem(x, key->get());
}

Result<Issued> issue(const Issued& ca, const CertOptions& options) {
  if (auto ok = check_common_name(options.common_name); !ok) return tl::unexpected(ok.error());
  if (options.not_after_s <= options.not_before_s) {
    return make_error(ErrorCode::kInvalidArgument,
                      "pki: not_after_s ({}) must be later than not_before_s ({})",
                      options.not_after_s, options.not_before_s);
  }
  auto ca_cert = read_cert(ca.cert_pem);
  if (!ca_cert) return tl::unexpected(ca_cert.error());
  auto ca_key = read_key(ca.key_pem);
  if (!ca_key) return tl::unexpected(ca_key.error());
  if (X509_check_private_key(ca_cert->get(), ca_key->get()) != 1) {
    ERR_clear_error();
    return make_error(ErrorCode::kInvalidArgument,
                      "pki: the CA key does not belong to the CA certificate");
  }
  if (X509_check_ca(ca_cert->get()) == 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "pki: the issuing certificate is not a CA (basicConstraints CA:TRUE)");
  }

  auto key = generate_p256_key();
  if (!key) return tl::unexpected(key.error());
  auto cert =
      new_certificate(options.common_name, key->get(), options.not_before_s, options.not_after_s);
  if (!cert) return tl::unexpected(cert.error());
  X509* x = cert->get();
  if (X509_set_issuer_name(x, X509_get_subject_name(ca_cert->get())) != 1) {
    return openssl_error("setting the issuer name");
  }

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, ca_cert->get(), x, nullptr, nullptr, 0);
  const char* purpose = options.client ? "clientAuth" : "serverAuth";
  for (const auto& [nid, value] :
       {std::pair{NID_basic_constraints, "critical,CA:FALSE"},
        std::pair{NID_key_usage, "critical,digitalSignature"},
        std::pair{NID_ext_key_usage, purpose}, std::pair{NID_subject_key_identifier, "hash"},
        std::pair{NID_authority_key_identifier, "keyid:always"}}) {
    if (auto ok = add_extension(x, &ctx, nid, value); !ok) return tl::unexpected(ok.error());
  }
  if (auto ok = add_subject_alt_names(x, options); !ok) return tl::unexpected(ok.error());
  if (auto ok = sign(x, ca_key->get()); !ok) return tl::unexpected(ok.error());
  return to_pem(x, key->get());
}

}  // namespace ferry::tenant::pki
