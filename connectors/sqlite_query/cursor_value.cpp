#include "connectors/sqlite_query/cursor_value.hpp"

#include <cmath>

namespace ferry::connectors::sqlite_query {
namespace {

// 0 for NULL, 1 for numbers, 2 for text: SQLite's order between storage classes.
int storage_rank(const CursorValue& value) {
  if (value.is_null()) return 0;
  if (value.as_text() != nullptr) return 2;
  return 1;
}

int compare_integer_real(std::int64_t integer, double real) {
  constexpr double kTwo63 = 9223372036854775808.0;  // 2^63, exactly representable
  if (real >= kTwo63) return -1;
  if (real < -kTwo63) return 1;
  const double whole = std::trunc(real);
  const auto whole_integer = static_cast<std::int64_t>(whole);  // in range: checked above
  if (integer != whole_integer) return integer < whole_integer ? -1 : 1;
  const double fraction = real - whole;
  if (fraction > 0) return -1;
  if (fraction < 0) return 1;
  return 0;
}

int compare_numbers(const CursorValue& a, const CursorValue& b) {
  const auto* ai = a.as_integer();
  const auto* bi = b.as_integer();
  const auto* ar = a.as_real();
  const auto* br = b.as_real();
  if (ai != nullptr && bi != nullptr) return *ai < *bi ? -1 : (*ai > *bi ? 1 : 0);
  if (ai != nullptr && br != nullptr) return compare_integer_real(*ai, *br);
  if (ar != nullptr && bi != nullptr) return -compare_integer_real(*bi, *ar);
  if (ar != nullptr && br != nullptr) return *ar < *br ? -1 : (*ar > *br ? 1 : 0);
  return 0;  // callers compare numbers only
}

}  // namespace

std::string_view type_name(const CursorValue& value) {
  if (value.as_integer() != nullptr) return "integer";
  if (value.as_real() != nullptr) return "real";
  if (value.as_text() != nullptr) return "text";
  return "null";
}

int compare(const CursorValue& a, const CursorValue& b) {
  const int rank_a = storage_rank(a);
  const int rank_b = storage_rank(b);
  if (rank_a != rank_b) return rank_a < rank_b ? -1 : 1;
  if (rank_a == 0) return 0;
  if (rank_a == 2) {
    const int order = a.as_text()->compare(*b.as_text());  // bytewise, like memcmp
    return order < 0 ? -1 : (order > 0 ? 1 : 0);
  }
  return compare_numbers(a, b);
}

}  // namespace ferry::connectors::sqlite_query
