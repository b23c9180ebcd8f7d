// The configuration an API-source test loads, its catalog, and what loading it says.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/config/load.hpp"
#include "tests/common/config/test_catalog.hpp"
#include "tests/support/env_var.hpp"

namespace ferry::config::test::api_yaml {

using Lines = std::vector<std::string>;

// The test catalog and one API source type with an option of its own. Kept here rather than in
// test_catalog(): other tests' messages list that catalog's types.
inline Catalog api_catalog() {
  Catalog catalog = ferry::config::test::test_catalog();
  catalog.source_types.push_back(SourceTypeSpec{
      .type = "oneroster_rest",
      .description = "OneRoster 1.1 REST API",
      .options = {OptionSpec{"page_size", OptionKind::kInteger, false, "rows a page"}},
      .stream_options = {OptionSpec{"paths", OptionKind::kStringMap, false, "column: pointer"}},
      .presets = {"oneroster"},
      .api_source = true});
  return catalog;
}

inline tl::expected<Settings, ferry::config::Diagnostics> load(std::string_view yaml,
                                                               LoadOptions options = {}) {
  return load_config_text(yaml, "ferry.yaml", api_catalog(), options);
}

// "ferry.yaml:LINE:COL: message" for each diagnostic, or {} when the text loads.
inline Lines diagnostics(std::string_view yaml, LoadOptions options = {}) {
  auto loaded = load(yaml, options);
  Lines lines;
  if (loaded) return lines;
  for (const auto& diagnostic : loaded.error()) lines.push_back(diagnostic.to_string());
  return lines;
}

// Lines 1-3 are a valid offline agent; the source starts on line 4, `rest` on line 6.
inline std::string with_api(std::string_view rest) {
  return "agent: {id: a, tenant: t, data_dir: /d}\nuplink: {enabled: false, tenant_public_key: "
         "\"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\nsources:\n"
         "  - name: sis_api\n"
         "    type: oneroster_rest\n" +
         std::string(rest);
}

constexpr std::string_view kUrl = "    url: https://sis.example.org/ims/oneroster/v1p1\n";
constexpr std::string_view kBearer = "    auth: {bearer: t0ken}\n";

// `url` and `auth` valid, then `rest` from line 8.
inline std::string valid_with(std::string_view rest) {
  return with_api(std::string(kUrl) + std::string(kBearer) + std::string(rest));
}

// A self-signed certificate in PEM, for a ca_file that holds one.
inline std::string self_signed_pem() {
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"),
                                                                &EVP_PKEY_free);
  REQUIRE(key);
  const std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  REQUIRE(cert);
  REQUIRE(X509_set_version(cert.get(), 2) == 1);
  REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1);
  REQUIRE(X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) != nullptr);
  REQUIRE(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600) != nullptr);
  REQUIRE(X509_set_pubkey(cert.get(), key.get()) == 1);
  X509_NAME* name = X509_get_subject_name(cert.get());
  REQUIRE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>("test CA"), -1, -1,
                                     0) == 1);
  REQUIRE(X509_set_issuer_name(cert.get(), name) == 1);
  REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
  const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  REQUIRE(PEM_write_bio_X509(bio.get(), cert.get()) == 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// Sets an environment variable for the life of the object.
using ferry::test::ScopedEnv;

}  // namespace ferry::config::test::api_yaml
