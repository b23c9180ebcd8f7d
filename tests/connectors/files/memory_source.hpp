// Test double: a ByteSource over a string that hands out at most `step` bytes per read, so tests
// can put every read boundary at every byte of a tricky input.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "connectors/files/byte_source.hpp"

namespace ferry::connectors::files::test {

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::string_view data, std::size_t step = static_cast<std::size_t>(-1))
      : data_(data), step_(step) {}

  Result<std::size_t> read(std::span<char> buffer) override {
    const std::size_t n = std::min({buffer.size(), step_, data_.size() - at_});
    if (n > 0) std::memcpy(buffer.data(), data_.data() + at_, n);
    at_ += n;
    return n;
  }

 private:
  std::string data_;
  std::size_t step_;
  std::size_t at_ = 0;
};

}  // namespace ferry::connectors::files::test
