#include "agent/cli/context.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "agent/app/log_options.hpp"
#include "common/audit/audit_log.hpp"
#include "common/config/env_expand.hpp"
#include "common/config/load.hpp"
#include "common/env/core_dumps.hpp"
#include "common/error/path_text.hpp"
#include "connectors/registry/registry.hpp"

namespace ferry::cli {

std::filesystem::path config_path(const ParsedArgs& args) {
  if (auto given = args.value("config")) return *given;
  if (auto env = config::process_env("FERRY_CONFIG"); env && !env->empty()) {
    return std::filesystem::path(std::u8string(env->begin(), env->end()));
  }
  return default_config_path();
}

std::optional<config::Settings> load_settings(const ParsedArgs& args, Io& io,
                                              config::LoadOptions options) {
  return load_settings_from(config_path(args), io, options);
}

std::optional<config::Settings> load_settings_from(const std::filesystem::path& file, Io& io,
                                                   config::LoadOptions options) {
  auto settings = config::load_config(file, connectors::catalog(), options);
  if (!settings) {
    for (const auto& diagnostic : settings.error()) io.err << diagnostic.to_string() << '\n';
    return std::nullopt;
  }
  return std::move(*settings);
}

std::optional<keys::Keyring> load_keyring(const config::Settings& settings, Io& io) {
  // The secrets must not end up in a core dump of this process.
  if (auto off = env::forbid_core_dumps(); !off) {
    fail(io, kExitFailure, off.error().message);
    return std::nullopt;
  }
  const auto path = keys::keyring_path(settings.agent.data_dir);
  auto keyring = keys::Keyring::load(path);
  if (!keyring) {
    if (keyring.error().code == ErrorCode::kNotFound) {
      fail(io, kExitFailure,
           fmt::format("no key file at {}: run 'ferry keys init -c {}' to create one",
                       path_text(path), path_text(settings.file)));
    } else {
      fail(io, kExitFailure, keyring.error().message);
    }
    return std::nullopt;
  }
  return std::move(*keyring);
}

bool setup_logging(const config::Settings& settings, Io& io, log::StderrStyle style) {
  log::LogOptions options = app::log_options(settings);
  // Only the agent falls back to <data_dir>/logs (app/log_options.hpp): a command that prints its
  // own summary (stderr off: ferry sync) writes to agent.log.file only.
  if (style == log::StderrStyle::kOff) options.default_file.reset();
  if (auto ready = log::setup(options, style); !ready) {
    fail(io, kExitFailure, ready.error().message);
    return false;
  }
  return true;
}

Result<void> append_audit(const config::Settings& settings, std::string_view event,
                          boost::json::object fields) {
  auto log = audit::AuditLog::open(settings.agent.data_dir,
                                   audit::OpenOptions{.retention = std::nullopt, .clock = {}});
  if (!log) return tl::unexpected(log.error());
  return (*log)->append(event, std::move(fields));
}

void print_bad_values(const std::vector<policy::BadValues>& fields, Io& io) {
  for (const auto& field : fields) {
    if (field.unparsable > 0) {
      io.err << fmt::format(
          "  bad values in {}: {} written as null, as its generalize cannot read them (dates: "
          "ISO 8601, or set date_format for this field)\n",
          field.field, field.unparsable);
    }
    if (field.invalid_utf8 > 0) {
      io.err << fmt::format(
          "  bad values in {}: {} not valid UTF-8, sent with U+FFFD for the bad bytes (export "
          "the file as UTF-8)\n",
          field.field, field.invalid_utf8);
    }
  }
}

}  // namespace ferry::cli
