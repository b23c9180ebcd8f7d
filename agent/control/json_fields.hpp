// Reading and writing the fields of the control socket's JSON, leniently: the client and the
// status table read what an agent of another version may have left out. A missing or mistyped
// field reads as 0, "" or an empty object.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace ferry::control {

std::uint64_t number_at(const boost::json::object& object, std::string_view key);
std::string text_at(const boost::json::object& object, std::string_view key);
const boost::json::object& object_at(const boost::json::object& object, std::string_view key);
// null for "", else the text.
boost::json::value text_or_null(const std::string& text);

}  // namespace ferry::control
