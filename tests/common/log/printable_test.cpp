#include "common/log/printable.hpp"

#include <string>

#include <catch2/catch.hpp>

namespace ferry::log {
namespace {

TEST_CASE("printable keeps readable text, in any script, as it is") {
  CHECK(printable("quota exceeded for district-7") == "quota exceeded for district-7");
  CHECK(printable("Überlastet: réessayez plus tard, 稍后再试") ==
        "Überlastet: réessayez plus tard, 稍后再试");
  CHECK(printable("").empty());
}

TEST_CASE("printable escapes what could forge a log line or drive a terminal") {
  // A line break and a fake log line.
  CHECK(printable("busy\n2026-12-05T10:00:00Z info [uplink] all delivered") ==
        "busy\\n2026-12-05T10:00:00Z info [uplink] all delivered");
  // Clear screen, cursor home; a bell; DEL; a carriage return.
  CHECK(printable("\x1b[2J\x1b[Hok\a\x7f\r") == "\\x1b[2J\\x1b[Hok\\x07\\x7f\\r");
  CHECK(printable("a\tb\\c") == "a\\tb\\\\c");
  CHECK(printable(std::string("nul\0byte", 8)) == "nul\\x00byte");
  // C1 CSI (U+009B), a line separator, a right-to-left override.
  CHECK(printable("\xc2\x9b" "2J|\xe2\x80\xa8|\xe2\x80\xae" "txt") ==
        "\\u{009b}2J|\\u{2028}|\\u{202e}txt");
  // Bytes that are not UTF-8: a stray continuation, a truncated sequence, an overlong slash.
  CHECK(printable("\x80x\xe2\x82\xc0\xaf") == "\\x80x\\xe2\\x82\\xc0\\xaf");
}

TEST_CASE("printable cuts long text and says how much was left out") {
  const std::string text(1000, 'a');
  const auto shown = printable(text, 10);
  CHECK(shown == "aaaaaaaaaa... (990 bytes more)");
  CHECK(printable("\n\n\n\n", 5) == "\\n\\n... (2 bytes more)");
}

}  // namespace
}  // namespace ferry::log
