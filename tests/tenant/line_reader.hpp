// The lines of a batch payload (JSON Lines), one after the other, as views into the text: a line
// ends at a newline, which is not part of it; the last line may lack one; an empty text has no
// lines. Shared by the checks that name a line by its number, so they all count alike.
//
// A view: the text must outlive the reader. No state beyond the position; not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ferry::tenant {

class LineReader {
 public:
  explicit LineReader(std::string_view text) : rest_(text) {}

  // The next line without its newline, or nullopt after the last.
  std::optional<std::string_view> next() {
    if (rest_.empty()) return std::nullopt;
    ++number_;
    const std::size_t newline = rest_.find('\n');
    const std::string_view line = rest_.substr(0, newline);
    rest_.remove_prefix(newline == std::string_view::npos ? rest_.size() : newline + 1);
    return line;
  }

  // The number of the line next() gave last, counting from 1.
  std::uint64_t number() const { return number_; }

  // True when `line` holds nothing but white space.
  static bool is_blank(std::string_view line) {
    return line.find_first_not_of(" \t\r") == std::string_view::npos;
  }

 private:
  std::string_view rest_;
  std::uint64_t number_ = 0;
};

}  // namespace ferry::tenant
