#include "tests/tenant/pki.hpp"

#include <memory>
#include <string>

#include <catch2/catch.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace ferry::tenant::pki {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept { Free(p); }
};
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Store = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtx = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;

Cert parse_cert(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  REQUIRE(bio);
  Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(cert);
  return cert;
}

PKey parse_key(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  REQUIRE(bio);
  PKey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(key);
  return key;
}

Issued make_test_ca(const std::string& name = "Ferry Test CA") {
  auto ca = make_ca(name);
  INFO((ca ? "" : ca.error().message));
  REQUIRE(ca);
  return *ca;
}

Issued issue_ok(const Issued& ca, const CertOptions& options = {}) {
  auto leaf = issue(ca, options);
  INFO((leaf ? "" : leaf.error().message));
  REQUIRE(leaf);
  return *leaf;
}

// X509_V_OK, or why `leaf` does not verify against `ca` for `purpose` at the current time.
int verify(const Issued& leaf, const Issued& ca, int purpose = X509_PURPOSE_SSL_SERVER) {
  const Cert leaf_cert = parse_cert(leaf.cert_pem);
  const Cert ca_cert = parse_cert(ca.cert_pem);
  Store store(X509_STORE_new());
  REQUIRE(store);
  REQUIRE(X509_STORE_add_cert(store.get(), ca_cert.get()) == 1);
  StoreCtx ctx(X509_STORE_CTX_new());
  REQUIRE(ctx);
  REQUIRE(X509_STORE_CTX_init(ctx.get(), store.get(), leaf_cert.get(), nullptr) == 1);
  REQUIRE(X509_STORE_CTX_set_purpose(ctx.get(), purpose) == 1);
  const int ok = X509_verify_cert(ctx.get());
  const int error = X509_STORE_CTX_get_error(ctx.get());
  ERR_clear_error();
  if (ok == 1) return X509_V_OK;
  INFO(X509_verify_cert_error_string(error));
  CHECK(error != X509_V_OK);
  return error;
}

TEST_CASE("pki: a leaf verifies against the CA that issued it and not against another") {
  const Issued ca = make_test_ca();
  const Issued other = make_test_ca("Other CA");
  const Issued leaf = issue_ok(ca);
  CHECK(verify(leaf, ca) == X509_V_OK);
  CHECK(verify(leaf, other) == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST_CASE("pki: the CA is a CA and the leaf is not") {
  const Issued ca = make_test_ca();
  const Cert ca_cert = parse_cert(ca.cert_pem);
  CHECK(X509_check_ca(ca_cert.get()) != 0);
  CHECK((X509_get_key_usage(ca_cert.get()) & KU_KEY_CERT_SIGN) != 0);
  CHECK(X509_get_version(ca_cert.get()) == X509_VERSION_3);
  CHECK(X509_check_issued(ca_cert.get(), ca_cert.get()) == X509_V_OK);  // self-signed

  const Cert leaf_cert = parse_cert(issue_ok(ca).cert_pem);
  CHECK(X509_check_ca(leaf_cert.get()) == 0);
  CHECK((X509_get_key_usage(leaf_cert.get()) & KU_DIGITAL_SIGNATURE) != 0);
  CHECK((X509_get_key_usage(leaf_cert.get()) & KU_KEY_CERT_SIGN) == 0);
  CHECK(X509_get_version(leaf_cert.get()) == X509_VERSION_3);
  CHECK(X509_check_issued(ca_cert.get(), leaf_cert.get()) == X509_V_OK);
  // Both key identifiers are present, and the leaf's authority key id is the CA's key id.
  const ASN1_OCTET_STRING* ca_key_id = X509_get0_subject_key_id(ca_cert.get());
  const ASN1_OCTET_STRING* authority_key_id = X509_get0_authority_key_id(leaf_cert.get());
  REQUIRE(ca_key_id != nullptr);
  REQUIRE(authority_key_id != nullptr);
  REQUIRE(X509_get0_subject_key_id(leaf_cert.get()) != nullptr);
  CHECK(ASN1_OCTET_STRING_cmp(ca_key_id, authority_key_id) == 0);
}

TEST_CASE("pki: subjectAltName carries the DNS names and IP addresses asked for") {
  const Issued ca = make_test_ca();
  const Cert defaults = parse_cert(issue_ok(ca).cert_pem);
  CHECK(X509_check_host(defaults.get(), "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_check_ip_asc(defaults.get(), "127.0.0.1", 0) == 1);
  CHECK(X509_check_ip_asc(defaults.get(), "::1", 0) == 1);
  CHECK(X509_check_ip_asc(defaults.get(), "127.0.0.2", 0) == 0);

  CertOptions options;
  options.common_name = "tenant";
  options.dns_names = {"tenant.test", "*.school.test"};
  options.ip_addresses = {"10.1.2.3"};
  const Cert custom = parse_cert(issue_ok(ca, options).cert_pem);
  CHECK(X509_check_host(custom.get(), "tenant.test", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(custom.get(), "a.school.test", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(custom.get(), "localhost", 0, 0, nullptr) == 0);
  CHECK(X509_check_ip_asc(custom.get(), "10.1.2.3", 0) == 1);
  CHECK(X509_check_ip_asc(custom.get(), "127.0.0.1", 0) == 0);
}

TEST_CASE("pki: an expired certificate fails verification as expired") {
  const Issued ca = make_test_ca();
  CertOptions options;
  options.not_before_s = -2L * 24 * 3600;
  options.not_after_s = -1L * 24 * 3600;
  CHECK(verify(issue_ok(ca, options), ca) == X509_V_ERR_CERT_HAS_EXPIRED);

  CertOptions future;
  future.not_before_s = 24L * 3600;
  future.not_after_s = 2L * 24 * 3600;
  CHECK(verify(issue_ok(ca, future), ca) == X509_V_ERR_CERT_NOT_YET_VALID);
}

TEST_CASE("pki: the client flag gives clientAuth instead of serverAuth") {
  const Issued ca = make_test_ca();
  CertOptions options;
  options.client = true;
  options.common_name = "agent-1";
  const Issued client = issue_ok(ca, options);
  const Cert client_cert = parse_cert(client.cert_pem);
  CHECK((X509_get_extended_key_usage(client_cert.get()) & XKU_SSL_CLIENT) != 0);
  CHECK((X509_get_extended_key_usage(client_cert.get()) & XKU_SSL_SERVER) == 0);
  CHECK(verify(client, ca, X509_PURPOSE_SSL_CLIENT) == X509_V_OK);
  CHECK(verify(client, ca, X509_PURPOSE_SSL_SERVER) == X509_V_ERR_INVALID_PURPOSE);

  const Issued server = issue_ok(ca);
  const Cert server_cert = parse_cert(server.cert_pem);
  CHECK((X509_get_extended_key_usage(server_cert.get()) & XKU_SSL_SERVER) != 0);
  CHECK(verify(server, ca, X509_PURPOSE_SSL_CLIENT) == X509_V_ERR_INVALID_PURPOSE);
}

TEST_CASE("pki: keys are unencrypted PKCS#8 P-256 and match their certificates") {
  const Issued ca = make_test_ca();
  const Issued leaf = issue_ok(ca);
  for (const Issued* issued : {&ca, &leaf}) {
    CHECK(issued->key_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    CHECK(issued->cert_pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
    const PKey key = parse_key(issued->key_pem);
    CHECK(EVP_PKEY_is_a(key.get(), "EC") == 1);
    char group[32] = {};
    std::size_t group_size = 0;
    REQUIRE(EVP_PKEY_get_group_name(key.get(), group, sizeof(group), &group_size) == 1);
    CHECK(std::string(group) == "prime256v1");
    CHECK(X509_check_private_key(parse_cert(issued->cert_pem).get(), key.get()) == 1);
  }
}

TEST_CASE("pki: serial numbers are random and 128 bits") {
  const Issued ca = make_test_ca();
  const Cert a = parse_cert(issue_ok(ca).cert_pem);
  const Cert b = parse_cert(issue_ok(ca).cert_pem);
  CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(a.get()), X509_get0_serialNumber(b.get())) != 0);
  using BigNum = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
  const BigNum serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(a.get()), nullptr));
  REQUIRE(serial);
  CHECK(BN_num_bits(serial.get()) == 128);
  CHECK(BN_is_negative(serial.get()) == 0);
}

TEST_CASE("pki: bad input is an error with a reason, not a crash") {
  const Issued ca = make_test_ca();
  const Issued other = make_test_ca("Other CA");

  Issued not_pem{"garbage", ca.key_pem};
  auto result = issue(not_pem, {});
  REQUIRE_FALSE(result);
  CHECK(result.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(result.error().message, Catch::Contains("CA certificate"));

  Issued mismatched{ca.cert_pem, other.key_pem};
  result = issue(mismatched, {});
  REQUIRE_FALSE(result);
  CHECK_THAT(result.error().message, Catch::Contains("does not belong"));

  const Issued leaf = issue_ok(ca);
  result = issue(leaf, {});
  REQUIRE_FALSE(result);
  CHECK_THAT(result.error().message, Catch::Contains("not a CA"));

  CertOptions bad_ip;
  bad_ip.ip_addresses = {"not-an-ip"};
  result = issue(ca, bad_ip);
  REQUIRE_FALSE(result);
  CHECK_THAT(result.error().message, Catch::Contains("not-an-ip"));

  CertOptions backwards;
  backwards.not_before_s = 10;
  backwards.not_after_s = 5;
  CHECK_FALSE(issue(ca, backwards));
  CHECK_FALSE(make_ca(""));
}

}  // namespace
}  // namespace ferry::tenant::pki
