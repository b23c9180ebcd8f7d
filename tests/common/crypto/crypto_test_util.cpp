#include "tests/common/crypto/crypto_test_util.hpp"

#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

namespace ferry::test {

crypto::Bytes from_hex(std::string_view hex) {
  REQUIRE(hex.size() % 2 == 0);
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    FAIL("not a hex digit: " << c);
    return 0;
  };
  crypto::Bytes out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  }
  return out;
}

std::string to_hex(crypto::ByteView bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const std::uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

boost::json::value load_json(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  boost::json::error_code ec;
  boost::json::value parsed = boost::json::parse(text.str(), ec);
  INFO("parsing " << path.string() << ": " << ec.message());
  REQUIRE(!ec);
  return parsed;
}

std::string_view json_string(const boost::json::value& value) {
  REQUIRE(value.is_string());
  const boost::json::string& text = value.get_string();
  return {text.data(), text.size()};
}

crypto::Bytes hex_field(const boost::json::object& object, std::string_view key) {
  return from_hex(string_field(object, key));
}

std::string string_field(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  INFO("JSON field '" << std::string(key) << "'");
  REQUIRE(value != nullptr);
  return std::string(json_string(*value));
}

}  // namespace ferry::test
