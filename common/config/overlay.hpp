// A preset's streams with the ones written in the configuration laid over them: the streams a
// source with `preset:` reads and the policies it applies (docs/configuration.md, `extends`).
#pragma once

#include <vector>

#include "common/config/settings.hpp"

namespace ferry::config {

// Each configured stream replaces the preset's stream of its name as a whole, or, with
// `extends: preset`, changes only what it writes: its fields (in place, or added), its key and
// default when written, and its options one by one. Streams the preset lacks are added.
std::vector<StreamSettings> overlay_streams(std::vector<StreamSettings> preset,
                                            const std::vector<StreamSettings>& configured);

}  // namespace ferry::config
