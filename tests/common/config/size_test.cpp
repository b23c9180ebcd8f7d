#include "common/config/size.hpp"

#include <catch2/catch.hpp>

#include "common/config/counted.hpp"

using ferry::config::format_size;
using ferry::config::parse_size;

TEST_CASE("sizes accept binary units, decimal units and plain bytes") {
  CHECK(parse_size("512KiB").value() == 512u * 1024);
  CHECK(parse_size("8MiB").value() == 8u * 1024 * 1024);
  CHECK(parse_size("1GiB").value() == 1024ull * 1024 * 1024);
  CHECK(parse_size("2TiB").value() == 2ull << 40);
  CHECK(parse_size("1048576").value() == 1048576u);
  CHECK(parse_size("100B").value() == 100u);
  CHECK(parse_size("5MB").value() == 5'000'000u);
  CHECK(parse_size("5kB").value() == 5'000u);
  CHECK(parse_size("1GB").value() == 1'000'000'000u);
  CHECK(parse_size("8 MiB").value() == 8u * 1024 * 1024);
  CHECK(parse_size("0").value() == 0u);
}

TEST_CASE("sizes with an unknown unit list the accepted ones") {
  auto result = parse_size("8XB");
  REQUIRE_FALSE(result);
  CHECK(result.error().message ==
        "unknown unit 'XB' in size '8XB' (use B, KiB, MiB, GiB, TiB (1024-based) or KB, MB, GB, "
        "TB (1000-based))");
  CHECK_FALSE(parse_size("8mib"));
  CHECK_FALSE(parse_size("8M"));
}

TEST_CASE("sizes refuse negative, fractional, empty and overflowing values") {
  CHECK(parse_size("-1MiB").error().message == "'-1MiB' is negative: a size must be 0 or more");
  CHECK(parse_size("1.5GiB").error().message ==
        "'1.5GiB' is not a size: use whole numbers (1536MiB rather than 1.5GiB)");
  CHECK_FALSE(parse_size(""));
  CHECK_FALSE(parse_size("MiB"));
  CHECK(parse_size("20000000TiB").error().message == "'20000000TiB' is too large for a size");
  CHECK_FALSE(parse_size("99999999999999999999999"));
}

TEST_CASE("sizes format to the largest exact binary unit") {
  CHECK(format_size(8u * 1024 * 1024) == "8MiB");
  CHECK(format_size(1024ull * 1024 * 1024) == "1GiB");
  CHECK(format_size(1000) == "1000B");
  CHECK(format_size(0) == "0B");
}

TEST_CASE("counts read as English: one row, two rows, no rows") {
  using ferry::config::counted;
  CHECK(counted(1, "bad value") == "1 bad value");
  CHECK(counted(2, "bad value") == "2 bad values");
  CHECK(counted(0, "row") == "0 rows");
  CHECK(counted(1, "batch", "batches") == "1 batch");
  CHECK(counted(3, "batch", "batches") == "3 batches");
}
