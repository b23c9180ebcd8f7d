#include "connectors/sqlite_query/cursor_value.hpp"

#include <limits>

#include <catch2/catch.hpp>

using ferry::connectors::sqlite_query::compare;
using ferry::connectors::sqlite_query::CursorValue;

TEST_CASE("cursor values order as SQLite orders them: null, numbers, then text") {
  CHECK(compare(CursorValue::null(), CursorValue::integer(-5)) < 0);
  CHECK(compare(CursorValue::integer(5), CursorValue::text("1")) < 0);
  CHECK(compare(CursorValue::real(1e300), CursorValue::text("")) < 0);
  CHECK(compare(CursorValue::null(), CursorValue::null()) == 0);
  CHECK(compare(CursorValue::text("b"), CursorValue::text("a")) > 0);
  CHECK(compare(CursorValue::text("a"), CursorValue::text("ab")) < 0);
  CHECK(compare(CursorValue::text("\xc3\xa9"), CursorValue::text("z")) > 0);  // bytes, unsigned
}

TEST_CASE("an integer and a real compare exactly by value") {
  constexpr auto kHighest = std::numeric_limits<std::int64_t>::max();
  CHECK(compare(CursorValue::integer(2), CursorValue::real(2.0)) == 0);
  CHECK(compare(CursorValue::integer(2), CursorValue::real(2.5)) < 0);
  CHECK(compare(CursorValue::integer(-2), CursorValue::real(-2.5)) > 0);
  CHECK(compare(CursorValue::real(2.5), CursorValue::integer(3)) < 0);
  CHECK(compare(CursorValue::integer(kHighest), CursorValue::real(9223372036854775808.0)) < 0);
  CHECK(compare(CursorValue::integer(kHighest - 1), CursorValue::real(9.2233720368547748e18)) > 0);
  CHECK(compare(CursorValue::real(0.1), CursorValue::real(0.2)) < 0);
}
