// Windows-1252 to UTF-8: the bytes Windows-1252 gives its own characters, and files whose byte
// order mark says they are in another encoding.
#include "connectors/files/windows1252_source.hpp"

#include <string>

#include <catch2/catch.hpp>

#include "tests/connectors/files/memory_source.hpp"

namespace ferry::connectors::files {
namespace {

// Everything `text` converts to, or the error's message; the inner source hands out `step` bytes
// a read at most.
std::string converted(std::string_view text, std::size_t step = 4096) {
  test::MemorySource memory(text, step);
  Windows1252Source source(memory);
  std::string out;
  char buffer[7];
  for (;;) {
    auto got = source.read(buffer);
    if (!got) return "error: " + got.error().message;
    if (*got == 0) return out;
    out.append(buffer, *got);
  }
}

TEST_CASE("windows-1252 bytes become their UTF-8 characters") {
  CHECK(converted("id,name\r\n1,Zo\xEB \x80 \x93ok\x94\r\n") ==
        "id,name\r\n1,Zo\u00EB \u20AC \u201Cok\u201D\r\n");
  CHECK(converted("") == "");
  // The five bytes Windows-1252 leaves undefined become the C1 controls of the same number.
  CHECK(converted("\x81") == "\u0081");
}

TEST_CASE("a file that is UTF-16 or UTF-8 by its byte order mark is refused with the fix") {
  CHECK(converted(std::string("\xFF\xFEi\0d\0", 6)).starts_with("error: the file is UTF-16"));
  CHECK(converted(std::string("\xFE\xFF\0i\0d", 6)).starts_with("error: the file is UTF-16"));
  CHECK(converted("\xEF\xBB\xBFid,name\n") ==
        "error: the file starts with a UTF-8 byte order mark, so it is UTF-8, not Windows-1252: "
        "set encoding: utf-8");
  // Whatever the reads are cut into.
  CHECK(converted(std::string("\xFF\xFEi\0d\0", 6), 1).starts_with("error: the file is UTF-16"));
  CHECK(converted("\xEF\xBB\xBFid\n", 1).starts_with("error: the file starts with a UTF-8"));
  CHECK(converted("ab", 1) == "ab");
  // Such bytes later in the file are text like any other.
  CHECK(converted("a\xEF\xBB\xBF") == "a\u00EF\u00BB\u00BF");
}

}  // namespace
}  // namespace ferry::connectors::files
