// A real full disk under a running agent: its data_dir on a 4 MiB tmpfs (mounted in a mount
// namespace of the test process, which the agent inherits; root only), filled to the last few
// kilobytes by a ballast file while a source grows. The agent must not crash, pause the source
// saying "disk full" in its status and metrics, and go on by itself once the ballast is gone;
// the tenant then holds every row once (the numbered source's oracle, numbered_rows.hpp).
#include <cerrno>
#include <cstring>
#include <fstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "tests/netfault/wait_until.hpp"
#include "tests/support/local_http.hpp"
#include "tests/support/skip.hpp"
#include "tests/uplink/numbered_rows.hpp"
#include "tests/uplink/uplink_site.hpp"

namespace ferry {
namespace {

using namespace std::chrono_literals;
using test::check_rows_once;
using test::numbered_source;
using test::wait_until;
using test::write_rows;

// Mounts a tmpfs of `size` on `folder`, in a mount namespace of this process alone (gone with it).
// Empty when done; otherwise why not.
std::string mount_small_disk(const std::filesystem::path& folder, std::string_view size) {
  if (::geteuid() != 0) return "mounting a tmpfs needs root";
  if (::unshare(CLONE_NEWNS) != 0) return fmt::format("unshare: {}", std::strerror(errno));
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return fmt::format("making mounts private: {}", std::strerror(errno));
  }
  std::filesystem::create_directories(folder);
  const std::string options = fmt::format("size={},mode=0700", size);
  if (::mount("tmpfs", folder.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
    return fmt::format("mount tmpfs: {}", std::strerror(errno));
  }
  return "";
}

std::uint64_t free_bytes(const std::filesystem::path& folder) {
  struct statvfs stats {};
  REQUIRE(::statvfs(folder.c_str(), &stats) == 0);
  return static_cast<std::uint64_t>(stats.f_bavail) * stats.f_frsize;
}

// Fills the disk of `folder` up to `leave` bytes with `ballast`.
void fill_disk(const std::filesystem::path& ballast, std::uint64_t leave) {
  const std::uint64_t free = free_bytes(ballast.parent_path());
  REQUIRE(free > leave);
  std::ofstream out(ballast, std::ios::binary);
  const std::string block(4096, '\0');
  for (std::uint64_t written = 0; written + block.size() <= free - leave; written += block.size()) {
    out.write(block.data(), static_cast<std::streamsize>(block.size()));
  }
  out.close();
}

std::string source_field(const test::UplinkSite& site, std::string_view field) {
  const auto status = site.source_status("sis");
  const auto* value = status.if_contains(field);
  if (value == nullptr) return "";
  return value->is_string() ? std::string(value->as_string()) : boost::json::serialize(*value);
}

TEST_CASE("a full disk under the data_dir pauses the source, says so, and resumes once freed",
          "[uplink][fault][disk]") {
  test::UplinkSite site(10);
  if (const auto why = mount_small_disk(site.data_dir(), "4m"); !why.empty()) FERRY_SKIP(why);
  test::TenantProcess tenant(site);
  tenant.start();
  const auto folder = site.dir() / "numbered";
  write_rows(folder, 200);
  const auto port = test::free_loopback_port();
  REQUIRE(port != 0);
  site.configure(test::AgentConfig{.port = tenant.port(),
                                   .max_rows = 500,
                                   .log_level = "info",
                                   .agent_extra = fmt::format("  metrics: 127.0.0.1:{}\n", port),
                                   .sources = numbered_source(folder)});
  // A schedule of an hour: after its first run, the source runs again only when retried.
  std::string config = test::read_file(site.config());
  config += "    schedule: every 1h\n";
  site.dir().write(site.config().filename().string(), config);

  auto run = site.start_run();
  INFO("ferry run: " << site.run_output());
  REQUIRE(wait_until([&] { return check_rows_once(site.stored("rows"), 200).empty(); }, 30s, 50ms));

  // The disk fills; the source grows by far more than is left; a run is asked for.
  fill_disk(site.data_dir() / "ballast", 48 * 1024);
  write_rows(folder, 6000);
  REQUIRE(site.ferry({"sync", "--source", "sis", "--timeout", "1s"}).exit_code != 2);
  REQUIRE(wait_until([&] { return source_field(site, "paused_for") == "disk_full"; }, 30s, 100ms));
  REQUIRE(run.running());
  CHECK(source_field(site, "paused") == "true");
  CHECK_THAT(source_field(site, "last_error"), Catch::Contains("disk of the data_dir is full"));
  std::string scraped;
  CHECK(wait_until(
      [&] {
        scraped = test::http_get(port, "/metrics");
        return scraped.find("ferry_source_disk_full{source=\"sis\"") != std::string::npos;
      },
      10s, 100ms));
  CHECK_THAT(scraped,
             Catch::Contains("ferry_source_disk_full{source=\"sis\"") && Catch::Contains("} 1"));
  CHECK(site.logged("the disk of the data_dir is full"));

  // Space comes back: the source goes on by itself within its 5 s retry (a run under way, or
  // over and no longer paused).
  std::filesystem::remove(site.data_dir() / "ballast");
  CHECK(wait_until(
      [&] {
        return source_field(site, "state") == "running" || source_field(site, "paused") == "false";
      },
      10s, 100ms));
  REQUIRE(
      wait_until([&] { return check_rows_once(site.stored("rows"), 6000).empty(); }, 60s, 100ms));
  CHECK(check_rows_once(site.stored("rows"), 6000).empty());
  CHECK(wait_until([&] { return source_field(site, "paused") == "false"; }, 30s, 100ms));
  CHECK(source_field(site, "paused_for") == "null");
  REQUIRE(run.running());
  site.stop_run(run);
}

}  // namespace
}  // namespace ferry
