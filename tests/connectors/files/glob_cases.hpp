// Patterns and names, and whether they match (fnmatch with FNM_PERIOD, as glibc answers).
#pragma once

#include <string_view>

namespace ferry::connectors::files {

struct GlobCase {
  std::string_view pattern;
  std::string_view name;
  bool matches;
};

inline constexpr GlobCase kGlobCases[] = {
    {"*.csv", "users.csv", true},
    {"*.csv", "users.csv.bak", false},
    {"*.csv", ".hidden.csv", false},  // a leading '.' only by a '.'
    {".*.csv", ".hidden.csv", true},
    {"?users.csv", ".users.csv", false},
    {"[.]users.csv", ".users.csv", false},
    {"oneroster_*.zip", "oneroster_2027-01-15.zip", true},
    {"oneroster_*.zip", "oneroster_.zip", true},
    {"oneroster_*.zip", "OneRoster_1.zip", false},
    {"export-??.zip", "export-01.zip", true},
    {"export-??.zip", "export-1.zip", false},
    {"20[0-9][0-9]-*", "2027-01-15", true},
    {"20[0-9][0-9]-*", "20x7-01-15", false},
    {"[!a-c]*", "dates", true},
    {"[!a-c]*", "classes", false},
    {"[^a-c]*", "classes", false},
    {"[]x]", "]", true},
    {"[]x]", "x", true},
    {"[a-]", "-", true},
    {"[", "[", true},
    {"a[b", "a[b", true},
    {"\\*", "*", true},
    {"\\*", "a", false},
    {"[\\]]", "]", true},
    {"*", "", true},
    {"", "", true},
    {"", "a", false},
    {"*a*b*c", "xaybzc", true},
    {"*a*b*c", "xaybz", false},
    {"a*", "a/b", true},  // no FNM_PATHNAME: '/' is a character like the others
    {"*/*.csv", "2027/users.csv", true},
    {"*.CSV", "users.csv", false},
    {"élèves*", "élèves.csv", true},
};

}  // namespace ferry::connectors::files
