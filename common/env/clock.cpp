#include "common/env/clock.hpp"

namespace ferry::env {

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace ferry::env
