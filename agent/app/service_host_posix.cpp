// `ferry run` on Linux (service_host.hpp): systemd's Lifecycle when systemd started it as a
// Type=notify service, none otherwise. systemd stops and reloads it with signals (signals.hpp).
#include "agent/app/service_host.hpp"

#include <memory>

#include "agent/app/systemd_lifecycle.hpp"

namespace ferry::app {

int run_hosted(const std::function<int(Host&)>& agent) {
  const std::unique_ptr<Lifecycle> systemd = systemd_lifecycle();
  Host host{systemd ? *systemd : quiet_lifecycle(), false};
  return agent(host);
}

}  // namespace ferry::app
