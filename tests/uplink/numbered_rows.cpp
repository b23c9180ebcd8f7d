#include "tests/uplink/numbered_rows.hpp"

#include <algorithm>
#include <fstream>
#include <map>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

namespace ferry::test {

std::string payload_of(std::uint64_t n) {
  std::uint64_t x = n * 0x9E3779B97F4A7C15ull;
  x ^= x >> 29;
  return fmt::format("{:016x}{:016x}", x, x * 0xBF58476D1CE4E5B9ull);
}

void write_rows(const std::filesystem::path& folder, std::uint64_t count) {
  std::filesystem::create_directories(folder);
  std::ofstream out(folder / "rows.csv", std::ios::binary | std::ios::trunc);
  out << "id,n,payload\r\n";
  for (std::uint64_t n = 1; n <= count; ++n) {
    out << fmt::format("r{:06},{},{}\r\n", n, n, payload_of(n));
  }
}

std::string numbered_source(const std::filesystem::path& folder) {
  return fmt::format(
      "  - name: sis\n"
      "    type: csv\n"
      "    path: {}\n"
      "    streams:\n"
      "      rows:\n"
      "        key: id\n"
      "        default: keep\n"
      "        fields:\n"
      "          id: {{transform: pseudonymize, domain: user}}\n",
      folder.string());
}

std::vector<std::string> check_rows_once(std::string_view stored, std::uint64_t count,
                                         const std::set<std::uint64_t>& erased) {
  std::map<std::uint64_t, int> seen;
  std::vector<std::string> problems;
  std::size_t start = 0;
  while (start < stored.size()) {
    const std::size_t end = stored.find('\n', start);
    if (end == std::string_view::npos) break;
    const auto line = stored.substr(start, end - start);
    start = end + 1;
    boost::system::error_code ec;
    const auto value = boost::json::parse(line, ec);
    const auto* row = value.if_object();
    const auto* n_text = row != nullptr ? row->if_contains("n") : nullptr;
    if (ec || n_text == nullptr || !n_text->is_string()) {
      problems.push_back(fmt::format("a stored line is not a row: {}", line.substr(0, 80)));
      continue;
    }
    const std::uint64_t n = std::stoull(std::string(n_text->as_string()));
    const auto* payload = row->if_contains("payload");
    const auto* id = row->if_contains("id");
    if (payload == nullptr || !payload->is_string() || payload->as_string() != payload_of(n) ||
        id == nullptr || !id->is_string() || id->as_string() == fmt::format("r{:06}", n)) {
      problems.push_back(fmt::format("row {} was stored with other content", n));
    }
    if (n == 0 || n > count) problems.push_back(fmt::format("row {} was never in the source", n));
    ++seen[n];
  }
  for (std::uint64_t n = 1; n <= count; ++n) {
    const auto found = seen.find(n);
    if (erased.contains(n)) {
      if (found != seen.end()) problems.push_back(fmt::format("erased row {} was kept", n));
    } else if (found == seen.end()) {
      problems.push_back(fmt::format("row {} was lost", n));
    } else if (found->second > 1) {
      problems.push_back(fmt::format("row {} was stored {} times", n, found->second));
    }
  }
  return problems;
}

NumberedSite::NumberedSite(std::uint64_t rows, const std::function<void(AgentConfig&)>& tailor)
    : folder(site.dir() / "numbered") {
  tenant.start();
  write_rows(folder, rows);
  AgentConfig config{.port = tenant.port(),
                     .max_rows = 10,
                     .log_level = "info",
                     .sources = numbered_source(folder)};
  if (tailor) tailor(config);
  site.configure(config);
}

std::size_t NumberedSite::rows_at_tenant() const {
  const std::string stored = site.stored("rows");
  return static_cast<std::size_t>(std::count(stored.begin(), stored.end(), '\n'));
}

void NumberedSite::sync_and_check(std::uint64_t count,
                                  const std::set<std::uint64_t>& erased) const {
  const auto last = site.sync();
  INFO(last.out << last.err);
  REQUIRE(last.exit_code == 0);
  const auto problems = check_rows_once(site.stored("rows"), count, erased);
  INFO(fmt::format("{}", fmt::join(problems, "\n")));
  CHECK(problems.empty());
  CHECK(site.spool_batches() == 0u);
}

bool NumberedSite::has_damaged_spool() const {
  for (const auto& entry : std::filesystem::directory_iterator(site.data_dir())) {
    if (entry.path().filename().string().find(".corrupt-") != std::string::npos) return true;
  }
  return false;
}

}  // namespace ferry::test
