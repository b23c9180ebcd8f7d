// Throughput of the CSV reader and of the whole connector on a generated users.csv of typical
// OneRoster rows. Not a test: build it in a release tree and run it by hand,
//   cmake --preset release -B build/rel && cmake --build build/rel --target oneroster_csv_bench
//   build/rel/tests/connectors/oneroster_csv/oneroster_csv_bench [rows]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "connectors/files/csv_reader.hpp"
#include "connectors/files/file_source.hpp"
#include "connectors/oneroster_csv/oneroster_source.hpp"

namespace {

using namespace ferry::connectors;
using namespace ferry::connectors::oneroster_csv;
using namespace ferry::connectors::files;

std::string user_row(std::size_t i) {
  const std::string n = std::to_string(i);
  // One in ten rows has a quoted field with an escaped quote, as real exports now and then do.
  const std::string family = i % 10 == 0 ? "\"O\"\"Brien, " + n + "\"" : "Family" + n;
  return "usr-" + n + ",active,2026-05-01T09:00:00.000Z,true,org-" + std::to_string(i % 40) +
         ",student,user" + n + ",\"{LDAP:" + n + "}\",Given" + n + "," + family + ",,ID" + n +
         ",user" + n + "@school.example.org,,,\"usr-" + std::to_string(i + 1) + ",usr-" +
         std::to_string(i + 2) + "\",0" + std::to_string(i % 9 + 1) + ",\n";
}

class CountingSink final : public RowSink {
 public:
  std::size_t rows = 0;
  std::size_t bytes = 0;
  ferry::Result<bool> begin_stream(const StreamInfo&, StreamMode) override { return true; }
  ferry::Result<void> row(RowView values, RowOp) override {
    ++rows;
    for (const Value& v : values) bytes += v.text.size();
    return {};
  }
  void bad_row(const BadRow&) override {}
  ferry::Result<void> end_stream(std::string_view) override { return {}; }
  void stream_failed(std::string_view, const ferry::Error&) override {}
  ferry::Result<void> checkpoint(std::string_view) override { return {}; }
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t rows = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const auto dir = std::filesystem::temp_directory_path() / "ferry-oneroster-bench";
  std::filesystem::create_directories(dir);
  {
    std::ofstream users(dir / "users.csv", std::ios::binary);
    users << "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,"
             "givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,"
             "password\n";
    for (std::size_t i = 0; i < rows; ++i) users << user_row(i);
    std::ofstream manifest(dir / "manifest.csv", std::ios::binary);
    manifest << "propertyName,value\nfile.users,bulk\n";
  }
  const auto size = std::filesystem::file_size(dir / "users.csv");
  std::printf("users.csv: %zu rows, %.1f MB (%.0f bytes a row)\n", rows, size / 1e6,
              static_cast<double>(size) / static_cast<double>(rows));

  for (int run = 0; run < 3; ++run) {
    auto file = FileSource::open(dir / "users.csv");
    if (!file) return 1;
    CsvReader reader(**file);
    std::size_t records = 0;
    std::size_t fields = 0;
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      auto outcome = reader.next();
      if (!outcome || *outcome == CsvReader::Outcome::kEnd) break;
      if (*outcome == CsvReader::Outcome::kRecord) {
        ++records;
        fields += reader.fields().size();
      }
    }
    const double took = seconds_since(start);
    std::printf("csv reader:  %zu records (%zu fields) in %.3f s = %.2f M rows/s, %.0f MB/s\n",
                records, fields, took, records / took / 1e6, size / took / 1e6);
  }
  for (int run = 0; run < 2; ++run) {
    OneRosterSource source(dir);
    CountingSink sink;
    const auto start = std::chrono::steady_clock::now();
    auto state = source.read({}, sink, {});
    const double took = seconds_since(start);
    if (!state) {
      std::printf("read failed: %s\n", state.error().message.c_str());
      return 1;
    }
    std::printf("connector:   %zu rows in %.3f s = %.2f M rows/s (CSV + SHA-256 + sink)\n",
                sink.rows, took, sink.rows / took / 1e6);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
