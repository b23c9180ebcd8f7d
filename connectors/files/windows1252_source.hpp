// A ByteSource that reads Windows-1252 text (a spreadsheet saved as "CSV" on Windows in the US
// and Western Europe) from another one and hands it on as UTF-8, so that the CSV reader and
// everything after it see UTF-8 only. Bytes 0x80-0x9F are mapped as Windows-1252 has them
// (0x80 is €, 0x93 and 0x94 are curly quotes); the five bytes it leaves undefined become the C1
// control characters of the same number, as the WHATWG Encoding Standard (what browsers do)
// decodes them. Every byte sequence is valid Windows-1252; what is refused is a file whose byte
// order mark says it is UTF-16 or UTF-8, which would otherwise read as garbage, or as a header
// whose first name starts with "ï»¿".
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "connectors/files/byte_source.hpp"

namespace ferry::connectors::files {

class Windows1252Source final : public ByteSource {
 public:
  // Borrows `inner`, which must outlive this object.
  explicit Windows1252Source(ByteSource& inner) : inner_(inner) {}

  // Fills `buffer` with UTF-8; 0 only at the end of the inner source.
  Result<std::size_t> read(std::span<char> buffer) override;

 private:
  // A file that says it is in another encoding: UTF-16 or UTF-8 by its byte order mark.
  static Result<void> check_start(std::string_view start);

  ByteSource& inner_;
  bool started_ = false;         // the first bytes were checked
  std::vector<char> raw_;        // bytes read from inner_
  std::vector<char> converted_;  // their UTF-8, handed out from next_
  std::size_t next_ = 0;
};

// The UTF-8 of one Windows-1252 byte into `out` (room for 3 bytes); returns the bytes written.
std::size_t windows1252_to_utf8(unsigned char byte, char* out);

}  // namespace ferry::connectors::files
