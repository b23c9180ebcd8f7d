#include "common/config/decode.hpp"
#include "common/config/text.hpp"
#include "common/error/path_text.hpp"

namespace ferry::config::detail {

namespace {

// sun_path of struct sockaddr_un holds 108 bytes including the final NUL.
constexpr std::size_t kMaxSocketPath = 107;

// agent.metrics: "127.0.0.1:9464" or "[::1]:9464".
void decode_metrics(Context& ctx, const Entry& entry, AgentSettings& agent) {
  auto text = read_nonempty_string(ctx, entry);
  if (!text) return;
  std::string host;
  std::string port;
  if (text->rfind("[::1]:", 0) == 0) {
    host = "::1";
    port = text->substr(6);
  } else if (const auto colon = text->rfind(':'); colon != std::string::npos) {
    host = text->substr(0, colon);
    port = text->substr(colon + 1);
  }
  const bool loopback = host == "::1" || host == "localhost" || host.rfind("127.", 0) == 0;
  int number = 0;
  bool digits = !port.empty() && port.size() <= 5 &&
                port.find_first_not_of("0123456789") == std::string::npos;
  if (digits) number = std::stoi(port);
  if (host.empty() || !digits || number < 1 || number > 65535) {
    ctx.error(entry.value_at(),
              "agent.metrics '{}' is not ADDRESS:PORT; use for example 127.0.0.1:9464", *text);
    return;
  }
  if (!loopback) {
    ctx.error(entry.value_at(),
              "agent.metrics '{}' is not a loopback address: the metrics endpoint has no "
              "authentication, so it listens on 127.0.0.1 or [::1] only (scrape it from this "
              "machine, or through an authenticating proxy)",
              *text);
    return;
  }
  agent.metrics_host = host == "localhost" ? "127.0.0.1" : host;
  agent.metrics_port = static_cast<std::uint16_t>(number);
}

}  // namespace

AgentSettings decode_agent(Context& ctx, const Entry& entry) {
  AgentSettings agent;
  auto map = open_map(ctx, entry, "agent", Naming::kSection);
  if (!map) return agent;
  map->check_keys({"id", "tenant", "data_dir", "control_socket", "log", "audit", "metrics",
                   "key_rotation_period"});

  if (const Entry* id = map->require("id", " (this agent's name, such as school-042)")) {
    if (auto text = read_nonempty_string(ctx, *id)) {
      if (!is_name(*text, "._-") || *text == "." || *text == "..") {
        ctx.error(id->value_at(),
                  "agent.id '{}' may only use letters, digits, '.', '_' and '-' (it names "
                  "folders on the tenant's side)",
                  *text);
      } else {
        agent.id = std::move(*text);
      }
    }
  }
  if (const Entry* tenant = map->require("tenant", " (the tenant id your provider gave you)")) {
    if (auto text = read_nonempty_string(ctx, *tenant)) agent.tenant = std::move(*text);
  }
  if (const Entry* data_dir = map->require(
          "data_dir", " (the folder for the spool and keys, such as /var/lib/ferry)")) {
    agent.data_dir_at = data_dir->value_at();
    if (auto path = read_path(ctx, *data_dir)) agent.data_dir = std::move(*path);
  }
  const Entry* socket = map->find("control_socket");
  agent.control_socket_at = socket != nullptr ? socket->value_at() : agent.data_dir_at;
  if (socket != nullptr) {
    if (auto path = read_path(ctx, *socket)) agent.control_socket = std::move(*path);
  } else if (!agent.data_dir.empty()) {
    agent.control_socket = agent.data_dir / "control.sock";
  }
  if (agent.control_socket.native().size() > kMaxSocketPath) {
    ctx.error(socket != nullptr ? socket->value_at() : agent.data_dir_at,
              "the control socket path {} is {} characters long, more than the {} a Unix socket "
              "allows: set agent.control_socket to a shorter path",
              path_text(agent.control_socket), agent.control_socket.native().size(),
              kMaxSocketPath);
  }
  if (const Entry* log = map->find("log")) agent.log = decode_log(ctx, *log);
  if (const Entry* audit = map->find("audit")) {
    if (auto audit_map = open_map(ctx, *audit, "agent.audit", Naming::kSection)) {
      audit_map->check_keys({"retention"});
      if (const Entry* retention = audit_map->find("retention")) {
        if (auto kept = read_duration(ctx, *retention, std::chrono::hours(24))) {
          agent.audit_retention = *kept;
        }
      }
    }
  }
  if (const Entry* metrics = map->find("metrics")) decode_metrics(ctx, *metrics, agent);
  // agent.key_rotation_period: optional, at least a day.
  if (const Entry* period = map->find("key_rotation_period")) {
    if (auto due = read_duration(ctx, *period, std::chrono::hours(24))) {
      agent.key_rotation_period = *due;
    }
  }
  return agent;
}

LogSettings decode_log(Context& ctx, const Entry& entry) {
  LogSettings log;
  auto map = open_map(ctx, entry, "agent.log", Naming::kSection);
  if (!map) return log;
  map->check_keys({"level", "file", "max_size", "max_files", "max_age"});
  if (const Entry* level = map->find("level")) {
    if (auto text = read_choice(ctx, *level,
                                {"trace", "debug", "info", "warn", "error", "critical", "off"})) {
      log.level = std::move(*text);
    }
  }
  if (const Entry* file = map->find("file")) {
    if (auto path = read_path(ctx, *file)) log.file = std::move(*path);
  }
  if (const Entry* max_size = map->find("max_size")) {
    if (auto size = read_size(ctx, *max_size, 64 * 1024, std::uint64_t{1} << 40)) {
      log.max_size = *size;
    }
  }
  if (const Entry* max_files = map->find("max_files")) {
    if (auto n = read_int(ctx, *max_files, 1, 1000)) log.max_files = static_cast<int>(*n);
  }
  if (const Entry* max_age = map->find("max_age")) {
    if (auto age = read_duration(ctx, *max_age, std::chrono::hours(24))) log.max_age = *age;
  }
  return log;
}

}  // namespace ferry::config::detail
