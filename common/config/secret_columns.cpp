#include "common/config/secret_columns.hpp"

#include <algorithm>

#include "common/config/text.hpp"

namespace ferry::config {
namespace {

constexpr bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
constexpr bool is_lower(char c) { return c >= 'a' && c <= 'z'; }

}  // namespace

std::vector<std::string> column_words(std::string_view name) {
  name = trim(name);
  std::vector<std::string> words;
  std::string word;
  const auto flush = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!is_ascii_alpha(c)) {
      flush();
      continue;
    }
    if (is_upper(c) && !word.empty()) {
      const char before = name[i - 1];
      const bool after_lower = is_lower(before);
      // "PINCode": the C starts a word, being an upper case letter followed by a lower case one
      // after upper case letters.
      const bool ends_acronym =
          is_upper(before) && i + 1 < name.size() && is_lower(name[i + 1]);
      if (after_lower || ends_acronym) flush();
    }
    word.push_back(ascii_lower(c));
  }
  flush();
  return words;
}

std::string secret_word_of(std::string_view name) {
  // A secret word may itself be split by the camelCase rule ("PassWord", "pass_phrase"): runs of
  // neighbouring words count joined as well.
  const auto words = column_words(name);
  for (std::size_t first = 0; first < words.size(); ++first) {
    std::string joined;
    for (std::size_t last = first; last < words.size(); ++last) {
      joined += words[last];
      if (std::find(kSecretWords.begin(), kSecretWords.end(), joined) != kSecretWords.end()) {
        return "'" + joined + "'";
      }
    }
  }
  return "";
}

bool is_secret_column(std::string_view name) { return !secret_word_of(name).empty(); }

}  // namespace ferry::config
