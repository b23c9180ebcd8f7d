#include "connectors/files/glob.hpp"

#include <cstddef>

namespace ferry::connectors::files {
namespace {

constexpr std::size_t kNone = std::string_view::npos;

struct Bracket {
  bool valid = false;    // a closing ']' was found
  bool matched = false;  // `c` is in the set
  std::size_t next = 0;  // just after the ']'
};

// The set that starts at pattern[at] == '[', applied to `c`.
Bracket match_bracket(std::string_view pattern, std::size_t at, char c) {
  Bracket result;
  std::size_t i = at + 1;
  bool negated = false;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) {
    negated = true;
    ++i;
  }
  bool first = true;
  bool in_set = false;
  while (i < pattern.size()) {
    if (pattern[i] == ']' && !first) {
      result.valid = true;
      result.matched = in_set != negated;
      result.next = i + 1;
      return result;
    }
    first = false;
    char low = pattern[i];
    if (low == '\\' && i + 1 < pattern.size()) low = pattern[++i];
    ++i;
    char high = low;
    if (i + 1 < pattern.size() && pattern[i] == '-' && pattern[i + 1] != ']') {
      high = pattern[i + 1];
      if (high == '\\' && i + 2 < pattern.size()) {
        high = pattern[i + 2];
        ++i;
      }
      i += 2;
    }
    const auto u = static_cast<unsigned char>(c);
    if (static_cast<unsigned char>(low) <= u && u <= static_cast<unsigned char>(high)) {
      in_set = true;
    }
  }
  return result;  // no closing ']': not a set
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view name) {
  std::size_t p = 0;
  std::size_t n = 0;
  std::size_t star_p = kNone;  // just after the last '*' seen, to come back to
  std::size_t star_n = 0;      // where in `name` that '*' stops for now
  const bool leading_period = !name.empty() && name.front() == '.';
  while (n < name.size()) {
    // Only a literal '.' matches a leading one: no wildcard, no set.
    const bool hidden = n == 0 && leading_period;
    if (p < pattern.size()) {
      const char c = pattern[p];
      if (c == '*' && !hidden) {
        star_p = ++p;
        star_n = n;
        continue;
      }
      if (c == '?' && !hidden) {
        ++p;
        ++n;
        continue;
      }
      if (c == '[' && !hidden) {
        const Bracket set = match_bracket(pattern, p, name[n]);
        if (set.valid) {
          if (set.matched) {
            p = set.next;
            ++n;
            continue;
          }
        } else if (name[n] == '[') {
          ++p;
          ++n;
          continue;
        }
      } else if (c == '\\' && p + 1 < pattern.size()) {
        if (pattern[p + 1] == name[n]) {
          p += 2;
          ++n;
          continue;
        }
      } else if (c != '*' && c != '?' && c != '[' && c == name[n]) {
        ++p;
        ++n;
        continue;
      }
    }
    if (star_p == kNone) return false;
    // Let the last '*' take one more character, and try again from there.
    p = star_p;
    n = ++star_n;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace ferry::connectors::files
