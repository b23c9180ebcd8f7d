#include "tests/uplink/uplink_site.hpp"

#include <algorithm>
#include <csignal>
#include <regex>
#include <stdexcept>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include "common/sqlite/database.hpp"
#include "tests/integration/spool_reader.hpp"
#include "tests/netfault/wait_until.hpp"

namespace ferry::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

template <class T>
T must(Result<T> result, std::string_view what) {
  if (!result) throw std::runtime_error(fmt::format("{}: {}", what, result.error().message));
  return std::move(*result);
}

void make_private(const fs::path& file) {
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
}

}  // namespace

UplinkSite::UplinkSite(int users) : ca_(must(pki::make_ca("Ferry uplink test CA"), "make_ca")) {
  const auto keygen = run_process({FERRY_TENANT, "keygen", "--out", tenant_key().string()});
  INFO(keygen.err);
  REQUIRE(keygen.exit_code == 0);
  public_key_ = keygen.out.substr(0, keygen.out.find('\n'));
  REQUIRE(public_key_.size() == 44);

  dir().write("pki/ca.pem", ca_.cert_pem);
  write_cert("server", must(pki::issue(ca_, pki::CertOptions{}), "issue"));
  dir().write_private("tokens", fmt::format("# uplink tests\n{} {} {}\n", kAgentId, kTenantId, kToken));

  const auto generated = generate({"--users", std::to_string(users)});
  INFO(generated.err);
  REQUIRE(generated.exit_code == 0);
}

fs::path UplinkSite::write_cert(std::string_view name, const pki::Issued& issued) const {
  const auto pem = dir().write(fmt::format("pki/{}.pem", name), issued.cert_pem);
  make_private(dir().write(fmt::format("pki/{}.key", name), issued.key_pem));
  return pem;
}

void UplinkSite::configure(const AgentConfig& config) {
  std::string spool;
  if (!config.spool.empty()) spool = "spool:\n" + config.spool;
  dir().write(
      this->config().filename().string(),
      fmt::format(R"(agent:
  id: {agent}
  tenant: {tenant}
  data_dir: {data_dir}
  log: {{level: {level}, file: {log}}}
{agent_extra}uplink:
  url: wss://{host}:{port}/v1/agent
  {token}
  tenant_public_key: "{public_key}"
  ca_file: {ca}
  idle_timeout: {idle}
  reconnect: {reconnect}
  batch: {{max_rows: {max_rows}{batch_extra}}}
{uplink_extra}{spool}sources:
{sources})",
                  fmt::arg("agent", kAgentId),
                  fmt::arg("sources", !config.sources.empty()
                                          ? config.sources
                                          : fmt::format("  - name: sis\n    type: oneroster_csv\n"
                                                        "    path: {}\n    preset: oneroster\n{}",
                                                        export_dir().string(), kSisStreams)),
                  fmt::arg("tenant", kTenantId), fmt::arg("data_dir", data_dir().string()),
                  fmt::arg("level", config.log_level), fmt::arg("log", log_file().string()),
                  fmt::arg("host", config.host), fmt::arg("port", config.port),
                  fmt::arg("token", config.token_file ? "token_file: " + config.token_file->string()
                                                      : fmt::format("token: \"{}\"", config.token)),
                  fmt::arg("public_key", public_key_),
                  fmt::arg("ca", config.ca_file.value_or(ca_pem()).string()),
                  fmt::arg("idle", config.idle_timeout), fmt::arg("reconnect", config.reconnect),
                  fmt::arg("max_rows", config.max_rows),
                  fmt::arg("batch_extra", config.batch_extra),
                  fmt::arg("uplink_extra", config.uplink_extra), fmt::arg("spool", spool),
                  fmt::arg("agent_extra", config.agent_extra)));
  if (!keys_made_) {
    const auto keys = ferry({"keys", "init"});
    INFO(keys.out << keys.err);
    REQUIRE(keys.exit_code == 0);
    keys_made_ = true;
  }
}

ProcessResult UplinkSite::sync(std::string_view timeout) const {
  return ferry({"sync", "--timeout", std::string(timeout)});
}

ChildProcess UplinkSite::start_run() const {
  return ChildProcess(ferry_argv({"run"}), dir() / "run.out");
}

void UplinkSite::stop_run(ChildProcess& run) const {
  INFO("ferry run: " << run_output());
  REQUIRE(run.signal(SIGTERM));
  const auto code = run.wait_for(30s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
}

bool UplinkSite::logged(std::string_view what, std::size_t times) const {
  return count_of(read_file(log_file()), what) >= times;
}

std::map<std::string, std::string> UplinkSite::preview() const {
  std::map<std::string, std::string> rows;
  for (const char* stream : kStreams) {
    const auto shown = ferry({"preview", "--source", "sis", "--stream", stream});
    INFO(shown.err);
    REQUIRE(shown.exit_code == 0);
    rows[stream] = shown.out;
  }
  return rows;
}

std::string UplinkSite::stored(std::string_view stream) const {
  return read_file(tenant_out() / kAgentId / "sis" / (std::string(stream) + ".jsonl"));
}

std::size_t UplinkSite::stored_lines() const {
  std::size_t lines = 0;
  for (const char* stream : kStreams) lines += count_lines(stored(stream));
  return lines;
}

std::uintmax_t UplinkSite::stored_bytes() const {
  std::uintmax_t bytes = 0;
  for (const char* stream : kStreams) {
    std::error_code ec;
    const auto size =
        fs::file_size(tenant_out() / kAgentId / "sis" / (std::string(stream) + ".jsonl"), ec);
    if (!ec) bytes += size;
  }
  return bytes;
}

std::string UplinkSite::commands() const {
  return read_file(tenant_out() / kAgentId / "commands.jsonl");
}

std::optional<std::uint64_t> UplinkSite::spool_batches() const {
  if (!fs::exists(spool_db())) return 0;
  return peek_batches(spool_db());
}

namespace {

// One number the spool database answers `sql` with; nullopt when it cannot be read now.
std::optional<std::uint64_t> spool_number(const fs::path& spool_db, std::string_view sql) {
  std::error_code ec;
  if (!fs::exists(spool_db, ec)) return std::nullopt;
  auto db = sqlite::Database::open(spool_db, sqlite::Database::Mode::kReadOnly);
  if (!db) return std::nullopt;
  auto select = db->prepare(sql);
  if (!select) return std::nullopt;
  auto row = select->step();
  if (!row || !*row) return std::nullopt;
  return static_cast<std::uint64_t>(select->column_int(0));
}

}  // namespace

std::optional<std::uint64_t> UplinkSite::spool_bytes() const {
  return spool_number(spool_db(), "SELECT coalesce(sum(bytes), 0) FROM batches");
}

std::uint64_t UplinkSite::rejected_batches() const {
  const auto count =
      spool_number(spool_db(), "SELECT count(*) FROM batches WHERE rejected IS NOT NULL");
  REQUIRE(count.has_value());
  return *count;
}

TenantProcess::TenantProcess(const UplinkSite& site, std::vector<std::string> extra_args,
                             fs::path cert, fs::path key)
    : site_(site),
      extra_args_(std::move(extra_args)),
      cert_(cert.empty() ? site.server_pem() : std::move(cert)),
      key_(key.empty() ? site.server_key() : std::move(key)),
      private_keys_({site.tenant_key()}) {}

std::string TenantProcess::log() const { return read_file(site_.dir() / "tenant.log"); }

void TenantProcess::start() {
  REQUIRE_FALSE((child_ && child_->running()));
  std::vector<std::string> argv = {FERRY_TENANT, "serve",
                                   "--listen",   "127.0.0.1:0",
                                   "--cert",     cert_.string(),
                                   "--key",      key_.string(),
                                   "--tokens",   site_.tokens().string(),
                                   "--out",      site_.tenant_out().string()};
  for (const auto& file : private_keys_) argv.insert(argv.end(), {"--private-key", file.string()});
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  // The log is appended to across restarts: look for the listening line after what is there.
  const std::size_t before = log().size();
  child_.reset();
  child_.emplace(argv, site_.dir() / "tenant.log");
  const std::regex listening("ferry-tenant: listening on 127\\.0\\.0\\.1:([0-9]+)");
  std::smatch match;
  std::string text;
  const bool up = wait_until(
      [&] {
        text = log().substr(before);
        return std::regex_search(text, match, listening) || !child_->running();
      },
      20s);
  INFO("tenant log: " << text);
  REQUIRE(up);
  REQUIRE(match.size() == 2);
  port_ = static_cast<std::uint16_t>(std::stoi(match[1].str()));
}

void TenantProcess::kill() {
  if (child_) child_->kill();
}

std::size_t count_lines(std::string_view text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::vector<std::string> sorted_lines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    const auto end = text.find('\n');
    lines.emplace_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::vector<std::string> materialized(std::string_view stored) {
  std::map<std::string, std::string> rows;
  std::size_t start = 0;
  while (start < stored.size()) {
    const std::size_t end = stored.find('\n', start);
    if (end == std::string_view::npos) break;  // a line the tenant is still writing
    const std::string line(stored.substr(start, end - start));
    start = end + 1;
    const boost::json::object row = boost::json::parse(line).as_object();
    const std::string key = boost::json::serialize(row.at("sourcedId"));
    if (row.at("_op").as_string() == "delete") {
      rows.erase(key);
    } else {
      rows.insert_or_assign(key, line);
    }
  }
  std::vector<std::string> lines;
  for (auto& [key, line] : rows) lines.push_back(std::move(line));
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::size_t total_lines(const std::map<std::string, std::string>& rows) {
  std::size_t lines = 0;
  for (const auto& [stream, text] : rows) lines += count_lines(text);
  return lines;
}

void deliver_to_late_tenant(const UplinkSite& site, ChildProcess& run, TcpProxy& front,
                            const std::map<std::string, std::string>& expected) {
  TenantProcess tenant(site);
  tenant.start();
  front.forward_to(tenant.port());
  const bool delivered = wait_until(
      [&] { return site.stored_bytes() >= total_bytes(expected) && site.spool_batches() == 0u; },
      90s);
  INFO("ferry run: " << site.run_output());
  CHECK(delivered);
  site.stop_run(run);
  check_stored(site, expected);
  CHECK(site.spool_batches() == 0u);
}

std::uintmax_t total_bytes(const std::map<std::string, std::string>& rows) {
  std::uintmax_t bytes = 0;
  for (const auto& [stream, text] : rows) bytes += text.size();
  return bytes;
}

std::size_t count_of(std::string_view text, std::string_view what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) {
    ++count;
  }
  return count;
}

void check_stored(const UplinkSite& site, const std::map<std::string, std::string>& expected) {
  for (const auto& [stream, rows] : expected) {
    INFO("stream " << stream);
    const auto stored = site.stored(stream);
    CHECK(count_lines(stored) == count_lines(rows));
    // As multisets first (no row lost, none doubled), then byte for byte, in the same order. The
    // texts are large: report where they differ rather than print them.
    const auto stored_sorted = sorted_lines(stored);
    const auto doubled = std::adjacent_find(stored_sorted.begin(), stored_sorted.end());
    CHECK(doubled == stored_sorted.end());
    const bool same_rows = stored_sorted == sorted_lines(rows);
    CHECK(same_rows);
    const auto differ = std::mismatch(stored.begin(), stored.end(), rows.begin(), rows.end());
    const auto at = static_cast<std::size_t>(differ.first - stored.begin());
    INFO("first difference at byte " << at << ", line " << count_lines(stored.substr(0, at)) + 1);
    const bool identical = stored == rows;
    CHECK(identical);
  }
}

std::vector<boost::json::object> audit_entries(const UplinkSite& site, std::string_view event) {
  std::vector<boost::json::object> entries;
  const std::string text = read_file(site.data_dir() / "audit.log");
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    boost::system::error_code ec;
    auto value = boost::json::parse(std::string_view(text).substr(start, end - start), ec);
    start = end + 1;
    if (ec || !value.is_object()) continue;
    const auto* name = value.as_object().if_contains("event");
    if (name != nullptr && name->is_string() && name->as_string() == event) {
      entries.push_back(std::move(value.as_object()));
    }
  }
  return entries;
}

}  // namespace ferry::test
