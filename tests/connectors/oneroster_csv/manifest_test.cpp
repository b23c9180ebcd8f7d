#include "connectors/oneroster_csv/manifest.hpp"

#include <catch2/catch.hpp>

#include "tests/connectors/files/memory_source.hpp"

namespace ferry::connectors::oneroster_csv {
namespace {

Result<Manifest> parse(std::string_view text) {
  files::test::MemorySource source(text);
  return parse_manifest(source);
}

}  // namespace

TEST_CASE("manifest lists bulk and delta files in order and leaves absent ones out") {
  auto manifest = parse(
      "\"propertyName\",\"value\"\n"
      "\"manifest.version\",\"1.0\"\n"
      "\"oneroster.version\",\"1.1\"\n"
      "\"file.academicSessions\",\"bulk\"\n"
      "\"file.categories\",\"absent\"\n"
      "\"file.users\",\"BULK\"\n"
      "\"file.enrollments\",\" delta \"\n"
      "\"file.userProfiles\",\"\"\n"
      "\"fiel.demographics\",\"absent\"\n"
      "\"source.systemName\",\"DataGen\"\n");
  REQUIRE(manifest.has_value());
  CHECK(manifest->oneroster_version == "1.1");
  REQUIRE(manifest->files.size() == 3);
  CHECK(manifest->files[0].stream == "academicSessions");
  CHECK(manifest->files[0].mode == FileMode::kBulk);
  CHECK(manifest->files[0].file_name() == "academicSessions.csv");
  CHECK(manifest->files[1].stream == "users");
  CHECK(manifest->files[1].mode == FileMode::kBulk);
  CHECK(manifest->files[2].stream == "enrollments");
  CHECK(manifest->files[2].mode == FileMode::kDelta);
}

TEST_CASE("manifest reads CRLF, a BOM and no final line break") {
  auto manifest = parse("\xEF\xBB\xBFpropertyName,value\r\nfile.users,delta");
  REQUIRE(manifest.has_value());
  REQUIRE(manifest->files.size() == 1);
  CHECK(manifest->files[0].mode == FileMode::kDelta);
}

TEST_CASE("manifest refuses what it cannot trust and says where") {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"", "manifest.csv is empty"},
      {"name,mode\nfile.users,bulk\n", "must start with propertyName,value"},
      {"propertyName,value\nfile.users,bulky\n", "manifest.csv:2: file.users must be bulk"},
      {"propertyName,value\nfile.users,bulk\nfile.users,delta\n",
       "manifest.csv:3: file.users is listed twice"},
      {"propertyName,value\nfile.../etc/passwd,bulk\n", "manifest.csv:2: 'file.../etc/passwd'"},
      {"propertyName,value\nfile.,bulk\n", "does not name a file"},
      {"propertyName,value\nfile.users,bulk,extra\n", "manifest.csv:2: expected 2 fields"},
      {"propertyName,value\nfile.users,\"bulk\n", "manifest.csv:2: a quoted field"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto manifest = parse(c.text);
    REQUIRE_FALSE(manifest.has_value());
    CHECK(manifest.error().code == ErrorCode::kCorrupt);
    CHECK_THAT(manifest.error().message, Catch::Contains(c.message));
  }
}

}  // namespace ferry::connectors::oneroster_csv
