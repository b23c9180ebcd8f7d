#include "common/audit/log_file.hpp"

#include <algorithm>
#include <utility>

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "common/audit/audit_log.hpp"
#include "common/error/path_text.hpp"

namespace ferry::audit::detail {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kHeadRecordSize = 128;

}  // namespace

Result<std::string> LockedFile::read_range(Offset offset, Offset size) const {
  std::string content(static_cast<std::size_t>(size), '\0');
  std::size_t done = 0;
  while (done < content.size()) {
    auto got =
        read_at(content.data() + done, content.size() - done, offset + static_cast<Offset>(done));
    if (!got) return tl::unexpected(got.error());
    if (*got == 0) break;  // shorter than expected: someone cut the file; return what is there
    done += *got;
  }
  content.resize(done);
  return content;
}

Result<bool> LineReader::fill() {
  if (eof_) return false;
  buffer_.erase(0, start_);
  start_ = 0;
  const std::size_t old_size = buffer_.size();
  buffer_.resize(old_size + kReadChunk);
  auto got = file_.read_at(buffer_.data() + old_size, kReadChunk, read_offset_);
  if (!got) {
    buffer_.resize(old_size);
    return tl::unexpected(got.error());
  }
  buffer_.resize(old_size + *got);
  read_offset_ += static_cast<Offset>(*got);
  if (*got == 0) eof_ = true;
  return *got > 0;
}

Result<std::optional<Line>> LineReader::next() {
  bool too_long = false;
  for (;;) {
    const std::size_t newline = buffer_.find('\n', start_);
    if (newline != std::string::npos) {
      Line line;
      line.number = ++number_;
      const std::size_t length = newline - start_;
      line.too_long = too_long || length > kMaxLineBytes;
      if (!line.too_long) line.text = buffer_.substr(start_, length);
      line_offset_ += static_cast<Offset>(length + 1);
      line.end = line_offset_;
      start_ = newline + 1;
      return line;
    }
    if (buffer_.size() - start_ > kMaxLineBytes) {
      // An overlong line: keep only the fact, not its bytes, until its end.
      too_long = true;
      line_offset_ += static_cast<Offset>(buffer_.size() - start_);
      start_ = buffer_.size();
    }
    auto more = fill();
    if (!more) return tl::unexpected(more.error());
    if (*more) continue;
    if (start_ == buffer_.size() && !too_long) return std::optional<Line>();
    Line line;
    line.number = ++number_;
    line.complete = false;
    line.too_long = too_long;
    if (!too_long) line.text = buffer_.substr(start_);
    line_offset_ += static_cast<Offset>(buffer_.size() - start_);
    line.end = line_offset_;
    start_ = buffer_.size();
    return line;
  }
}

Result<Tail> read_tail(const LockedFile& file, Offset size) {
  // Our lines are at most kMaxLineBytes, so the last complete line and anything a crash left after
  // it fit in this window; a file whose end does not is not an audit log we wrote.
  const Offset window_size = std::min<Offset>(size, 2 * static_cast<Offset>(kMaxLineBytes) + 2);
  const Offset window_start = size - window_size;
  auto window = file.read_range(window_start, window_size);
  if (!window) return tl::unexpected(window.error());
  Tail tail;
  const std::size_t last_newline = window->rfind('\n');
  if (last_newline == std::string::npos) {
    if (window_start == 0) return tail;  // no complete line at all
    return make_error(ErrorCode::kCorrupt,
                      "{} does not end in audit entries (no line break in its last {} bytes): "
                      "move it aside, keep it as evidence, and restart the agent",
                      path_text(file.path()), window_size);
  }
  tail.complete_size = window_start + static_cast<Offset>(last_newline) + 1;
  const std::size_t before =
      last_newline == 0 ? std::string::npos : window->rfind('\n', last_newline - 1);
  if (before == std::string::npos && window_start != 0) {
    tail.last_line_too_long = true;
    return tail;
  }
  const std::size_t begin = before == std::string::npos ? 0 : before + 1;
  if (last_newline - begin > kMaxLineBytes) {
    tail.last_line_too_long = true;
    return tail;
  }
  tail.last_line = window->substr(begin, last_newline - begin);
  return tail;
}

Result<void> write_head(const std::filesystem::path& path, const ChainPoint& point) {
  std::string record = fmt::format(R"({{"seq":{},"hash":"{}"}})", point.seq, point.hash);
  record.resize(kHeadRecordSize - 1, ' ');
  record.push_back('\n');
  return write_at_start(path, record);
}

Result<std::optional<ChainPoint>> read_head(const std::filesystem::path& path) {
  auto start = read_start(path, kHeadRecordSize);
  if (!start) return tl::unexpected(start.error());
  if (!*start) return std::optional<ChainPoint>();
  std::string record = std::move(**start);
  record.resize(std::min(record.size(), record.find('\n')));
  boost::system::error_code ec;
  const boost::json::value root = boost::json::parse(record, ec);
  const auto* object = ec ? nullptr : root.if_object();
  const auto seq = read_positive(object == nullptr ? nullptr : object->if_contains("seq"));
  const auto* hash = object == nullptr ? nullptr : object->if_contains("hash");
  if (!seq || hash == nullptr || !hash->is_string() || !is_hash(hash->get_string())) {
    return make_error(ErrorCode::kCorrupt, "{} does not hold a head record", path_text(path));
  }
  return ChainPoint{*seq, std::string(hash->get_string())};
}

}  // namespace ferry::audit::detail
