#include "agent/pipeline/rekey_request.hpp"

#include <string_view>
#include <unordered_map>

#include "agent/pipeline/rekey_maps.hpp"
#include "agent/policy/suppression.hpp"
#include "common/crypto/tokens.hpp"

namespace ferry::pipeline {
namespace {

// An erasure that lands between reading the suppression list and the commit: the commit is
// refused (Commit::erasures) and the answer made again with the new list, at most this often.
constexpr int kAttempts = 3;

enum class Fate { kMapped, kUnknown, kCurrent };

}  // namespace

Result<RekeyAnswer> answer_rekey_request(spool::Spool& spool, const keys::Keyring& keyring,
                                         const config::Settings& settings,
                                         const std::vector<std::string>& tokens) {
  const std::uint32_t active = keyring.active_version();
  const std::vector<std::string> domains = candidate_domains(settings, "", "");
  for (int attempt = 1;; ++attempt) {
    auto erasures = spool.erasures();
    if (!erasures) return tl::unexpected(erasures.error());
    auto suppression = policy::Suppression::load(settings.agent.data_dir);
    if (!suppression) return tl::unexpected(suppression.error());

    RekeyAnswer answer;
    Pseudonymizers pseudonymizers(keyring);
    MapBatches batches(active);
    std::unordered_map<std::string_view, Fate> seen;
    std::string made;
    for (const std::string& old : tokens) {
      auto [at, first] = seen.try_emplace(old, Fate::kUnknown);
      if (first) {
        auto version = crypto::token_version(old);
        if (old.starts_with('p') && version && *version == active) {
          at->second = Fate::kCurrent;
        } else if (old.starts_with('p') && version && *version < active &&
                   !suppression->contains(old)) {
          auto revealed = pseudonymizers.reveal(old, domains);
          if (!revealed) return tl::unexpected(revealed.error());
          if (*revealed) {
            const auto& [domain, value] = **revealed;
            made.clear();
            if (auto ok = pseudonymizers.pseudonymize(active, domain, value, made); !ok) {
              return tl::unexpected(ok.error());
            }
            if (!suppression->contains(made)) {
              batches.add({domain, old, made});
              at->second = Fate::kMapped;
            }
          }
        }
      }
      switch (at->second) {
        case Fate::kMapped:
          ++answer.mapped;
          break;
        case Fate::kUnknown:
          ++answer.unknown;
          break;
        case Fate::kCurrent:
          ++answer.current;
          break;
      }
    }
    if (batches.maps() == 0) return answer;
    auto made_batches = batches.take(true);
    if (!made_batches) return tl::unexpected(made_batches.error());
    spool::Commit commit;
    commit.batches = std::move(*made_batches);
    commit.erasures = *erasures;
    auto seqs = spool.commit(commit);
    if (!seqs && seqs.error().code == ErrorCode::kConflict && attempt < kAttempts) continue;
    if (!seqs) return tl::unexpected(seqs.error());
    answer.seq = seqs->front();
    return answer;
  }
}

}  // namespace ferry::pipeline
