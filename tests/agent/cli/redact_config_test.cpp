#include "agent/cli/redact_config.hpp"

#include <catch2/catch.hpp>

namespace ferry::cli {
namespace {

using Catch::Matchers::Contains;

TEST_CASE("the support bundle's configuration keeps names and paths and redacts every secret") {
  const std::string yaml = R"(agent:
  id: school-042
  data_dir: /var/lib/ferry
uplink:
  url: wss://ingest.example.org/v1/agent
  token: tok-1111
  token_file: /etc/ferry/token
  tenant_public_key: "PUBLICKEYBASE64"
  proxy: http://ferry:proxy-2222@proxy.example.org:3128
sources:
  - name: lms_db
    type: sql
    connection: "Driver=PostgreSQL Unicode;Server=127.0.0.1;Uid=ferry;Pwd=db-3333;Port=5432"
    password: ${DB_PASSWORD}
  - name: sis_api
    auth:
      oauth2: {token_url: https://sis.example.org/oauth/token, client_id: abc, client_secret: cs-4444}
      basic: {user: ferry, Password: basic-5555, password_file: /etc/ferry/api_password}
    sftp: {host: sftp.example.org, passphrase: pp-6666, private_key_file: /etc/ferry/sftp_key}
)";
  auto redacted = redact_config(yaml);
  REQUIRE(redacted);
  INFO(*redacted);
  for (const char* secret : {"tok-1111", "proxy-2222", "db-3333", "${DB_PASSWORD}", "cs-4444",
                             "basic-5555", "pp-6666"}) {
    CHECK(redacted->find(secret) == std::string::npos);
  }
  for (const char* kept :
       {"school-042", "/var/lib/ferry", "wss://ingest.example.org/v1/agent", "/etc/ferry/token",
        "PUBLICKEYBASE64", "http://REDACTED@proxy.example.org:3128", "Uid=ferry;Pwd=REDACTED;",
        "Port=5432", "https://sis.example.org/oauth/token", "client_id: abc",
        "/etc/ferry/api_password", "/etc/ferry/sftp_key", "sftp.example.org"}) {
    CHECK_THAT(*redacted, Contains(kept));
  }
}

TEST_CASE("a configuration that is not YAML is named as such") {
  auto redacted = redact_config("agent: [unclosed\n");
  REQUIRE_FALSE(redacted);
  CHECK_THAT(redacted.error().message, Contains("not YAML"));
}

}  // namespace
}  // namespace ferry::cli
