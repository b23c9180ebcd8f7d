// The deterministic source of the reliability tests' oracle (docs/reliability.md): rows.csv with
// rows numbered 1..count, each with an id ("r000001") and a payload derived from its number, read
// by a csv source "sis" whose stream "rows" pseudonymizes the id and keeps the rest; and the
// check of what the tenant stored for it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tests/uplink/uplink_site.hpp"

namespace ferry::test {

// The payload of row n: 32 hex digits derived from n.
std::string payload_of(std::uint64_t n);
// Writes `folder`/rows.csv with rows 1..count (replacing it).
void write_rows(const std::filesystem::path& folder, std::uint64_t count);
// The sources entry (UplinkSite's AgentConfig::sources) that reads it.
std::string numbered_source(const std::filesystem::path& folder);
// Each problem with what the tenant stored for rows 1..count: a row missing, stored twice, with
// other content or its id in plain text, of an erased subject, or never in the source.
std::vector<std::string> check_rows_once(std::string_view stored, std::uint64_t count,
                                         const std::set<std::uint64_t>& erased = {});

// The reliability tests' site: a running ferry-tenant, and `rows` numbered rows in
// dir()/numbered as the agent's only source (batches of 10 rows, log level info). `tailor`
// changes the configuration before it is written: its port is the tenant's unless `tailor` sets
// another (a fault proxy's).
class NumberedSite {
 public:
  explicit NumberedSite(std::uint64_t rows,
                        const std::function<void(AgentConfig&)>& tailor = nullptr);

  UplinkSite site{10};
  TenantProcess tenant{site};
  const std::filesystem::path folder;

  // Rows the tenant stored for the numbered stream (duplicates included).
  std::size_t rows_at_tenant() const;
  // A plain `ferry sync` delivers what is left (REQUIREd); then the tenant must hold rows
  // 1..count exactly once, none of `erased` (CHECKed, each problem named), and the spool nothing.
  void sync_and_check(std::uint64_t count, const std::set<std::uint64_t>& erased = {}) const;
  // Whether a spool was moved aside as damaged (spool.db.corrupt-*): never after a mere crash.
  bool has_damaged_spool() const;
};

}  // namespace ferry::test
