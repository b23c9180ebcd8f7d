#include "connectors/files/windows1252_source.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace ferry::connectors::files {
namespace {

// The code points of bytes 0x80-0x9F; the undefined ones keep their own number (C1 controls).
constexpr std::array<std::uint16_t, 32> kHigh = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,  // 80-87
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,  // 88-8F
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  // 90-97
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,  // 98-9F
};

}  // namespace

std::size_t windows1252_to_utf8(unsigned char byte, char* out) {
  if (byte < 0x80) {
    out[0] = static_cast<char>(byte);
    return 1;
  }
  const std::uint32_t code = byte < 0xA0 ? kHigh[byte - 0x80] : byte;  // A0-FF: Latin-1
  if (code < 0x800) {
    out[0] = static_cast<char>(0xC0 | (code >> 6));
    out[1] = static_cast<char>(0x80 | (code & 0x3F));
    return 2;
  }
  out[0] = static_cast<char>(0xE0 | (code >> 12));
  out[1] = static_cast<char>(0x80 | ((code >> 6) & 0x3F));
  out[2] = static_cast<char>(0x80 | (code & 0x3F));
  return 3;
}

Result<void> Windows1252Source::check_start(std::string_view start) {
  if (start.starts_with("\xFF\xFE") || start.starts_with("\xFE\xFF")) {
    return make_error(ErrorCode::kCorrupt,
                      "the file is UTF-16, not Windows-1252: export it as UTF-8 (and set "
                      "encoding: utf-8) or as Windows-1252");
  }
  if (start.starts_with("\xEF\xBB\xBF")) {
    return make_error(ErrorCode::kCorrupt,
                      "the file starts with a UTF-8 byte order mark, so it is UTF-8, not "
                      "Windows-1252: set encoding: utf-8");
  }
  return {};
}

Result<std::size_t> Windows1252Source::read(std::span<char> buffer) {
  if (buffer.empty()) return std::size_t{0};
  if (next_ == converted_.size()) {
    // Each byte becomes at most 3.
    const std::size_t want = std::max<std::size_t>(buffer.size(), 4096);
    raw_.resize(want);
    auto got = inner_.read(std::span<char>(raw_.data(), want));
    if (!got) return got;
    std::size_t count = *got;
    if (count == 0) return std::size_t{0};
    if (!started_) {
      started_ = true;
      // The first three bytes whole, whatever the inner source hands out per read.
      while (count < 3) {
        auto more = inner_.read(std::span<char>(raw_.data() + count, want - count));
        if (!more) return more;
        if (*more == 0) break;
        count += *more;
      }
      if (auto checked = check_start(std::string_view(raw_.data(), count)); !checked) {
        return tl::unexpected(std::move(checked.error()));
      }
    }
    converted_.resize(count * 3);
    std::size_t written = 0;
    for (std::size_t i = 0; i < count; ++i) {
      written +=
          windows1252_to_utf8(static_cast<unsigned char>(raw_[i]), converted_.data() + written);
    }
    converted_.resize(written);
    next_ = 0;
  }
  const std::size_t count = std::min(buffer.size(), converted_.size() - next_);
  std::copy_n(converted_.data() + next_, count, buffer.data());
  next_ += count;
  return count;
}

}  // namespace ferry::connectors::files
