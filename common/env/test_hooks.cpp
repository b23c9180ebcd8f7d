#include "common/env/test_hooks.hpp"

namespace ferry::env::test_hooks {

void (*on_liveness_probe)(std::string_view loop) = nullptr;
void (*on_crash_point)(std::string_view point) = nullptr;

}  // namespace ferry::env::test_hooks
