// Names from the network (agent ids, sources, streams) become folder and file names under the
// output directory; only names that cannot climb out of it or hide are accepted.
#pragma once

#include <string_view>

namespace ferry::tenant {

// True for a non-empty name of [A-Za-z0-9._-] that is not "." or "..".
bool is_safe_path_part(std::string_view name);

}  // namespace ferry::tenant
