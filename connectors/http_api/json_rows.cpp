#include "connectors/http_api/json_rows.hpp"

#include <algorithm>
#include <cassert>
#include <limits>
#include <optional>
#include <utility>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <fmt/format.h>

namespace ferry::connectors::http_api {
namespace {

namespace json = boost::json;

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
// A value buffer that grew past this is released after its record, so that one huge record does
// not keep its memory for the rest of the page.
constexpr std::size_t kKeepBytes = 64 * 1024;

// What a JSON value is, for reasons ("primaryOrg is an object, expected a value").
enum class Kind : std::uint8_t { kObject, kArray, kString, kNumber, kBool, kNull };

std::string_view describe(Kind kind) {
  switch (kind) {
    case Kind::kObject:
      return "an object";
    case Kind::kArray:
      return "an array";
    case Kind::kString:
      return "a string";
    case Kind::kNumber:
      return "a number";
    case Kind::kBool:
      return "a boolean";
    case Kind::kNull:
      return "null";
  }
  return "a value";
}

bool is_container(Kind kind) { return kind == Kind::kObject || kind == Kind::kArray; }

std::string size_text(std::size_t bytes) {
  constexpr std::size_t kMiB = 1024 * 1024;
  if (bytes >= kMiB && bytes % kMiB == 0) return fmt::format("{} MiB", bytes / kMiB);
  return fmt::format("{} bytes", bytes);
}

// One step of a JSON pointer: a member name, or "*" (every element of an array).
struct Step {
  std::string name;  // unescaped; as written in the pointer for `written`
  std::string written;
  bool any = false;
};

// Splits a JSON pointer (RFC 6901) into its steps; "" gives none.
Result<std::vector<Step>> parse_pointer(std::string_view pointer, std::string_view what) {
  std::vector<Step> steps;
  if (pointer.empty()) return steps;
  if (pointer.front() != '/') {
    return make_error(ErrorCode::kConfig,
                      "{} '{}' is not a JSON pointer: it must be empty or start with '/'", what,
                      pointer);
  }
  std::size_t at = 1;
  for (;;) {
    const std::size_t end = std::min(pointer.find('/', at), pointer.size());
    const std::string_view token = pointer.substr(at, end - at);
    Step step;
    step.written = std::string(token);
    step.any = token == "*";
    for (std::size_t i = 0; i < token.size(); ++i) {
      if (token[i] != '~') {
        step.name.push_back(token[i]);
      } else if (i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
        step.name.push_back(token[i + 1] == '0' ? '~' : '/');
        ++i;
      } else {
        return make_error(ErrorCode::kConfig,
                          "{} '{}' is not a JSON pointer: '~' must be followed by 0 or 1", what,
                          pointer);
      }
    }
    steps.push_back(std::move(step));
    if (end == pointer.size()) break;
    at = end + 1;
  }
  return steps;
}

// A step of the columns' paths, in a tree of all of them; node 0 is the record.
struct Node {
  std::vector<std::pair<std::string, std::uint32_t>> members;  // member name, child
  std::uint32_t any_element = kNone;                           // the child of a "*" step
  std::vector<std::uint32_t> columns;                          // the columns whose path ends here
  std::size_t longest_member = 0;  // a longer member name cannot match: it is not kept
  bool under_wildcard = false;     // the path to here has a "*": values here are joined
  std::string path;                // "orgs/*/sourcedId", for reasons
};

// What one column holds of the record being read.
struct Slot {
  ValueType type = ValueType::kNull;
  bool descriptor = false;
  std::uint32_t count = 0;        // values joined so far
  std::size_t element_start = 0;  // where the value being read starts in `text`
  std::string text;
};

enum class FrameKind : std::uint8_t {
  kPath,     // an object on the way to the records; `node` = steps of the records path matched
  kRecords,  // the array of records
  kRecord,   // a record; `node` = 0
  kObject,   // an object inside a record that holds selected values; `node` = its tree node
  kArray,    // an array inside a record that holds selected values; `node` = its tree node
};

struct Frame {
  FrameKind kind = FrameKind::kPath;
  std::uint32_t node = 0;
};

struct Plan {
  std::string records_path;
  std::vector<Step> records_steps;
  std::vector<Node> nodes;
  std::vector<bool> descriptors;  // per column
  JsonRowReader::RowHandler on_row;
  JsonRowReader::BadRecordHandler on_bad;
  JsonRowLimits limits;
};

// The basic_parser handler: follows the records path, then fills one slot per column from the
// events of each record, and hands the row over at the record's end. Containers it does not need
// are skipped by counting their depth (skip_depth_), so they cost no memory at all.
class RowBuilder {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  explicit RowBuilder(Plan plan)
      : records_path_(std::move(plan.records_path)),
        steps_(std::move(plan.records_steps)),
        nodes_(std::move(plan.nodes)),
        on_row_(std::move(plan.on_row)),
        on_bad_(std::move(plan.on_bad)),
        limits_(plan.limits) {
    slots_.resize(plan.descriptors.size());
    for (std::size_t i = 0; i < slots_.size(); ++i) slots_[i].descriptor = plan.descriptors[i];
    row_.resize(slots_.size());
    frames_.reserve(limits_.max_depth + 1);
  }

  // The basic_parser handler interface.
  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code& ec) { return open_container(Kind::kObject, ec); }
  bool on_object_end(std::size_t, json::error_code& ec) { return close_container(ec); }
  bool on_array_begin(json::error_code& ec) { return open_container(Kind::kArray, ec); }
  bool on_array_end(std::size_t, json::error_code& ec) { return close_container(ec); }
  bool on_key_part(json::string_view part, std::size_t total, json::error_code&) {
    key_part(view(part), total);
    return true;
  }
  bool on_key(json::string_view part, std::size_t total, json::error_code&) {
    key_end(view(part), total);
    return true;
  }
  bool on_string_part(json::string_view part, std::size_t, json::error_code& ec) {
    return scalar_part(Kind::kString, view(part), ec);
  }
  bool on_string(json::string_view part, std::size_t, json::error_code& ec) {
    return scalar_part(Kind::kString, view(part), ec) && scalar_end(Kind::kString);
  }
  bool on_number_part(json::string_view part, json::error_code& ec) {
    return scalar_part(Kind::kNumber, view(part), ec);
  }
  bool on_int64(std::int64_t, json::string_view part, json::error_code& ec) {
    return scalar_part(Kind::kNumber, view(part), ec) && scalar_end(Kind::kNumber);
  }
  bool on_uint64(std::uint64_t, json::string_view part, json::error_code& ec) {
    return scalar_part(Kind::kNumber, view(part), ec) && scalar_end(Kind::kNumber);
  }
  bool on_double(double, json::string_view part, json::error_code& ec) {
    return scalar_part(Kind::kNumber, view(part), ec) && scalar_end(Kind::kNumber);
  }
  bool on_bool(bool value, json::error_code& ec) { return whole_scalar(Kind::kBool, value, ec); }
  bool on_null(json::error_code& ec) { return whole_scalar(Kind::kNull, false, ec); }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

  std::uint64_t records() const { return records_; }
  bool saw_records_array() const { return saw_records_; }
  std::size_t max_depth() const { return limits_.max_depth; }
  // Why the handler stopped the parser: an error of the row handler, or of the document.
  std::optional<Error>& row_error() { return row_error_; }
  const std::string& document_error() const { return document_error_; }

  std::size_t buffer_bytes() const {
    std::size_t bytes = key_.capacity() + bad_reason_.capacity() +
                        frames_.capacity() * sizeof(Frame) + row_.capacity() * sizeof(Value);
    for (const Slot& slot : slots_) bytes += sizeof(Slot) + slot.text.capacity();
    return bytes;
  }

 private:
  static std::string_view view(json::string_view text) { return {text.data(), text.size()}; }

  // Calls `visit(slot, join)` for each column that takes the scalar being read.
  template <class Visit>
  void for_targets(Visit&& visit) {
    if (target_ != kNone) {
      const Node& node = nodes_[target_];
      for (const std::uint32_t column : node.columns) visit(slots_[column], node.under_wildcard);
    }
    if (direct_target_ != kNone) {
      for (const std::uint32_t column : nodes_[direct_target_].columns) {
        visit(slots_[column], true);
      }
    }
  }

  bool has_targets() const { return target_ != kNone || direct_target_ != kNone; }

  std::string target_path() const {
    if (target_ != kNone) return nodes_[target_].path;
    return nodes_[direct_target_].path + "/*";
  }

  void append(Slot& slot, std::string_view text) {
    slot.text.append(text);
    record_bytes_ += text.size();
  }

  void skip_if_container(Kind kind) {
    if (is_container(kind)) skip_depth_ = 1;
  }

  bool fail_document(std::string reason, json::error_code& ec) {
    document_error_ = std::move(reason);
    ec = json::error::exception;
    return false;
  }

  // --- containers -------------------------------------------------------------------------

  bool open_container(Kind kind, json::error_code& ec) {
    if (skip_depth_ > 0) {
      ++skip_depth_;
      return true;
    }
    return begin_value(kind, ec);
  }

  bool close_container(json::error_code& ec) {
    if (skip_depth_ > 0) {
      --skip_depth_;
      return true;
    }
    assert(!frames_.empty());
    const Frame top = frames_.back();
    frames_.pop_back();
    if (top.kind == FrameKind::kRecord) return end_record(ec);
    return true;
  }

  // --- member names -------------------------------------------------------------------------

  // The longest member name that can lead somewhere from the object being read.
  std::size_t longest_member() const {
    const Frame& top = frames_.back();
    if (top.kind == FrameKind::kPath) return steps_[top.node].name.size();
    return nodes_[top.node].longest_member;
  }

  void key_part(std::string_view part, std::size_t total) {
    if (skip_depth_ > 0 || bad_) return;
    key_split_ = true;
    if (total > longest_member()) {
      key_too_long_ = true;
    } else {
      key_.append(part);
    }
  }

  void key_end(std::string_view part, std::size_t total) {
    if (skip_depth_ > 0 || bad_) return;
    std::string_view key = part;
    bool too_long = total > longest_member();
    if (key_split_) {
      too_long = too_long || key_too_long_;
      if (!too_long) key_.append(part);
      key = key_;
    }
    pending_ = too_long ? kNone : lookup(key);
    key_.clear();
    key_split_ = false;
    key_too_long_ = false;
  }

  std::uint32_t lookup(std::string_view key) const {
    const Frame& top = frames_.back();
    if (top.kind == FrameKind::kPath) return key == steps_[top.node].name ? 1 : kNone;
    for (const auto& [name, child] : nodes_[top.node].members) {
      if (name.size() == key.size() && name == key) return child;
    }
    return kNone;
  }

  // --- where a value goes ---------------------------------------------------------------------

  // A value starts outside any skipped container: decides what becomes of it. For a container:
  // a frame, a skip, or a bad record; for a scalar: its target columns (target_, direct_target_).
  bool begin_value(Kind kind, json::error_code& ec) {
    target_ = kNone;
    direct_target_ = kNone;
    if (frames_.empty()) return begin_document(kind, ec);
    const Frame top = frames_.back();
    switch (top.kind) {
      case FrameKind::kPath:
        return begin_path_member(top.node, kind, ec);
      case FrameKind::kRecords:
        begin_record(kind);
        return true;
      case FrameKind::kRecord:
      case FrameKind::kObject:
        if (bad_) {
          skip_if_container(kind);
        } else {
          begin_member(pending_, kind);
        }
        return true;
      case FrameKind::kArray:
        begin_element(top.node, kind);
        return true;
    }
    return true;
  }

  bool begin_document(Kind kind, json::error_code& ec) {
    if (steps_.empty()) {
      if (kind != Kind::kArray) {
        return fail_document(
            fmt::format("the document is {}, expected an array of records", describe(kind)), ec);
      }
      frames_.push_back({FrameKind::kRecords, 0});
      saw_records_ = true;
      return true;
    }
    if (kind == Kind::kObject) {
      frames_.push_back({FrameKind::kPath, 0});
    } else {
      skip_if_container(kind);
    }
    return true;
  }

  bool begin_path_member(std::uint32_t level, Kind kind, json::error_code& ec) {
    if (pending_ == kNone) {
      skip_if_container(kind);
      return true;
    }
    const std::uint32_t next = level + 1;
    if (next == steps_.size()) {
      if (kind != Kind::kArray) {
        return fail_document(fmt::format("the records path {} is {}, expected an array of records",
                                         records_path_, describe(kind)),
                             ec);
      }
      frames_.push_back({FrameKind::kRecords, 0});
      saw_records_ = true;
      return true;
    }
    if (kind == Kind::kObject) {
      frames_.push_back({FrameKind::kPath, next});
    } else {
      skip_if_container(kind);
    }
    return true;
  }

  void begin_record(Kind kind) {
    if (kind != Kind::kObject) {
      report_bad(records_++, fmt::format("record is {}, expected an object", describe(kind)));
      skip_if_container(kind);
      return;
    }
    for (Slot& slot : slots_) {
      slot.type = ValueType::kNull;
      slot.count = 0;
      slot.text.clear();
    }
    record_bytes_ = 0;
    bad_ = false;
    frames_.push_back({FrameKind::kRecord, 0});
    record_frame_ = frames_.size() - 1;
  }

  // A member value of a selected object; `node` is the member's tree node (kNone: not selected).
  void begin_member(std::uint32_t node_index, Kind kind) {
    if (node_index == kNone) {
      skip_if_container(kind);
      return;
    }
    const Node& node = nodes_[node_index];
    switch (kind) {
      case Kind::kObject:
        if (!node.columns.empty()) {
          mark_bad(fmt::format("{} is an object, expected a value", node.path), true);
        } else if (!node.members.empty()) {
          frames_.push_back({FrameKind::kObject, node_index});
        } else {
          skip_depth_ = 1;  // only "*" leads on from here: absent
        }
        return;
      case Kind::kArray:
        if (!node.columns.empty() && node.under_wildcard) {
          mark_bad(fmt::format("{} is an array, expected a value", node.path), true);
        } else if (!node.columns.empty() || node.any_element != kNone) {
          frames_.push_back({FrameKind::kArray, node_index});
        } else {
          skip_depth_ = 1;  // only member names lead on from here: absent
        }
        return;
      default:
        if (!node.columns.empty()) target_ = node_index;
        return;
    }
  }

  // An element of a selected array whose tree node is `node_index`. Its own columns (a path that
  // names the array) take scalar elements; so do the columns of its "*" child.
  void begin_element(std::uint32_t node_index, Kind kind) {
    const Node& node = nodes_[node_index];
    const bool direct = !node.columns.empty();
    const std::uint32_t element = node.any_element;
    const bool element_columns = element != kNone && !nodes_[element].columns.empty();
    if (is_container(kind)) {
      if (direct || element_columns) {
        mark_bad(fmt::format("{}/* is {}, expected a value", node.path, describe(kind)), true);
      } else if (kind == Kind::kObject && element != kNone && !nodes_[element].members.empty()) {
        frames_.push_back({FrameKind::kObject, element});
      } else {
        skip_depth_ = 1;
      }
      return;
    }
    if (direct) direct_target_ = node_index;
    if (element_columns) target_ = element;
  }

  // --- scalars --------------------------------------------------------------------------------

  // A piece of a string or a number (they may arrive in several pieces).
  bool scalar_part(Kind kind, std::string_view part, json::error_code& ec) {
    if (!value_open_) {
      value_open_ = true;
      value_bytes_ = 0;
      target_ = kNone;
      direct_target_ = kNone;
      if (skip_depth_ == 0) {
        if (!begin_value(kind, ec)) return false;
        for_targets([&](Slot& slot, bool join) { open_slot(slot, kind, join); });
      }
    }
    if (!has_targets()) return true;
    value_bytes_ += part.size();
    if (value_bytes_ > limits_.max_value_bytes) {
      mark_bad(
          fmt::format("{} is longer than {}", target_path(), size_text(limits_.max_value_bytes)),
          false);
      return true;
    }
    for_targets([&](Slot& slot, bool) { append(slot, part); });
    check_record_bytes();
    return true;
  }

  void open_slot(Slot& slot, Kind kind, bool join) {
    if (join) {
      if (slot.count > 0) append(slot, ",");
      slot.type = ValueType::kString;
    } else {
      slot.text.clear();
      slot.type = kind == Kind::kString ? ValueType::kString : ValueType::kNumber;
    }
    ++slot.count;
    slot.element_start = slot.text.size();
  }

  bool scalar_end(Kind kind) {
    value_open_ = false;
    if (kind == Kind::kString && has_targets()) {
      for_targets([](Slot& slot, bool) {
        if (!slot.descriptor) return;
        const auto hash = slot.text.rfind('#');
        if (hash != std::string::npos && hash >= slot.element_start) {
          slot.text.erase(slot.element_start, hash + 1 - slot.element_start);
        }
      });
    }
    target_ = kNone;
    direct_target_ = kNone;
    return true;
  }

  // true, false or null: one event.
  bool whole_scalar(Kind kind, bool value, json::error_code& ec) {
    if (skip_depth_ > 0) return true;
    if (!begin_value(kind, ec)) return false;
    const std::string_view text = value ? "true" : "false";
    for_targets([&](Slot& slot, bool join) {
      if (kind == Kind::kNull) {
        if (!join) {
          slot.type = ValueType::kNull;
          slot.text.clear();
        }
      } else if (join) {
        if (slot.count++ > 0) append(slot, ",");
        slot.type = ValueType::kString;
        append(slot, text);
      } else {
        slot.type = ValueType::kBool;
        slot.text.assign(text);
        slot.count = 1;
      }
    });
    if (has_targets()) check_record_bytes();
    target_ = kNone;
    direct_target_ = kNone;
    return true;
  }

  void check_record_bytes() {
    if (record_bytes_ > limits_.max_record_bytes) {
      mark_bad(fmt::format("the selected values of the record are longer than {}",
                           size_text(limits_.max_record_bytes)),
               false);
    }
  }

  // --- records --------------------------------------------------------------------------------

  // The record being read is bad: skip the rest of it. `opening`: a container is starting and
  // belongs to what is skipped.
  void mark_bad(std::string reason, bool opening) {
    bad_ = true;
    bad_reason_ = std::move(reason);
    skip_depth_ = frames_.size() - record_frame_ - 1 + (opening ? 1 : 0);
    frames_.resize(record_frame_ + 1);
    target_ = kNone;
    direct_target_ = kNone;
  }

  void report_bad(std::uint64_t index, std::string reason) {
    if (on_bad_) on_bad_(index, std::move(reason));
  }

  bool end_record(json::error_code& ec) {
    const std::uint64_t index = records_++;
    bool ok = true;
    if (bad_) {
      bad_ = false;
      report_bad(index, std::move(bad_reason_));
      bad_reason_.clear();
    } else {
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        const Slot& slot = slots_[i];
        row_[i] = slot.type == ValueType::kNull ? Value::null() : Value{slot.type, slot.text};
      }
      auto result = on_row_(RowView(row_));
      if (!result) {
        row_error_ = std::move(result.error());
        ec = json::error::exception;
        ok = false;
      }
    }
    for (Slot& slot : slots_) {
      if (slot.text.capacity() > kKeepBytes) std::string().swap(slot.text);
    }
    return ok;
  }

  const std::string records_path_;
  const std::vector<Step> steps_;
  const std::vector<Node> nodes_;
  JsonRowReader::RowHandler on_row_;
  JsonRowReader::BadRecordHandler on_bad_;
  const JsonRowLimits limits_;

  std::vector<Slot> slots_;  // one per column
  std::vector<Value> row_;   // views into slots_, for on_row_
  std::vector<Frame> frames_;
  std::size_t skip_depth_ = 0;     // containers open inside the one being skipped, itself included
  std::uint32_t pending_ = kNone;  // the tree node of the member whose value comes next
  std::string key_;                // a member name split over chunks, while it can still match
  bool key_split_ = false;
  bool key_too_long_ = false;

  bool value_open_ = false;              // a string or number has begun and not ended
  std::uint32_t target_ = kNone;         // the node whose columns take the scalar being read
  std::uint32_t direct_target_ = kNone;  // the array node whose own columns take it, joined
  std::size_t value_bytes_ = 0;

  std::size_t record_frame_ = 0;
  std::size_t record_bytes_ = 0;
  bool bad_ = false;
  std::string bad_reason_;

  std::uint64_t records_ = 0;
  bool saw_records_ = false;
  std::optional<Error> row_error_;
  std::string document_error_;
};

json::parse_options parse_options(const JsonRowLimits& limits) {
  json::parse_options options;
  options.max_depth = limits.max_depth;
  return options;
}

}  // namespace

struct JsonRowReader::Impl {
  Impl(const JsonRowLimits& limits, Plan plan) : parser(parse_options(limits), std::move(plan)) {}

  Result<void> fail(Error error) {
    failed = error;
    return tl::unexpected(std::move(error));
  }

  // The parser stopped at byte `at` of the document with `ec`: says why.
  Result<void> fail(const json::error_code& ec, std::uint64_t at) {
    RowBuilder& builder = parser.handler();
    if (builder.row_error()) return fail(std::move(*builder.row_error()));
    if (!builder.document_error().empty()) {
      return fail(Error{ErrorCode::kCorrupt,
                        fmt::format("{} (at byte offset {})", builder.document_error(), at)});
    }
    if (ec == json::error::too_deep) {
      return fail(Error{ErrorCode::kCorrupt,
                        fmt::format("JSON nested deeper than {} levels at byte offset {}",
                                    builder.max_depth(), at)});
    }
    if (ec == json::error::incomplete) {
      return fail(Error{ErrorCode::kCorrupt,
                        fmt::format("the JSON document ends early, after {} bytes (a response "
                                    "cut short?)",
                                    at)});
    }
    return fail(Error{ErrorCode::kCorrupt,
                      fmt::format("malformed JSON at byte offset {}: {}", at, ec.message())});
  }

  json::basic_parser<RowBuilder> parser;
  std::uint64_t offset = 0;  // bytes written before the current chunk
  std::optional<Error> failed;
  bool finished = false;
};

Result<JsonRowReader> JsonRowReader::create(std::string records_path,
                                            std::vector<JsonColumn> columns, RowHandler on_row,
                                            BadRecordHandler on_bad, JsonRowLimits limits) {
  auto records_steps = parse_pointer(records_path, "records path");
  if (!records_steps) return tl::unexpected(std::move(records_steps.error()));
  for (const Step& step : *records_steps) {
    if (step.any) {
      return make_error(ErrorCode::kConfig, "records path '{}' cannot hold '*'", records_path);
    }
  }
  if (!on_row) return make_error(ErrorCode::kInvalidArgument, "JSON rows need a row handler");
  if (limits.max_depth == 0) limits.max_depth = 1;

  Plan plan;
  plan.nodes.emplace_back();
  for (std::size_t index = 0; index < columns.size(); ++index) {
    const JsonColumn& column = columns[index];
    const std::string what = fmt::format("path of column '{}'", column.name);
    auto steps = parse_pointer(column.path, what);
    if (!steps) return tl::unexpected(std::move(steps.error()));
    if (steps->empty()) {
      return make_error(ErrorCode::kConfig,
                        "column '{}' has no path: give a JSON pointer such as /sourcedId",
                        column.name);
    }
    std::size_t wildcards = 0;
    std::uint32_t at = 0;
    for (Step& step : *steps) {
      std::uint32_t child = kNone;
      if (step.any) {
        ++wildcards;
        child = plan.nodes[at].any_element;
      } else {
        for (const auto& [name, node] : plan.nodes[at].members) {
          if (name == step.name) child = node;
        }
      }
      if (child == kNone) {
        child = static_cast<std::uint32_t>(plan.nodes.size());
        Node node;
        const Node& parent = plan.nodes[at];
        node.under_wildcard = parent.under_wildcard || step.any;
        node.path = parent.path.empty() ? step.written : parent.path + "/" + step.written;
        plan.nodes.push_back(std::move(node));
        Node& from = plan.nodes[at];
        if (step.any) {
          from.any_element = child;
        } else {
          from.longest_member = std::max(from.longest_member, step.name.size());
          from.members.emplace_back(std::move(step.name), child);
        }
      }
      at = child;
    }
    if (wildcards > 1) {
      return make_error(ErrorCode::kConfig, "column '{}': path '{}' has more than one '*'",
                        column.name, column.path);
    }
    plan.nodes[at].columns.push_back(static_cast<std::uint32_t>(index));
    plan.descriptors.push_back(column.descriptor);
  }
  plan.records_path = std::move(records_path);
  plan.records_steps = std::move(*records_steps);
  plan.on_row = std::move(on_row);
  plan.on_bad = std::move(on_bad);
  plan.limits = limits;
  return JsonRowReader(std::make_unique<Impl>(limits, std::move(plan)));
}

JsonRowReader::JsonRowReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonRowReader::JsonRowReader(JsonRowReader&& other) noexcept = default;
JsonRowReader& JsonRowReader::operator=(JsonRowReader&& other) noexcept = default;
JsonRowReader::~JsonRowReader() = default;

Result<void> JsonRowReader::write(std::string_view chunk) {
  Impl& impl = *impl_;
  if (impl.failed) return tl::unexpected(*impl.failed);
  if (impl.finished) return make_error(ErrorCode::kInternal, "JSON rows: write after finish");
  if (chunk.empty()) return {};
  json::error_code ec;
  const std::size_t used = impl.parser.write_some(true, chunk.data(), chunk.size(), ec);
  if (ec) return impl.fail(ec, impl.offset + used);
  if (used < chunk.size()) {
    return impl.fail(Error{ErrorCode::kCorrupt,
                           fmt::format("unexpected data after the JSON document at byte offset {}",
                                       impl.offset + used)});
  }
  impl.offset += chunk.size();
  return {};
}

Result<void> JsonRowReader::finish() {
  Impl& impl = *impl_;
  if (impl.failed) return tl::unexpected(*impl.failed);
  if (impl.finished) return {};
  static constexpr char kNothing[1] = {};
  json::error_code ec;
  impl.parser.write_some(false, kNothing, 0, ec);
  if (ec) return impl.fail(ec, impl.offset);
  impl.finished = true;
  return {};
}

std::uint64_t JsonRowReader::records() const { return impl_->parser.handler().records(); }

bool JsonRowReader::saw_records_array() const {
  return impl_->parser.handler().saw_records_array();
}

std::size_t JsonRowReader::buffer_bytes() const { return impl_->parser.handler().buffer_bytes(); }

}  // namespace ferry::connectors::http_api
