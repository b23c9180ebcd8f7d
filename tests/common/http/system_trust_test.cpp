// The system's trusted CAs load into a TLS context: on Linux from ca-certificates' folder, on
// Windows from the ROOT certificate store (under Wine: the host's CAs, which Wine's store holds).
#include "common/http/system_trust.hpp"

#include <memory>

#include <catch2/catch.hpp>

namespace ferry::http {
namespace {

TEST_CASE("the system's trusted CA certificates load into a TLS context") {
  const std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_client_method()),
                                                                  &SSL_CTX_free);
  REQUIRE(context);
  auto trusted = use_system_trust(context.get());
  INFO((trusted ? std::string() : trusted.error().message));
  CHECK(trusted);
}

}  // namespace
}  // namespace ferry::http
