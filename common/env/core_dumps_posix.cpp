#include "common/env/core_dumps.hpp"

#include <cerrno>
#include <cstring>

#include <sys/prctl.h>
#include <sys/resource.h>

namespace ferry::env {

Result<void> forbid_core_dumps() {
  const rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0) {
    return make_error(ErrorCode::kIo, "cannot turn core dumps off (setrlimit): {}",
                      std::strerror(errno));
  }
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return make_error(ErrorCode::kIo, "cannot turn core dumps off (prctl): {}",
                      std::strerror(errno));
  }
  return {};
}

}  // namespace ferry::env
