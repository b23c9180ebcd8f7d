// A site for end-to-end tests of the uplink: the real `ferry` against the real `ferry-tenant`,
// over TLS on 127.0.0.1.
//
// UplinkSite is a PipelineSite (tests/integration: the folder, the export, the agent's data_dir
// and how `ferry` is run) with its ferry.yaml rewritten for the uplink, and everything else both
// sides need: the tenant's key pair
// (made by `ferry-tenant keygen`), a test CA and a server certificate for localhost/127.0.0.1
// (tests/tenant/pki), a tokens file, a generated OneRoster export (ferry-gen-oneroster), the
// agent's ferry.yaml (rewritten by configure() whenever a test changes the uplink) and its key
// file (`ferry keys init`). TenantProcess runs `ferry-tenant serve` as a child process on a port
// it picks, and can be killed and started again (on a new port) with the same out folder.
//
// Ports are never freed and bound again (another test may take one in between): an agent that
// must be configured before its tenant runs, or that must keep its address across a tenant
// restart, is pointed at a TcpProxy (tests/support/tcp_proxy.hpp), which refuses until
// forward_to(tenant.port()); one that never forwards is a port where nothing listens.
//
// FERRY_BINARY, FERRY_GEN and FERRY_TENANT (paths of the three programs) are compile definitions
// of the test executable.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fault/child_process.hpp"
#include "tests/integration/pipeline_site.hpp"
#include "tests/support/process.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/tenant/pki.hpp"

namespace ferry::test {

namespace pki = tenant::pki;

inline constexpr std::string_view kAgentId = "school-042";
inline constexpr std::string_view kTenantId = "district-7";
inline constexpr std::string_view kToken = "uplink-test-token-5f2c";

// The streams ferry-gen-oneroster writes (all sent by `preset: oneroster`).
inline constexpr const char* kStreams[] = {"orgs",  "academicSessions", "courses",     "classes",
                                           "users", "enrollments",      "demographics"};

// How the agent's ferry.yaml is written.
struct AgentConfig {
  std::uint16_t port = 0;                          // of uplink.url
  std::string host = "127.0.0.1";                  // of uplink.url
  std::optional<std::filesystem::path> ca_file{};  // default: the site's CA
  std::string token = std::string(kToken);
  std::optional<std::filesystem::path> token_file{};  // instead of `token`: a file holding it
  std::string idle_timeout = "3s";
  std::string reconnect = "{min_delay: 100ms, max_delay: 1s}";  // uplink.reconnect
  std::uint64_t max_rows = 10000;  // uplink.batch.max_rows
  std::string batch_extra{};       // more keys of uplink.batch, e.g. ", max_bytes: 1MiB"
  std::string uplink_extra{};      // more lines of uplink, each indented by two spaces
  std::string spool{};             // lines of the spool section, each indented by two spaces
  std::string log_level = "debug";
  std::string agent_extra{};  // more lines of agent, each indented by two spaces
  // The sources section's entries, each line indented by two spaces (default: source sis, the
  // generated OneRoster export).
  std::string sources{};
};

class UplinkSite {
 public:
  // Makes the folder, keys, certificates and tokens, and generates an export of `users` users.
  explicit UplinkSite(int users = 200);

  const TempDir& dir() const { return base_.dir(); }
  std::filesystem::path export_dir() const { return base_.export_dir(); }
  std::filesystem::path data_dir() const { return base_.data_dir(); }
  std::filesystem::path spool_db() const { return base_.spool_db(); }
  std::filesystem::path log_file() const { return base_.log_file(); }
  std::filesystem::path config() const { return base_.config(); }
  std::filesystem::path tenant_key() const { return dir() / "tenant.key"; }
  std::filesystem::path tokens() const { return dir() / "tokens"; }
  std::filesystem::path ca_pem() const { return dir() / "pki" / "ca.pem"; }
  std::filesystem::path server_pem() const { return dir() / "pki" / "server.pem"; }
  std::filesystem::path server_key() const { return dir() / "pki" / "server.key"; }
  std::filesystem::path tenant_out() const { return dir() / "out"; }
  const pki::Issued& ca() const { return ca_; }
  const std::string& tenant_public_key() const { return public_key_; }

  // Writes a certificate and its key as NAME.pem and NAME.key (mode 0600) under pki/; returns
  // the .pem path.
  std::filesystem::path write_cert(std::string_view name, const pki::Issued& issued) const;

  // Writes ferry.yaml. The first call also runs `ferry keys init`.
  void configure(const AgentConfig& config);

  // ferry-gen-oneroster --out <export_dir> with `args` (e.g. {"--users", "200"}).
  ProcessResult generate(const std::vector<std::string>& args) const {
    return base_.generate(args);
  }
  std::vector<std::string> ferry_argv(const std::vector<std::string>& args) const {
    return base_.ferry_argv(args);
  }
  ProcessResult ferry(const std::vector<std::string>& args) const { return base_.ferry(args); }
  ProcessResult sync(std::string_view timeout = "60s") const;
  // `ferry run` as a child process, its output in run.out; stop_run() ends it with SIGTERM and
  // checks that it exits 0.
  ChildProcess start_run() const;
  std::string run_output() const { return read_file(dir() / "run.out"); }
  void stop_run(ChildProcess& run) const;
  // What a running agent's `ferry status --json` tells of `source` (see PipelineSite).
  boost::json::object source_status(std::string_view source) const {
    return base_.source_status(source);
  }
  std::uint64_t runs_of(std::string_view source) const { return base_.runs_of(source); }
  // Whether the agent's log holds `what` at least `times` times.
  bool logged(std::string_view what, std::size_t times = 1) const;

  // What `ferry preview --source sis --stream S` prints, per stream (call while no agent runs).
  std::map<std::string, std::string> preview() const;

  // What the tenant stored for a stream of source sis ("" when it has no file).
  std::string stored(std::string_view stream) const;
  // Lines stored for every stream together.
  std::size_t stored_lines() const;
  // Bytes stored for every stream together: cheap enough to poll while the tenant writes.
  std::uintmax_t stored_bytes() const;
  // The tenant's commands.jsonl for this agent ("" when none).
  std::string commands() const;

  // Batches in the agent's spool (0 when no spool yet); read-only, also while an agent runs
  // (nullopt when it cannot be read at this instant).
  std::optional<std::uint64_t> spool_batches() const;
  // Bytes of the batches in the spool (as the spool counts them against spool.max_bytes), or
  // nullopt when it cannot be read at this instant.
  std::optional<std::uint64_t> spool_bytes() const;
  // Batches parked as rejected in the spool.
  std::uint64_t rejected_batches() const;

 private:
  PipelineSite base_;
  pki::Issued ca_;
  std::string public_key_;
  bool keys_made_ = false;
};

// `ferry-tenant serve` as a child process, listening on 127.0.0.1, serving the site's folders.
class TenantProcess {
 public:
  TenantProcess(const UplinkSite& site, std::vector<std::string> extra_args = {},
                std::filesystem::path cert = {}, std::filesystem::path key = {});

  // The --private-key files, in order, from the next start() on (default: the site's key).
  void use_private_keys(std::vector<std::filesystem::path> files) {
    private_keys_ = std::move(files);
  }
  // Starts it on a port it picks (127.0.0.1:0; a new one after a kill) and waits until it
  // listens. REQUIREs that it does within the deadline.
  void start();
  void kill();  // SIGKILL, waits until gone
  bool running() { return child_ && child_->running(); }
  ChildProcess& process() { return *child_; }

  std::uint16_t port() const { return port_; }
  std::string log() const;

 private:
  const UplinkSite& site_;
  std::vector<std::string> extra_args_;
  std::filesystem::path cert_;
  std::filesystem::path key_;
  std::vector<std::filesystem::path> private_keys_;
  std::optional<ChildProcess> child_;
  std::uint16_t port_ = 0;
};

// Lines of `text` (each ending in '\n').
std::size_t count_lines(std::string_view text);
// The lines of `text`, sorted.
std::vector<std::string> sorted_lines(std::string_view text);

// Checks (Catch CHECKs) that the tenant holds exactly `expected` (per stream, as from preview()),
// byte for byte and in the same order.
void check_stored(const UplinkSite& site, const std::map<std::string, std::string>& expected);

// Starts a tenant for an agent (`run`, from site.start_run()) that has been waiting for it at
// `front` (a TcpProxy that refused until now), points `front` at it, waits until everything
// reached it, stops the agent and checks that the tenant holds exactly `expected` and the spool
// is empty.
void deliver_to_late_tenant(const UplinkSite& site, ChildProcess& run, TcpProxy& front,
                            const std::map<std::string, std::string>& expected);

// What a stream's stored lines amount to: the last upsert of each key (sourcedId, the key of
// every OneRoster stream), deletes applied, as the sorted lines of the upserts. A last line
// without its newline (being written) is left out.
std::vector<std::string> materialized(std::string_view stored);

// Total lines and bytes of a preview() result.
std::size_t total_lines(const std::map<std::string, std::string>& rows);
std::uintmax_t total_bytes(const std::map<std::string, std::string>& rows);
// How often `what` occurs in `text`.
std::size_t count_of(std::string_view text, std::string_view what);

// The entries of the agent's audit log for `event`, oldest first.
std::vector<boost::json::object> audit_entries(const UplinkSite& site, std::string_view event);

}  // namespace ferry::test
