#include "common/config/secret_columns.hpp"

#include <catch2/catch.hpp>

namespace ferry::config {
namespace {

using Words = std::vector<std::string>;

TEST_CASE("a column name splits into words at non-letters and camelCase") {
  CHECK(column_words("passwordHash") == Words{"password", "hash"});
  CHECK(column_words(" Password ") == Words{"password"});
  CHECK(column_words("user_pwd2") == Words{"user", "pwd"});
  CHECK(column_words("PINCode") == Words{"pin", "code"});
  CHECK(column_words("studentPIN") == Words{"student", "pin"});
  CHECK(column_words("PWDHash") == Words{"pwd", "hash"});
  CHECK(column_words("metadata.client-secret") == Words{"metadata", "client", "secret"});
  CHECK(column_words("defaultgroupingid") == Words{"defaultgroupingid"});
  CHECK(column_words("").empty());
  CHECK(column_words("  _2_ ").empty());
}

TEST_CASE("a column is secret when one of its words is, never for a word inside a word") {
  for (const char* name : {"password", "PASSWORD", "Passwd", "pwd", "passcode", "PassPhrase",
                           "secret", "PIN", "passwordHash", "hashed_password", "Password ",
                           "studentPin", "PINCode", "clientSecret", "user-pwd", "PassWord",
                           "pass_word", "Pass Phrase"}) {
    INFO(name);
    CHECK(is_secret_column(name));
  }
  for (const char* name : {"defaultgroupingid", "spinner", "shipping", "pinned", "secretary",
                           "passport", "username", "sourcedId", "compass", "opinion"}) {
    INFO(name);
    CHECK_FALSE(is_secret_column(name));
  }
  CHECK(secret_word_of("studentPIN") == "'pin'");
  CHECK(secret_word_of("grades").empty());
}

}  // namespace
}  // namespace ferry::config
