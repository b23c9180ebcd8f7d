// Helpers for the crypto tests: hex conversion and reading the JSON vector files of
// ../shared/testdata/crypto in place (they are never copied into the project).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "common/crypto/bytes.hpp"

namespace ferry::test {

crypto::Bytes from_hex(std::string_view hex);
std::string to_hex(crypto::ByteView bytes);

// Parses a JSON file; fails the running test (REQUIRE) when it cannot be read or parsed.
boost::json::value load_json(const std::filesystem::path& path);

// A JSON string value as std::string_view (REQUIREs that it is a string).
std::string_view json_string(const boost::json::value& value);

// Hex string field of a JSON object, decoded.
crypto::Bytes hex_field(const boost::json::object& object, std::string_view key);
std::string string_field(const boost::json::object& object, std::string_view key);

}  // namespace ferry::test
