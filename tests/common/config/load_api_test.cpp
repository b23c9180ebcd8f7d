// The HTTP side of an API source (url, ca_file, proxy, auth, limits): decoded into ApiSettings,
// its secrets read from their files or the environment at load time and never echoed, and each
// mistake reported at its place with the fix.
#include <cstdlib>
#include <memory>

#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include "common/config/load.hpp"
#include "tests/common/config/api_yaml.hpp"
#include "tests/common/config/test_catalog.hpp"
#include "tests/support/env_var.hpp"
#include "tests/support/system_checks.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/unprivileged.hpp"

using ferry::config::ApiSettings;
using ferry::config::BasicAuth;
using ferry::config::BearerAuth;
using ferry::config::Catalog;
using ferry::config::load_config_text;
using ferry::config::LoadOptions;
using ferry::config::OAuth1Auth;
using ferry::config::OAuth2Auth;
using ferry::config::OptionKind;
using ferry::config::OptionSpec;
using ferry::config::Settings;
using ferry::config::SourceTypeSpec;
using Lines = std::vector<std::string>;

using namespace ferry::config::test::api_yaml;

TEST_CASE("an API source with oauth2 is decoded with its defaults and its secret read") {
  ferry::test::TempDir dir;
  const auto secret = dir.write_private("secret", "s3cret-client\n");
  const auto ca = dir.write("sis-ca.pem", self_signed_pem());
  auto loaded = load_config_text(
      with_api(std::string(kUrl) +
               "    ca_file: sis-ca.pem\n"
               "    proxy: http://user:pass@proxy.school.lan:3128\n"
               "    page_size: 500\n"
               "    auth:\n"
               "      oauth2: {token_url: https://sis.example.org/oauth/token, client_id: abc, "
               "client_secret_file: secret}\n"),
      dir / "ferry.yaml", api_catalog());
  REQUIRE(loaded);
  REQUIRE(loaded->sources.size() == 1);
  const auto& source = loaded->sources[0];
  REQUIRE(source.api.has_value());
  const ApiSettings& api = *source.api;
  CHECK(api.url == "https://sis.example.org/ims/oneroster/v1p1");
  CHECK(api.ca_file == ca);
  CHECK(api.proxy == "http://user:pass@proxy.school.lan:3128");
  const auto* oauth2 = std::get_if<OAuth2Auth>(&api.auth);
  REQUIRE(oauth2 != nullptr);
  CHECK(oauth2->token_url == "https://sis.example.org/oauth/token");
  CHECK(oauth2->client_id == "abc");
  CHECK(oauth2->client_secret_file == secret);
  CHECK(oauth2->client_secret == "s3cret-client");
  CHECK(oauth2->scope.empty());
  CHECK(api.timeout == std::chrono::seconds(30));
  CHECK(api.request_timeout == std::chrono::minutes(10));
  CHECK(api.max_response_bytes == 256LL * 1024 * 1024);
  CHECK(api.rate_limit == 0);
  CHECK(api.retries == 5);
  CHECK(api.service_dir == ferry::config::test::native_path("/d", dir / "ferry.yaml"));
  CHECK(api.at.line == 4);
  // The connector's own option sits beside them; the HTTP keys are not connector options.
  CHECK(std::get<std::int64_t>(source.options.at("page_size").value) == 500);
  CHECK(source.options.count("url") == 0);
  CHECK_FALSE(source.sftp.has_value());
}

TEST_CASE("each auth method of an API source is decoded from its files") {
  ferry::test::TempDir dir;
  const auto secret = dir.write_private("secret", "one-line-secret\r\n");
  const std::string file = secret.string();

  auto oauth2 = load(with_api(std::string(kUrl) +
                              "    auth:\n      oauth2:\n        token_url: "
                              "https://sis.example.org/oauth/token?realm=x\n        client_id: "
                              "abc\n        client_secret_file: " +
                              file + "\n        scope: roster-core.readonly\n"));
  REQUIRE(oauth2);
  const auto& o2 = std::get<OAuth2Auth>(oauth2->sources[0].api->auth);
  CHECK(o2.token_url == "https://sis.example.org/oauth/token?realm=x");
  CHECK(o2.client_secret == "one-line-secret");
  CHECK(o2.scope == "roster-core.readonly");

  auto oauth1 = load(
      with_api(std::string(kUrl) +
               "    auth: {oauth1: {consumer_key: key-1, consumer_secret_file: " + file + "}}\n"));
  REQUIRE(oauth1);
  const auto& o1 = std::get<OAuth1Auth>(oauth1->sources[0].api->auth);
  CHECK(o1.consumer_key == "key-1");
  CHECK(o1.consumer_secret_file == secret);
  CHECK(o1.consumer_secret == "one-line-secret");

  auto bearer = load(with_api(std::string(kUrl) + "    auth: {bearer_file: " + file + "}\n"));
  REQUIRE(bearer);
  const auto& token = std::get<BearerAuth>(bearer->sources[0].api->auth);
  CHECK(token.token_file == secret);
  CHECK(token.token == "one-line-secret");

  auto basic = load(with_api(std::string(kUrl) +
                             "    auth: {basic: {user: ferry, password_file: " + file + "}}\n"));
  REQUIRE(basic);
  const auto& login = std::get<BasicAuth>(basic->sources[0].api->auth);
  CHECK(login.user == "ferry");
  CHECK(login.password_file == secret);
  CHECK(login.password == "one-line-secret");
}

TEST_CASE("API secrets may be given inline from the environment") {
  const ScopedEnv client("FERRY_TEST_API_CLIENT_SECRET", "client from env");
  const ScopedEnv consumer("FERRY_TEST_API_CONSUMER_SECRET", "consumer from env");
  const ScopedEnv token("FERRY_TEST_API_TOKEN", "token.from.env");
  const ScopedEnv password("FERRY_TEST_API_PASSWORD", "password from env");

  auto oauth2 =
      load(with_api(std::string(kUrl) + "    auth: {oauth2: {token_url: https://h/t, client_id: c, "
                                        "client_secret: \"${FERRY_TEST_API_CLIENT_SECRET}\"}}\n"));
  REQUIRE(oauth2);
  const auto& o2 = std::get<OAuth2Auth>(oauth2->sources[0].api->auth);
  CHECK(o2.client_secret == "client from env");
  CHECK_FALSE(o2.client_secret_file.has_value());

  auto oauth1 =
      load(with_api(std::string(kUrl) + "    auth: {oauth1: {consumer_key: k, consumer_secret: "
                                        "\"${FERRY_TEST_API_CONSUMER_SECRET}\"}}\n"));
  REQUIRE(oauth1);
  CHECK(std::get<OAuth1Auth>(oauth1->sources[0].api->auth).consumer_secret == "consumer from env");

  auto bearer =
      load(with_api(std::string(kUrl) + "    auth: {bearer: \"${FERRY_TEST_API_TOKEN}\"}\n"));
  REQUIRE(bearer);
  const auto& bearer_auth = std::get<BearerAuth>(bearer->sources[0].api->auth);
  CHECK(bearer_auth.token == "token.from.env");
  CHECK_FALSE(bearer_auth.token_file.has_value());

  auto basic = load(with_api(std::string(kUrl) + "    auth: {basic: {user: u, password: "
                                                 "\"${FERRY_TEST_API_PASSWORD}\"}}\n"));
  REQUIRE(basic);
  CHECK(std::get<BasicAuth>(basic->sources[0].api->auth).password == "password from env");
}

TEST_CASE("an empty inline API secret is refused") {
  const ScopedEnv empty("FERRY_TEST_API_EMPTY", "");
  CHECK(diagnostics(
            with_api(std::string(kUrl) + "    auth: {bearer: \"${FERRY_TEST_API_EMPTY}\"}\n")) ==
        Lines{"ferry.yaml:7:20: 'bearer' in auth of source 'sis_api' is empty (if it comes from "
              "${VAR}, that variable is set but empty)"});
  CHECK(diagnostics(with_api(std::string(kUrl) + "    auth:\n      basic: {user: u, password: "
                                                 "\"${FERRY_TEST_API_EMPTY}\"}\n")) ==
        Lines{"ferry.yaml:8:34: 'password' in auth.basic of source 'sis_api' is empty (if it "
              "comes from ${VAR}, that variable is set but empty)"});
  CHECK(diagnostics(
            with_api(std::string(kUrl) + "    auth: {bearer: \"${FERRY_TEST_API_UNSET}\"}\n")) ==
        Lines{"ferry.yaml:7:20: 'bearer' in auth of source 'sis_api': environment variable "
              "FERRY_TEST_API_UNSET is not set: set it for ferry (for a service, in its "
              "environment file) or write the value here"});
}

TEST_CASE("an API url must be https and hold no credentials nor query nor fragment") {
  CHECK(diagnostics(with_api("    url: http://sis.example.org/api\n" + std::string(kBearer))) ==
        Lines{"ferry.yaml:6:10: 'url' in source 'sis_api' must start with https://: over "
              "http:// the school's data and the API's credentials would cross the network "
              "unencrypted"});
  CHECK(diagnostics(with_api("    url: ftp://sis.example.org/api\n" + std::string(kBearer))) ==
        Lines{"ferry.yaml:6:10: 'url' in source 'sis_api' must be an https:// URL, as in "
              "https://sis.example.org/ims/oneroster/v1p1"});
  CHECK(diagnostics(with_api("    url: sis.example.org/api\n" + std::string(kBearer))) ==
        Lines{"ferry.yaml:6:10: 'url' in source 'sis_api': a URL starts with a scheme and '://' "
              "(write it as in https://sis.example.org/ims/oneroster/v1p1)"});
  const Lines credentials = diagnostics(
      with_api("    url: https://admin:hunter2@sis.example.org/api\n" + std::string(kBearer)));
  CHECK(credentials == Lines{"ferry.yaml:6:10: 'url' in source 'sis_api' must not hold a user or "
                             "password: put credentials in auth:, not in the URL"});
  for (const std::string& line : credentials) CHECK(line.find("hunter2") == std::string::npos);
  CHECK(diagnostics(
            with_api("    url: https://sis.example.org/api#users\n" + std::string(kBearer))) ==
        Lines{"ferry.yaml:6:10: 'url' in source 'sis_api' must not have a #fragment (the part "
              "from '#' is never sent to the server): remove it"});
  CHECK(diagnostics(
            with_api("    url: https://sis.example.org/api?district=7\n" + std::string(kBearer))) ==
        Lines{"ferry.yaml:6:10: 'url' in source 'sis_api' must not have a query (the part from "
              "'?'): it is the API's base URL, to which Ferry adds each endpoint's path and its "
              "own parameters"});
  CHECK(diagnostics(with_api(std::string(kBearer))) ==
        Lines{"ferry.yaml:4:5: missing required key 'url' in source 'sis_api' (the API's base "
              "URL, such as https://sis.example.org/ims/oneroster/v1p1)"});
  // A URL with a port and a trailing slash is kept as written.
  auto loaded =
      load(with_api("    url: https://sis.example.org:8443/api/\n" + std::string(kBearer)));
  REQUIRE(loaded);
  CHECK(loaded->sources[0].api->url == "https://sis.example.org:8443/api/");
}

TEST_CASE("an oauth2 token_url must be https too") {
  const std::string start = std::string(kUrl) + "    auth:\n      oauth2:\n        token_url: ";
  const std::string rest = "\n        client_id: c\n        client_secret: s\n";
  CHECK(diagnostics(with_api(start + "http://sis.example.org/oauth/token" + rest)) ==
        Lines{"ferry.yaml:9:20: 'token_url' in auth.oauth2 of source 'sis_api' must start with "
              "https://: over http:// the school's data and the API's credentials would cross "
              "the network unencrypted"});
  const Lines credentials =
      diagnostics(with_api(start + "https://c:hunter2@sis.example.org/oauth/token" + rest));
  CHECK(credentials == Lines{"ferry.yaml:9:20: 'token_url' in auth.oauth2 of source 'sis_api' "
                             "must not hold a user or password: put credentials in auth:, not in "
                             "the URL"});
  for (const std::string& line : credentials) CHECK(line.find("hunter2") == std::string::npos);
  CHECK(diagnostics(with_api(start + "https://sis.example.org/oauth/token#x" + rest)) ==
        Lines{"ferry.yaml:9:20: 'token_url' in auth.oauth2 of source 'sis_api' must not have a "
              "#fragment (the part from '#' is never sent to the server): remove it"});
}

TEST_CASE("an API proxy must be http with a host and a port") {
  const std::string expected =
      "ferry.yaml:8:12: 'proxy' in source 'sis_api' must be an HTTP CONNECT proxy written "
      "http://[user:pass@]host:port, as in http://proxy.school.lan:3128";
  const Lines https = diagnostics(valid_with("    proxy: https://bob:hunter2@proxy:3128\n"));
  CHECK(https == Lines{expected});
  for (const std::string& line : https) CHECK(line.find("hunter2") == std::string::npos);
  CHECK(diagnostics(valid_with("    proxy: http://proxy.school.lan\n")) == Lines{expected});
  CHECK(diagnostics(valid_with("    proxy: http://proxy.school.lan:3128/path\n")) ==
        Lines{expected});
  CHECK(diagnostics(valid_with("    proxy: proxy.school.lan:3128\n")) ==
        Lines{expected + " (a URL starts with a scheme and '://')"});
  auto loaded = load(valid_with("    proxy: http://proxy.school.lan:3128\n"));
  REQUIRE(loaded);
  CHECK(loaded->sources[0].api->proxy == "http://proxy.school.lan:3128");
}

TEST_CASE("an API ca_file must be readable and hold a certificate") {
  ferry::test::TempDir dir;
  const auto missing = dir / "missing.pem";
  CHECK(diagnostics(valid_with("    ca_file: " + missing.string() + "\n")) ==
        Lines{"ferry.yaml:8:14: 'ca_file' in source 'sis_api': cannot read " + missing.string() +
              ": " + ferry::test::missing_file_reason()});
  const auto key = dir.write("key.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n");
  CHECK(diagnostics(valid_with("    ca_file: " + key.string() + "\n")) ==
        Lines{"ferry.yaml:8:14: 'ca_file' in source 'sis_api': " + key.string() +
              " holds no PEM certificate (no \"-----BEGIN CERTIFICATE-----\" line): give the "
              "certificate of the CA that signed the API server's certificate, in PEM form"});
  const auto damaged =
      dir.write("damaged.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  const Lines lines = diagnostics(valid_with("    ca_file: " + damaged.string() + "\n"));
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], Catch::Contains("'ca_file' in source 'sis_api': " + damaged.string() +
                                       " certificate 1 of 1 is not a valid PEM certificate"));
}

TEST_CASE("an API auth takes exactly one method") {
  CHECK(diagnostics(with_api(std::string(kUrl) + "    auth: {}\n")) ==
        Lines{"ferry.yaml:7:11: the auth of source 'sis_api' needs one way to log in: oauth2: "
              "{token_url, client_id, client_secret_file}, oauth1: {consumer_key, "
              "consumer_secret_file}, bearer_file: FILE (or bearer: ${API_TOKEN}), or basic: "
              "{user, password_file}"});
  CHECK(diagnostics(with_api(std::string(kUrl) + "    auth:\n")) ==
        Lines{"ferry.yaml:7:5: the auth of source 'sis_api' needs one way to log in: oauth2: "
              "{token_url, client_id, client_secret_file}, oauth1: {consumer_key, "
              "consumer_secret_file}, bearer_file: FILE (or bearer: ${API_TOKEN}), or basic: "
              "{user, password_file}"});
  CHECK(
      diagnostics(with_api(std::string(kUrl) +
                           "    auth:\n      bearer: t\n      basic: {user: u, password: p}\n")) ==
      Lines{"ferry.yaml:8:7: the auth of source 'sis_api' sets bearer and basic: keep exactly "
            "one way to log in"});
  CHECK(diagnostics(with_api(std::string(kUrl) +
                             "    auth:\n      oauth2: {token_url: https://h/t, client_id: c, "
                             "client_secret: s}\n      oauth1: {consumer_key: k, "
                             "consumer_secret: s}\n      bearer_file: /t\n")) ==
        Lines{"ferry.yaml:8:7: the auth of source 'sis_api' sets oauth2, oauth1 and bearer_file: "
              "keep exactly one way to log in"});
  CHECK(diagnostics(
            with_api(std::string(kUrl) + "    auth:\n      bearer_file: /t\n      bearer: t\n")) ==
        Lines{"ferry.yaml:9:7: set either bearer_file or bearer in auth of source 'sis_api', not "
              "both"});
  CHECK(diagnostics(with_api(std::string(kUrl))) ==
        Lines{"ferry.yaml:4:5: missing required key 'auth' in source 'sis_api' (how Ferry logs in "
              "to the API: oauth2, oauth1, bearer_file or basic)"});
  CHECK(diagnostics(with_api(std::string(kUrl) + "    auth: oauth2\n")) ==
        Lines{"ferry.yaml:7:11: 'auth' in source 'sis_api' must be a map (indented key: value "
              "lines), not a single value"});
}

TEST_CASE("each API auth method requires its own keys") {
  CHECK(diagnostics(with_api(std::string(kUrl) + "    auth:\n      oauth2: {scope: s}\n")) ==
        Lines{"ferry.yaml:8:15: missing required key 'token_url' in auth.oauth2 of source "
              "'sis_api' (the API's OAuth 2.0 token endpoint, such as "
              "https://sis.example.org/oauth/token)",
              "ferry.yaml:8:15: missing required key 'client_id' in auth.oauth2 of source "
              "'sis_api' (the client ID the API's administrator gave you)",
              "ferry.yaml:8:15: missing required key 'client_secret_file' in auth.oauth2 of "
              "source 'sis_api' (a file holding the client secret), or client_secret: "
              "${API_CLIENT_SECRET} from the environment"});
  CHECK(diagnostics(with_api(std::string(kUrl) + "    auth:\n      oauth1: {}\n")) ==
        Lines{"ferry.yaml:8:15: missing required key 'consumer_key' in auth.oauth1 of source "
              "'sis_api' (the key the API's administrator gave you)",
              "ferry.yaml:8:15: missing required key 'consumer_secret_file' in auth.oauth1 of "
              "source 'sis_api' (a file holding the consumer secret), or consumer_secret: "
              "${API_CONSUMER_SECRET} from the environment"});
  CHECK(diagnostics(with_api(std::string(kUrl) + "    auth:\n      basic:\n")) ==
        Lines{"ferry.yaml:8:7: missing required key 'user' in auth.basic of source 'sis_api' "
              "(the account Ferry logs in as)",
              "ferry.yaml:8:7: missing required key 'password_file' in auth.basic of source "
              "'sis_api' (a file holding the password), or password: ${API_PASSWORD} from the "
              "environment"});
  CHECK(diagnostics(with_api(std::string(kUrl) +
                             "    auth:\n      basic: {user: \"dom:ferry\", password: p}\n")) ==
        Lines{"ferry.yaml:8:21: 'user' in auth.basic of source 'sis_api' cannot contain ':' "
              "(basic authentication puts one between user and password)"});
  CHECK(diagnostics(with_api(std::string(kUrl) +
                             "    auth:\n      oauth2:\n        token_url: https://h/t\n"
                             "        client_id: c\n        client_secret: s\n"
                             "        client_secret_file: /s\n")) ==
        Lines{"ferry.yaml:12:9: set either client_secret_file or client_secret in auth.oauth2 of "
              "source 'sis_api', not both"});
  CHECK(diagnostics(with_api(std::string(kUrl) +
                             "    auth:\n      basic: {user: u, password_file: /p, password: "
                             "p}\n")) ==
        Lines{"ferry.yaml:8:43: set either password_file or password in auth.basic of source "
              "'sis_api', not both"});
}

TEST_CASE("unknown keys in an API auth get a did-you-mean") {
  CHECK(diagnostics(with_api(std::string(kUrl) + "    auth:\n      bearer_fle: /t\n")) ==
        Lines{"ferry.yaml:8:7: unknown key 'bearer_fle' in auth of source 'sis_api' (did you "
              "mean 'bearer_file'?)"});
  CHECK(diagnostics(with_api(std::string(kUrl) +
                             "    auth:\n      oauth2: {token_url: https://h/t, client_id: c, "
                             "client_secret: s, scopes: x}\n")) ==
        Lines{"ferry.yaml:8:72: unknown key 'scopes' in auth.oauth2 of source 'sis_api' (did "
              "you mean 'scope'?)"});
  CHECK(diagnostics(valid_with("    rate_limt: 5\n")) ==
        Lines{"ferry.yaml:8:5: unknown key 'rate_limt' in source 'sis_api' (did you mean "
              "'rate_limit'?)"});
}

TEST_CASE("API request limits are read with their bounds") {
  auto loaded =
      load(valid_with("    timeout: 5s\n    request_timeout: 2m\n    max_response_size: 64KiB\n"
                      "    rate_limit: 0.5\n    retries: 0\n"));
  REQUIRE(loaded);
  const ApiSettings& api = *loaded->sources[0].api;
  CHECK(api.timeout == std::chrono::seconds(5));
  CHECK(api.request_timeout == std::chrono::minutes(2));
  CHECK(api.max_response_bytes == 64 * 1024);
  CHECK(api.rate_limit == 0.5);
  CHECK(api.retries == 0);
  auto most = load(valid_with("    rate_limit: 1000\n    retries: 20\n    timeout: 10m\n"));
  REQUIRE(most);
  CHECK(most->sources[0].api->rate_limit == 1000);
  CHECK(most->sources[0].api->retries == 20);
  CHECK(most->sources[0].api->timeout == std::chrono::minutes(10));

  CHECK(diagnostics(valid_with("    rate_limit: 0\n")) ==
        Lines{"ferry.yaml:8:17: 'rate_limit' in source 'sis_api' must be more than 0 and at most "
              "1000 (requests a second; 0.5 is one request every 2 seconds), got '0'; leave it "
              "out for no limit"});
  CHECK(diagnostics(valid_with("    rate_limit: 1000.5\n")) ==
        Lines{"ferry.yaml:8:17: 'rate_limit' in source 'sis_api' must be more than 0 and at most "
              "1000 (requests a second; 0.5 is one request every 2 seconds), got '1000.5'; leave "
              "it out for no limit"});
  CHECK(diagnostics(valid_with("    rate_limit: -2\n")) ==
        Lines{"ferry.yaml:8:17: 'rate_limit' in source 'sis_api' must be more than 0 and at most "
              "1000 (requests a second; 0.5 is one request every 2 seconds), got '-2'; leave it "
              "out for no limit"});
  CHECK(diagnostics(valid_with("    rate_limit: 10/s\n")) ==
        Lines{"ferry.yaml:8:17: 'rate_limit' in source 'sis_api' must be a number such as 10 or "
              "0.5, got '10/s'"});
  CHECK(diagnostics(valid_with("    rate_limit: 1e3\n")) ==
        Lines{"ferry.yaml:8:17: 'rate_limit' in source 'sis_api' must be a number such as 10 or "
              "0.5, got '1e3'"});
  CHECK(diagnostics(valid_with("    rate_limit: .inf\n")) ==
        Lines{"ferry.yaml:8:17: 'rate_limit' in source 'sis_api' must be a number such as 10 or "
              "0.5, got '.inf'"});
  CHECK(diagnostics(valid_with("    retries: 21\n")) ==
        Lines{"ferry.yaml:8:14: 'retries' in source 'sis_api' must be a whole number from 0 to "
              "20, got '21'"});
  CHECK(diagnostics(valid_with("    timeout: 500ms\n")) ==
        Lines{"ferry.yaml:8:14: 'timeout' in source 'sis_api' must be at least 1s, got "
              "'500ms'"});
  CHECK(diagnostics(valid_with("    timeout: 1m\n    request_timeout: 30s\n")) ==
        Lines{"ferry.yaml:9:22: 'request_timeout' in source 'sis_api' (30s) is shorter than "
              "timeout (1m): a whole request cannot take less than one of its steps may; make it "
              "at least 1m"});
  CHECK(diagnostics(valid_with("    timeout: 15m\n")) ==
        Lines{"ferry.yaml:8:14: 'timeout' in source 'sis_api' (15m) is longer than "
              "request_timeout (10m by default), which bounds a whole request: write "
              "request_timeout: 15m or more too"});
  CHECK(diagnostics(valid_with("    max_response_size: 32KiB\n")) ==
        Lines{"ferry.yaml:8:24: 'max_response_size' in source 'sis_api' must be at least 64KiB, "
              "got '32KiB'"});
}

TEST_CASE("without secret files an API source keeps the paths and reads nothing") {
  ferry::test::TempDir dir;
  const std::string yaml =
      with_api(std::string(kUrl) +
               "    auth: {basic: {user: u, password_file: " + (dir / "absent").string() + "}}\n");
  REQUIRE_FALSE(load(yaml));
  auto loaded = load(yaml, {.read_secret_files = false});
  REQUIRE(loaded);
  const auto& basic = std::get<BasicAuth>(loaded->sources[0].api->auth);
  CHECK(basic.password_file == dir / "absent");
  CHECK(basic.password.empty());
}

TEST_CASE("API keys are unknown on a source type that is not an API source") {
  const std::string head =
      "agent: {id: a, tenant: t, data_dir: /d}\nuplink: {enabled: false, tenant_public_key: "
      "\"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\nsources:\n";
  CHECK(diagnostics(head + "  - {name: db, type: sqlite, path: /a, url: https://h/}\n") ==
        Lines{"ferry.yaml:4:40: unknown key 'url' in source 'db' (known keys: name, type, "
              "schedule, preset, streams, mass_delete_percent, stale_after, path)"});
  const Lines csv = diagnostics(head +
                                "  - {name: sis, type: oneroster_csv, path: /a, auth: {bearer: t}, "
                                "rate_limit: 5}\n");
  REQUIRE(csv.size() == 2);
  CHECK_THAT(csv[0], Catch::Contains("unknown key 'auth' in source 'sis'"));
  CHECK_THAT(csv[1], Catch::Contains("unknown key 'rate_limit' in source 'sis'"));
}

TEST_CASE("a map option keeps its entries in the order written") {
  auto loaded =
      load(valid_with("    streams:\n      users:\n        key: id\n        paths:\n"
                      "          zeta: /b/c\n          alpha: /a\n"));
  REQUIRE(loaded);
  const auto& options = loaded->sources[0].streams[0].options;
  REQUIRE(options.count("paths") == 1);
  const auto* pairs = std::get_if<ferry::config::StringPairs>(&options.at("paths").value);
  REQUIRE(pairs != nullptr);
  CHECK(*pairs == ferry::config::StringPairs{{"zeta", "/b/c"}, {"alpha", "/a"}});

  CHECK(diagnostics(valid_with("    streams:\n      users:\n        paths: [a, b]\n")) ==
        Lines{"ferry.yaml:10:16: 'paths' in stream 'users' of source 'sis_api' must be a map "
              "(indented key: value lines), not a list"});
  CHECK(diagnostics(valid_with("    streams:\n      users:\n        paths: {a: {b: c}}\n")) ==
        Lines{"ferry.yaml:10:20: 'a' in 'paths' in stream 'users' of source 'sis_api' must be a "
              "text value, not a map"});
}
