// `ferry keys rotate` run forty times at once, as scripts or two administrators might: every
// rotation adds its own version (none lost), and the audit log records exactly as many.
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/fault/child_process.hpp"
#include "tests/integration/pipeline_site.hpp"

namespace ferry {
namespace {

using namespace std::chrono_literals;

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

TEST_CASE("forty concurrent key rotations add forty versions") {
  constexpr int kRotations = 40;
  test::PipelineSite site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  std::vector<std::unique_ptr<test::ChildProcess>> rotations;
  for (int i = 0; i < kRotations; ++i) {
    rotations.push_back(std::make_unique<test::ChildProcess>(
        site.ferry_argv({"keys", "rotate", "--yes"}),
        site.dir() / ("rotate-" + std::to_string(i) + ".out")));
  }
  for (auto& rotation : rotations) {
    const auto code = rotation->wait_for(120s);
    REQUIRE(code.has_value());
    CHECK(*code == 0);
  }
  const auto listed = site.ferry({"keys", "list"});
  INFO(listed.out << listed.err);
  REQUIRE(listed.exit_code == 0);
  CHECK(count_of(listed.out, "\n") == 1 + 1 + kRotations);  // the header, version 1, the rest
  CHECK(listed.out.find("\n41 ") != std::string::npos);
  CHECK(count_of(test::read_file(site.data_dir() / "audit.log"), "\"event\":\"key_rotated\"") ==
        kRotations);
}

}  // namespace
}  // namespace ferry
