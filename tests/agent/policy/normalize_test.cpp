#include "agent/policy/normalize.hpp"

#include <catch2/catch.hpp>

#include "agent/policy/generalize.hpp"

namespace ferry::policy {
namespace {

TEST_CASE("trim removes ASCII white space and no-break spaces at both ends only") {
  CHECK(trim("  a b \t\r\n") == "a b");
  CHECK(trim("\xC2\xA0x\xC2\xA0") == "x");
  CHECK(trim("   ") == "");
  CHECK(trim("") == "");
}

TEST_CASE("lower-casing folds ASCII letters only") {
  std::string scratch;
  CHECK(lower_ascii("Ana@School.ORG", scratch) == "ana@school.org");
  CHECK(lower_ascii("ÉCOLE", scratch) == "École");  // É is not ASCII: left as written
  CHECK(lower_ascii("already", scratch).data() != scratch.data());  // no copy when not needed
}

TEST_CASE("dates generalize only when they are ISO 8601") {
  using Kind = config::Generalize::Kind;
  CHECK(generalize_date("2009-04-17", Kind::kYear) == "2009");
  CHECK(generalize_date("2009-04-17 10:00", Kind::kYearMonth) == "2009-04");
  CHECK(generalize_date("2009", Kind::kYear) == "2009");
  CHECK_FALSE(generalize_date("2009", Kind::kYearMonth));
  CHECK_FALSE(generalize_date("2009-13-01", Kind::kYear));
  CHECK_FALSE(generalize_date("2009-04-32", Kind::kYear));
  CHECK_FALSE(generalize_date("2009-04-17X", Kind::kYear));
  CHECK_FALSE(generalize_date("04/17/2009", Kind::kYear));
  CHECK_FALSE(generalize_date("", Kind::kYear));
}

TEST_CASE("a field's date generalization writes the year or month of ISO or date_format dates") {
  auto generalize = [](std::string_view value, config::Generalize::Kind kind,
                       std::string_view pattern) {
    config::Generalize how;
    how.kind = kind;
    if (!pattern.empty()) how.date_format = *config::parse_date_format(pattern);
    std::string out = "x";
    return generalize_date(value, how, out) ? out : out + "<none>";
  };
  using Kind = config::Generalize::Kind;
  CHECK(generalize("2009-04-17", Kind::kYear, "") == "x\"2009\"");
  CHECK(generalize("4/17/09", Kind::kYear, "") == "x<none>");
  CHECK(generalize("4/17/09", Kind::kYear, "%m/%d/%y") == "x\"2009\"");
  CHECK(generalize("4/17/09", Kind::kYearMonth, "%m/%d/%y") == "x\"2009-04\"");
  CHECK(generalize("2009-04-17", Kind::kYearMonth, "%m/%d/%y") == "x\"2009-04\"");
  CHECK(generalize("17.04.0009", Kind::kYear, "%d.%m.%Y") == "x\"0009\"");
  CHECK(generalize("4/31/09", Kind::kYear, "%m/%d/%y") == "x<none>");
}

TEST_CASE("prefix counts characters, not bytes") {
  CHECK(generalize_prefix("Zoë Smith", 3) == "Zoë");
  CHECK(generalize_prefix("ab", 5) == "ab");
}

TEST_CASE("bucket floors whole and decimal numbers towards minus infinity") {
  auto bucket = [](std::string_view value, std::int64_t width) {
    std::string out;
    return generalize_bucket(value, width, out) ? out : std::string("<none>");
  };
  CHECK(bucket("37", 10) == "30");
  CHECK(bucket("-3", 10) == "-10");
  CHECK(bucket("-10", 10) == "-10");
  CHECK(bucket("12.7", 5) == "10");
  CHECK(bucket("abc", 5) == "<none>");
  CHECK(bucket("1e400", 5) == "<none>");
}

}  // namespace
}  // namespace ferry::policy
