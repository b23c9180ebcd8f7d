#include "tests/integration/spool_reader.hpp"

#include <set>

#include <catch2/catch.hpp>

#include "agent/pipeline/resume_state.hpp"
#include "common/sqlite/database.hpp"
#include "tests/integration/csv_table.hpp"

namespace ferry::test {
namespace {

// The streams ferry-gen-oneroster writes, all bulk.
constexpr const char* kStreams[] = {"orgs",  "academicSessions", "courses",     "classes",
                                    "users", "enrollments",      "demographics"};

sqlite::Database open_read_only(const std::filesystem::path& spool_db) {
  auto db = sqlite::Database::open(spool_db, sqlite::Database::Mode::kReadOnly);
  if (!db) FAIL("cannot open the spool: " << db.error().message);
  return std::move(*db);
}

}  // namespace

std::vector<const SpooledRow*> SpoolContents::of(std::string_view stream,
                                                 std::string_view op) const {
  std::vector<const SpooledRow*> out;
  for (const auto& row : rows) {
    if (row.stream == stream && (op.empty() || row.op == op)) out.push_back(&row);
  }
  return out;
}

SpoolContents read_spool(const std::filesystem::path& spool_db, crypto::ByteView private_key) {
  SpoolContents contents;
  auto db = open_read_only(spool_db);
  auto select = db.prepare("SELECT seq, frame FROM batches ORDER BY seq");
  if (!select) FAIL("cannot read the spool's batches: " << select.error().message);
  for (;;) {
    auto more = select->step();
    if (!more) FAIL("cannot read the spool's batches: " << more.error().message);
    if (!*more) break;
    const auto seq = static_cast<std::uint64_t>(select->column_int(0));
    const auto blob = select->column_blob(1);
    auto opened = frame::open(crypto::ByteView(blob.data(), blob.size()), private_key);
    if (!opened) FAIL("batch seq " << seq << " does not open: " << opened.error().message);
    contents.seqs.push_back(seq);
    contents.headers.push_back(opened->header);
    std::string_view text = opened->plaintext;
    std::uint64_t lines = 0;
    while (!text.empty()) {
      const auto end = text.find('\n');
      REQUIRE(end != std::string_view::npos);  // every line ends with a line break
      boost::system::error_code ec;
      auto value = boost::json::parse(text.substr(0, end), ec);
      if (ec || !value.is_object()) FAIL("batch seq " << seq << " holds a line that is not JSON");
      text.remove_prefix(end + 1);
      ++lines;
      SpooledRow row;
      row.seq = seq;
      row.stream = opened->header.stream;
      row.fields = std::move(value.as_object());
      if (const auto* op = row.fields.if_contains("_op"); op != nullptr && op->is_string()) {
        row.op = std::string(op->as_string());
      }
      row.fields.erase("_op");
      contents.rows.push_back(std::move(row));
    }
    CHECK(lines == opened->header.rows);
  }
  return contents;
}

std::uint64_t count_batches(const std::filesystem::path& spool_db) {
  if (!std::filesystem::exists(spool_db)) return 0;
  auto db = open_read_only(spool_db);
  auto count = db.prepare("SELECT count(*) FROM batches");
  // A spool killed before its schema was committed has no table yet.
  if (!count) return 0;
  auto row = count->step();
  if (!row) FAIL("cannot count the spool's batches: " << row.error().message);
  return *row ? static_cast<std::uint64_t>(count->column_int(0)) : 0;
}

std::optional<std::uint64_t> peek_batches(const std::filesystem::path& spool_db) {
  std::error_code ec;
  if (!std::filesystem::exists(spool_db, ec)) return std::nullopt;
  auto db = sqlite::Database::open(spool_db, sqlite::Database::Mode::kReadOnly);
  if (!db) return std::nullopt;
  auto count = db->prepare("SELECT count(*) FROM batches");
  if (!count) return std::nullopt;
  auto row = count->step();
  if (!row || !*row) return std::nullopt;
  return static_cast<std::uint64_t>(count->column_int(0));
}

std::optional<std::string> stored_source_state(const std::filesystem::path& spool_db,
                                               std::string_view source) {
  if (!std::filesystem::exists(spool_db)) return std::nullopt;
  auto db = open_read_only(spool_db);
  auto select = db.prepare("SELECT state FROM source_state WHERE source = ?");
  if (!select) return std::nullopt;
  auto row = select->bind(1, source).step();
  if (!row) FAIL("cannot read the source state: " << row.error().message);
  if (!*row) return std::nullopt;
  auto state = pipeline::decode_resume_state(std::string(select->column_text(0)));
  if (state.source.empty()) return std::nullopt;
  return state.source;
}

std::map<std::string, std::vector<SpooledRow>> rows_by_stream(const SpoolContents& spool,
                                                              std::string_view source) {
  std::map<std::uint64_t, std::string> source_of;
  for (const frame::Header& header : spool.headers) source_of[header.seq] = header.source;
  std::map<std::string, std::vector<SpooledRow>> rows;
  for (const SpooledRow& row : spool.rows) {
    if (source_of[row.seq] == source) rows[row.stream].push_back(row);
  }
  return rows;
}

std::string text_of(const SpooledRow& row, std::string_view column) {
  const auto* value = row.fields.if_contains(column);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->as_string());
}

void check_each_row_once(const SpoolContents& spool, const std::filesystem::path& export_dir) {
  for (std::size_t i = 0; i < spool.seqs.size(); ++i) {
    if (spool.seqs[i] != i + 1 || spool.headers[i].seq != i + 1) {
      FAIL("seq " << spool.seqs[i] << " (header " << spool.headers[i].seq << ") at position "
                  << i + 1);
    }
  }
  std::size_t total = 0;
  for (const char* stream : kStreams) {
    INFO("stream " << stream);
    const auto table = CsvTable::load(export_dir / (std::string(stream) + ".csv"));
    const auto rows = spool.of(stream);
    std::set<std::string> keys;
    std::size_t upserts = 0;
    for (const auto* row : rows) {
      keys.insert(text_of(*row, "sourcedId"));
      if (row->op == "upsert") ++upserts;
    }
    CHECK(rows.size() == table.rows().size());
    CHECK(upserts == table.rows().size());
    CHECK(keys.size() == table.rows().size());
    total += rows.size();
  }
  CHECK(spool.rows.size() == total);
}

}  // namespace ferry::test
