// The agent's answer to a tenant's rekey_request (docs/protocol.md, "Re-key requests"): the
// tenant sends the tokens it holds for this agent, and gets maps for those the agent can reveal,
// as a rekey batch spooled like any other (docs/key-rotation.md). This is how a pseudonym that
// no source carries any more (a row gone before the rotation) is mapped: no plain value leaves.
//
// For each token: a pseudonym (p) of a key version older than the active one is revealed on site,
// trying every pseudonymize domain of the configuration (AES-SIV authenticates: a wrong domain
// fails), and made again under the active version. Counted as unknown, and never an error for the
// whole request: hash tokens (one-way), tokens of versions the keyring lacks or above the active
// one, tokens no configured domain opens, anything that is not a token, and the tokens of erased
// subjects (on the suppression list: no map is made for them). Tokens of the active version are
// counted as current. A token sent twice is mapped once, and counted each time.
//
// Threads: called on the uplink's worker thread (never its io thread: revealing and the spool's
// fsync take time); it shares the Spool (which serialises itself), and reads the keyring and the
// settings, which outlive it and do not change.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/spool/spool.hpp"
#include "common/config/settings.hpp"
#include "common/error/error.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::pipeline {

struct RekeyAnswer {
  std::uint64_t mapped = 0;
  std::uint64_t unknown = 0;
  std::uint64_t current = 0;
  std::uint64_t seq = 0;  // of the rekey batch; 0 when nothing was mapped
};

// Maps what can be mapped and spools the maps as one rekey batch of the active version (a
// request is bounded, kMaxRekeyTokens in the uplink: the batch is small). Errors: the spool (full
// with when_full: pause, say) or the crypto library; nothing is spooled then.
Result<RekeyAnswer> answer_rekey_request(spool::Spool& spool, const keys::Keyring& keyring,
                                         const config::Settings& settings,
                                         const std::vector<std::string>& tokens);

}  // namespace ferry::pipeline
