#include "common/config/url.hpp"

#include <catch2/catch.hpp>

using ferry::config::parse_url;

TEST_CASE("urls split into scheme, host, port and target") {
  auto url = parse_url("wss://ingest.example.org:8443/v1/agent?x=1");
  REQUIRE(url);
  CHECK(url->scheme == "wss");
  CHECK(url->host == "ingest.example.org");
  CHECK(url->port == 8443);
  CHECK(url->target == "/v1/agent?x=1");

  auto plain = parse_url("WSS://ingest.example.org");
  REQUIRE(plain);
  CHECK(plain->scheme == "wss");
  CHECK(plain->port == 0);
  CHECK(plain->target == "/");
}

TEST_CASE("urls carry the user and password of a proxy") {
  auto url = parse_url("http://alice:s3cret@proxy.lan:3128");
  REQUIRE(url);
  CHECK(url->user == "alice");
  CHECK(url->password == "s3cret");
  CHECK(url->host == "proxy.lan");
  CHECK(url->port == 3128);
}

TEST_CASE("urls accept IPv6 literals in brackets") {
  auto url = parse_url("wss://[::1]:8443/v1");
  REQUIRE(url);
  CHECK(url->host == "::1");
  CHECK(url->port == 8443);
}

TEST_CASE("urls refuse a missing scheme, host or a bad port without echoing the text") {
  CHECK_FALSE(parse_url("ingest.example.org"));
  CHECK_FALSE(parse_url("wss://"));
  CHECK_FALSE(parse_url("wss://host:/x"));
  CHECK_FALSE(parse_url("wss://host:0"));
  CHECK_FALSE(parse_url("wss://host:65536"));
  CHECK_FALSE(parse_url("wss://ho st"));
  auto bad = parse_url("http://alice:s3cret@proxy.lan:99999");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("s3cret") == std::string::npos);
}
