// A stream of bytes the CSV reader pulls from: a file, an entry of a .zip, or a wrapper that hashes
// what passes through. Implementations own their handle and close it when destroyed.
#pragma once

#include <cstddef>
#include <span>

#include "common/error/error.hpp"

namespace ferry::connectors::files {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Fills the start of `buffer` with up to buffer.size() bytes and returns how many; 0 means the
  // end of the data. A failure to read (a vanished file, a corrupt zip entry) is an error.
  virtual Result<std::size_t> read(std::span<char> buffer) = 0;
};

}  // namespace ferry::connectors::files
