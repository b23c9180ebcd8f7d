// The columns that are never sent, whatever the policy says: a password or a secret has no place
// in a BI vendor's cloud, pseudonymized or not. Used by the configuration (a field that names
// one must be `drop`) and by the policy (such a column is dropped even under `default: keep`).
//
// A column is secret when one of the WORDS of its name is in kSecretWords. The name is trimmed and
// split at every character that is not a letter and at camelCase boundaries ("passwordHash" is
// password + hash, "PINCode" is pin + code, "user_pwd2" is user + pwd), and words are compared
// without regard to case; neighbouring words also count joined, so "PassWord" and "pass_phrase"
// are secret. A word inside a longer word does not count: "defaultgroupingid", "spinner" and
// "shipping" are not secret.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::config {

inline constexpr std::array<std::string_view, 7> kSecretWords = {
    "password", "passwd", "pwd", "passcode", "passphrase", "secret", "pin"};

// The words of a column name, lower case: "passwordHash " gives {"password", "hash"}.
std::vector<std::string> column_words(std::string_view name);

bool is_secret_column(std::string_view name);

// The first word of `name` that makes it secret, quoted for a message ("'pwd'"); "" when none.
std::string secret_word_of(std::string_view name);

}  // namespace ferry::config
