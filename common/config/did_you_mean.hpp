// Suggestions for misspelt keys and values: "unknown key 'max_infligth' (did you mean
// 'max_in_flight'?)".
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::config {

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring characters each cost 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate most likely meant by `word`, compared without regard to ASCII case: distance at
// most 1 for words up to 4 characters, at most 2 beyond. Ties go to the earlier candidate.
std::optional<std::string> did_you_mean(std::string_view word,
                                        const std::vector<std::string>& candidates);

}  // namespace ferry::config
