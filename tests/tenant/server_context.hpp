// What every connection of one `ferry-tenant serve` process shares: the options, the tokens, the
// tenant's private keys and the store, plus the little process-wide state the test options and the
// byte quota need.
//
// Owned by run_serve() and outliving the io_context's run(); used only from the io_context's one
// thread, so nothing here is locked.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "common/crypto/bytes.hpp"
#include "tests/tenant/byte_quota.hpp"
#include "tests/tenant/serve_options.hpp"
#include "tests/tenant/tenant_key.hpp"
#include "tests/tenant/tenant_store.hpp"
#include "tests/tenant/tokens_file.hpp"

namespace ferry::tenant {

struct ServerContext {
  const ServeOptions& options;
  const Tokens& tokens;
  // --private-key in order, each once; the first is announced in `welcome`. Never empty.
  const std::vector<TenantKey>& keys;
  TenantStore& store;

  std::set<std::uint64_t> nacked_once;  // --nack-retry seqs already nacked in this process
  std::uint64_t next_command_id = 1;    // ids of the commands sent by --command and of the
                                        // rekey_request messages
  std::uint64_t next_session_id = 1;    // for log lines: conn=N
  ByteQuota quota;                      // --max-bytes-per-minute, across every connection
  std::vector<std::string> test_rekey_tokens;  // --rekey-request: the file's tokens
};

}  // namespace ferry::tenant
