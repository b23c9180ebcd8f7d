// A site for end-to-end tests of the real `ferry` binary: a temporary folder holding a generated
// OneRoster export (ferry-gen-oneroster), a data_dir, a configuration with `preset: oneroster`
// and the uplink off, and the tenant's X25519 key pair, made fresh by the test so that the test,
// and only the test, can open what the agent spools.
//
// FERRY_BINARY and FERRY_GEN (paths of the two programs) are compile definitions of the test
// executables that use this file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "common/crypto/x25519.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::test {

// The `streams:` lines of the "sis" source in test sites: the preset, plus person names
// pseudonymized (extends: preset; the preset alone drops them), so that tests can follow a
// renamed user through change detection.
inline constexpr std::string_view kSisStreams =
    "    streams:\n"
    "      users:\n"
    "        extends: preset\n"
    "        fields:\n"
    "          givenName: {transform: pseudonymize, domain: name}\n"
    "          familyName: {transform: pseudonymize, domain: name}\n"
    "          middleName: {transform: pseudonymize, domain: name}\n";

struct SiteOptions {
  std::uint64_t max_rows = 10000;  // uplink.batch.max_rows
  std::string log_level = "debug";
  bool log_file = true;  // false: no agent.log.file (the agent's default file applies)
};

class PipelineSite {
 public:
  // `more_sources`: YAML of further sources, appended under `sources:` after the "sis" OneRoster
  // source (each item indented by two spaces, as "  - name: ...").
  explicit PipelineSite(SiteOptions options = {}, const std::string& more_sources = "");

  const TempDir& dir() const { return dir_; }
  std::filesystem::path export_dir() const { return dir_ / "export"; }
  std::filesystem::path data_dir() const { return dir_ / "data"; }
  std::filesystem::path spool_db() const { return data_dir() / "spool.db"; }
  std::filesystem::path log_file() const { return dir_ / "log" / "ferry.log"; }
  const std::filesystem::path& config() const { return config_; }
  const crypto::X25519KeyPair& tenant() const { return tenant_; }

  // Runs ferry-gen-oneroster --out <export_dir> with `args` (e.g. {"--users", "200"}).
  ProcessResult generate(const std::vector<std::string>& args) const;
  // The argv of `ferry ARGS... -c <config>`, for tests that start the process themselves.
  std::vector<std::string> ferry_argv(const std::vector<std::string>& args) const;
  ProcessResult ferry(const std::vector<std::string>& args) const;

  // What a running agent tells of `source` in `ferry status --json` (SPEC section 8): its entry
  // under "sources", or an empty object while no agent answers or the source is not listed.
  // Tests wait on this, never on the log's wording.
  boost::json::object source_status(std::string_view source) const;
  // The entry's "runs": runs of `source` ended since the agent started (0 while none answers).
  std::uint64_t runs_of(std::string_view source) const;

 private:
  TempDir dir_;
  crypto::X25519KeyPair tenant_;
  std::filesystem::path config_;
};

}  // namespace ferry::test
