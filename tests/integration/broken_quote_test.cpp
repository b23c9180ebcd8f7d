// A users.csv whose dropped free-text column (password, here) holds an unescaped quote and a line
// break, and whose next line is shaped like a row: `ferry sync` must spool no row after the
// broken field, fail the users stream naming file and line, deliver the other streams, and write
// no word of that text anywhere.
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "tests/integration/pipeline_site.hpp"
#include "tests/integration/spool_reader.hpp"

namespace ferry {
namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

// Inserts `text` into `csv` after its first `lines` lines.
std::string insert_after_line(const std::string& csv, int lines, const std::string& text) {
  std::size_t at = 0;
  for (int i = 0; i < lines; ++i) at = csv.find('\n', at) + 1;
  return csv.substr(0, at) + text + csv.substr(at);
}

TEST_CASE("ferry sync never spools text of a broken quoted field as rows") {
  test::PipelineSite site;
  REQUIRE(site.generate({"--users", "40", "--seed", "21"}).exit_code == 0);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  // Five good rows, then the broken one (line 7), whose note goes on over two more lines. The
  // second of them has the 18 fields of a row, with a value for `grades`, a column the preset keeps.
  const auto users = site.export_dir() / "users.csv";
  const std::string broken =
      "u-90000001,,,true,o-sch-001,student,a.b,,Ann,Bee,,S9000001,a.b@example.invalid,,,,05,"
      "\"the note says \"stop\" and\n"
      "u-90000666,,,true,o-sch-001,student,m.x,,Mallory,Xe,,S9000666,m.x@example.invalid,,,,"
      "Zebrafinch,Quillwort\n"
      "and so on\"\n";
  site.dir().write("export/users.csv", insert_after_line(test::read_file(users), 6, broken));

  const auto synced = site.ferry({"sync", "--no-upload"});
  INFO(synced.out << synced.err);
  CHECK(synced.exit_code == 1);
  CHECK_THAT(synced.err, Contains("users") && Contains("users.csv:7: a closing quote"));

  const auto spool = test::read_spool(site.spool_db(), site.tenant().private_key);
  CHECK(spool.of("users").size() <= 5);  // the rows before the broken one, at most
  CHECK_FALSE(spool.of("orgs").empty());
  CHECK_FALSE(spool.of("enrollments").empty());
  for (const auto* row : spool.of("users")) {
    CHECK(test::text_of(*row, "grades") != "Zebrafinch");
  }
  // No word of the note, in the clear, in any file the agent wrote.
  std::vector<fs::path> files{site.log_file()};
  for (const auto& entry : fs::recursive_directory_iterator(site.data_dir())) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  for (const auto& file : files) {
    if (!fs::exists(file)) continue;
    INFO(file.string());
    const auto text = test::read_file(file);
    for (const char* word : {"Zebrafinch", "Quillwort", "Mallory", "the note says"}) {
      CHECK(text.find(word) == std::string::npos);
    }
  }
}

}  // namespace
}  // namespace ferry
