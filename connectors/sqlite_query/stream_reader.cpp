#include "connectors/sqlite_query/stream_reader.hpp"

#include <charconv>
#include <cstdlib>
#include <system_error>

#include <fmt/format.h>

#include "connectors/sqlite_query/lookback.hpp"
#include "connectors/sqlite_query/row_values.hpp"

namespace ferry::connectors::sqlite_query {
namespace {

// A DECIMAL cursor: an integer when it is one (a NUMERIC(18) id), else the nearest real. Binding
// a real back compares it with the column as the server converts it, which is exact for every
// value a DECIMAL cursor of 15 significant digits or fewer holds.
Result<void> decimal_cursor(std::string_view digits, CursorValue& out) {
  std::string text;
  if (!decimal_as_json_number(digits, text)) {
    return make_error(ErrorCode::kCorrupt, "holds a decimal that is not a number");
  }
  std::int64_t integer = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), integer);
  if (ec == std::errc() && end == text.data() + text.size()) {
    out.value = integer;
    return {};
  }
  out.value = std::strtod(text.c_str(), nullptr);
  return {};
}

// Fills `out` with the cursor of the current row, reusing its text buffer.
Result<void> cursor_of(const Cell& cell, CursorValue& out) {
  switch (cell.type) {
    case CellType::kNull:
      out.value = std::monostate{};
      return {};
    case CellType::kInteger:
      out.value = cell.integer;
      return {};
    case CellType::kReal:
      out.value = cell.real;
      return {};
    case CellType::kText:
      if (!is_valid_utf8(cell.bytes)) {
        return make_error(ErrorCode::kCorrupt, "holds text that is not valid UTF-8");
      }
      if (auto* text = std::get_if<std::string>(&out.value)) {
        text->assign(cell.bytes);
      } else {
        out.value = std::string(cell.bytes);
      }
      return {};
    case CellType::kDecimal:
      return decimal_cursor(cell.bytes, out);
    case CellType::kBool:
      return make_error(ErrorCode::kConfig,
                        "holds a boolean, which cannot be a cursor (use a number, a timestamp or "
                        "text)");
    case CellType::kBlob:
      break;
  }
  return make_error(ErrorCode::kConfig,
                    "holds a BLOB, which cannot be a cursor (use an integer, real or text column)");
}

class StreamReader {
 public:
  StreamReader(PreparedStream& prepared, const StreamQuery& stream, StreamReadContext& context)
      : prepared_(prepared),
        stream_(stream),
        context_(context),
        where_(fmt::format("source '{}' stream '{}'", context.config.source, stream.name)),
        converter_(prepared.info.columns, context.config.binary) {}

  Result<bool> run();

 private:
  Result<void> bind();
  Result<void> take_row();
  Result<void> hand_over();
  // Moves the stored cursor forward to `to`; false when `to` is NULL or not beyond it.
  bool advance(const CursorValue& to);

  PreparedStream& prepared_;
  const StreamQuery& stream_;
  StreamReadContext& context_;
  const std::string where_;
  RowConverter converter_;

  // Marks an error as the sink's (context_.sink_failed), passing it on.
  Result<void> from_sink(Result<void> result) {
    if (!result) context_.sink_failed = true;
    return result;
  }
  Result<bool> begin();

  bool began_ = false;
  bool refused_ = false;  // the sink did not take the stream
  bool moved_ = false;
  bool lookback_checked_ = false;
  std::uint64_t row_number_ = 0;
  std::uint64_t since_checkpoint_ = 0;
  bool have_previous_ = false;
  CursorValue previous_;  // cursor of the row before, already handed over (or reported bad)
  CursorValue current_;   // cursor of the row being read
};

Result<void> StreamReader::bind() {
  CursorValue last;
  if (auto it = context_.state.find(stream_.name); it != context_.state.end()) {
    last = it->second.value;
    lookback_checked_ = true;  // apply_lookback below checks the lookback against its type
  }
  auto from = apply_lookback(last, stream_.lookback);
  if (!from) {
    return make_error(ErrorCode::kConfig, "{}: {}: fix lookback under streams.{}", where_,
                      from.error().message, stream_.name);
  }
  if (auto bound = prepared_.query->bind_cursor(*from, prepared_.cursor_index); !bound) {
    return with_context(bound.error(), where_);
  }
  return {};
}

bool StreamReader::advance(const CursorValue& to) {
  if (to.is_null()) return false;
  auto it = context_.state.find(stream_.name);
  if (it != context_.state.end() && compare(to, it->second.value) <= 0) return false;
  context_.state.insert_or_assign(stream_.name, StreamCursor{stream_.cursor_column, to});
  moved_ = true;
  return true;
}

Result<void> StreamReader::take_row() {
  PreparedQuery& query = *prepared_.query;
  if (auto cursor = cursor_of(query.cell(prepared_.cursor_index), current_); !cursor) {
    return make_error(cursor.error().code, "{}: the cursor column '{}' in query row {} {}", where_,
                      stream_.cursor_column, row_number_, cursor.error().message);
  }
  if (have_previous_ && compare(current_, previous_) < 0) {
    return make_error(ErrorCode::kConfig,
                      "{}: the query returns rows out of cursor order (query row {} has a smaller "
                      "{} than the row before): end it with ORDER BY {}, {}",
                      where_, row_number_, stream_.cursor_column, stream_.cursor_column,
                      stream_.key_column);
  }
  if (!lookback_checked_ && !current_.is_null()) {
    if (auto fits = apply_lookback(current_, stream_.lookback); !fits) {
      return make_error(ErrorCode::kConfig, "{}: {}: fix lookback under streams.{}", where_,
                        fits.error().message, stream_.name);
    }
    lookback_checked_ = true;
  }
  // A checkpoint only where the cursor value changes: everything up to `previous_` is handed over.
  if (since_checkpoint_ >= context_.config.checkpoint_rows && have_previous_ &&
      compare(current_, previous_) > 0) {
    since_checkpoint_ = 0;
    if (advance(previous_)) {
      if (auto saved = from_sink(
              context_.sink.checkpoint(encode_stream_state(context_.state, stream_.name)));
          !saved) {
        return saved;
      }
    }
  }
  if (auto handed = hand_over(); !handed) return handed;
  ++since_checkpoint_;
  std::swap(previous_, current_);
  have_previous_ = true;
  return {};
}

Result<void> StreamReader::hand_over() {
  std::optional<std::string> problem = converter_.convert(*prepared_.query);
  if (!problem && converter_.values()[prepared_.key_index].is_null()) {
    problem = fmt::format("key column '{}' is null", stream_.key_column);
  }
  if (problem) {
    context_.sink.bad_row(BadRow{stream_.name,
                                 fmt::format("{} query row {}", stream_.name, row_number_),
                                 std::move(*problem)});
    return {};
  }
  auto begun = begin();
  if (!begun) return tl::unexpected(begun.error());
  if (!*begun) return {};
  return from_sink(context_.sink.row(converter_.values(), RowOp::kUpsert));
}

Result<bool> StreamReader::begin() {
  if (began_) return true;
  if (refused_) return false;
  auto begun = context_.sink.begin_stream(prepared_.info, StreamMode::kChanges);
  if (!begun) {
    context_.sink_failed = true;
    return begun;
  }
  began_ = *begun;
  refused_ = !*begun;
  return *begun;
}

Result<bool> StreamReader::run() {
  if (auto bound = bind(); !bound) return tl::unexpected(bound.error());
  while (true) {
    if (context_.stop.stop_requested()) {
      return make_error(ErrorCode::kUnavailable, "{}: read stopped on request", where_);
    }
    auto stepped = prepared_.query->step();
    if (!stepped) {
      if (stepped.error().code == ErrorCode::kConfig) {
        return make_error(ErrorCode::kConfig,
                          "{}: the query failed while running ({}): fix streams.{}.query", where_,
                          stepped.error().message, stream_.name);
      }
      return with_context(stepped.error(), where_);
    }
    if (!*stepped) break;
    ++row_number_;
    if (auto taken = take_row(); !taken) return tl::unexpected(taken.error());
    if (refused_) return false;
    if (began_ && context_.sink.enough_rows()) break;  // ferry preview --limit
  }
  // The rows came in cursor order, so the last one holds the highest cursor read.
  if (have_previous_) advance(previous_);
  if (!began_ && !moved_) return false;  // nothing read: nothing to end
  auto begun = begin();
  if (!begun) return tl::unexpected(begun.error());
  if (!*begun) return false;
  if (auto ended =
          from_sink(context_.sink.end_stream(encode_stream_state(context_.state, stream_.name)));
      !ended) {
    return tl::unexpected(ended.error());
  }
  return moved_;
}

}  // namespace

Result<bool> read_stream(PreparedStream& prepared, const StreamQuery& stream,
                         StreamReadContext& context) {
  return StreamReader(prepared, stream, context).run();
}

}  // namespace ferry::connectors::sqlite_query
