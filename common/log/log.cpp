#include "common/log/log.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/ansicolor_sink.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "common/error/path_text.hpp"
#include "common/log/event_log.hpp"
#include "common/log/log_system.hpp"

namespace ferry::log {
namespace {

// Every component logger writes to this one sink; setup() swaps what is inside it.
std::shared_ptr<spdlog::sinks::dist_sink_mt> shared_sink() {
  static auto sink = [] {
    auto dist = std::make_shared<spdlog::sinks::dist_sink_mt>();
    dist->add_sink(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    return dist;
  }();
  return sink;
}

// Adds journald's "<N>" syslog priority in front of the line.
class JournalPriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm& /*time*/,
              spdlog::memory_buf_t& dest) override {
    static constexpr const char* kPriority[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", "<6>"};
    std::string_view prefix = kPriority[static_cast<int>(msg.level)];
    dest.append(prefix.data(), prefix.data() + prefix.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JournalPriorityFlag>();
  }
};

std::unique_ptr<spdlog::formatter> utc_formatter(const std::string& pattern) {
  return std::make_unique<spdlog::pattern_formatter>(pattern, spdlog::pattern_time_type::utc);
}

StderrStyle resolve(StderrStyle style) {
  if (style != StderrStyle::kAuto) return style;
  if (detail::stderr_is_journal()) return StderrStyle::kJournal;
  return detail::stderr_is_terminal() ? StderrStyle::kTerminal : StderrStyle::kPlain;
}

constexpr const char* kFilePattern = "%Y-%m-%dT%H:%M:%S.%eZ %l [%n] %v";

// The file the sinks write to now (current_file()).
std::mutex file_mutex;
std::optional<std::filesystem::path> chosen_file;  // guarded by file_mutex
StderrStyle chosen_style = StderrStyle::kAuto;     // guarded by file_mutex

// Sits beside the file's sink in the shared sink: as lines are written, at most once an hour,
// removes the files that max_age has passed (a rotated file stays until then, however rarely the
// log rotates).
class OldLogRemover final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  OldLogRemover(std::filesystem::path file, std::chrono::milliseconds max_age)
      : file_(std::move(file)), max_age_(max_age), last_(std::chrono::steady_clock::now()) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& /*msg*/) override {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::hours(1)) return;
    last_ = now;
    remove_old_logs(file_, max_age_, std::chrono::system_clock::now());
  }
  void flush_() override {}

 private:
  const std::filesystem::path file_;
  const std::chrono::milliseconds max_age_;
  std::chrono::steady_clock::time_point last_;
};

// Log files are made by detail::create_log_file (0640 on Linux; spdlog's fopen would give 0666
// less the umask), just before spdlog opens them, the first time and after each rotation.
spdlog::file_event_handlers created_private() {
  spdlog::file_event_handlers handlers;
  handlers.before_open = [](const spdlog::filename_t& name) { detail::create_log_file(name); };
  return handlers;
}

// The Windows service's warnings and errors, to the Event Log: the line's component and message.
class EventLogSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  EventLogSink() { set_level(spdlog::level::warn); }

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    if (message.level < spdlog::level::warn || message.level == spdlog::level::off) return;
    const std::string text = fmt::format("[{}] {}", message.logger_name, message.payload);
    report_event(message.level == spdlog::level::warn ? Event::kWarning : Event::kError, text);
  }
  void flush_() override {}
};

// The file setup() writes to, its folder made when it is the default one; nullopt for none.
Result<std::optional<std::filesystem::path>> choose_file(const LogOptions& options,
                                                         StderrStyle style) {
  if (options.file) return options.file;
  if (!options.default_file || service_manager_takes_log(style)) {
    return std::optional<std::filesystem::path>();
  }
  const std::filesystem::path folder = options.default_file->parent_path();
  std::error_code ec;
  // Only inside a folder that exists (the data_dir, which keys init or the agent makes 0700):
  // never the data_dir itself with a looser mode.
  if (!std::filesystem::is_directory(folder.parent_path(), ec)) {
    return std::optional<std::filesystem::path>();
  }
  if (auto made = detail::create_log_folder(folder); !made) {
    return make_error(ErrorCode::kIo,
                      "cannot create the log folder {}: {}: let this user write in {}, or set "
                      "agent.log.file",
                      path_text(folder), made.error().message, path_text(folder.parent_path()));
  }
  return options.default_file;
}

}  // namespace

bool service_manager_takes_log(StderrStyle style) { return style == StderrStyle::kJournal; }

std::size_t remove_old_logs(const std::filesystem::path& file, std::chrono::milliseconds max_age,
                            std::chrono::system_clock::time_point now) {
  namespace fs = std::filesystem;
  // spdlog's names: ferry.log, then ferry.1.log, ferry.2.log, ... (ferry, ferry.1, ... without
  // an extension).
  const std::string stem = path_text(file.stem());
  const std::string extension = path_text(file.extension());
  const auto ours = [&](const std::string& name) {
    if (name == path_text(file.filename())) return true;
    if (name.size() <= stem.size() + 1 + extension.size()) return false;
    if (name.compare(0, stem.size() + 1, stem + ".") != 0) return false;
    if (name.compare(name.size() - extension.size(), extension.size(), extension) != 0) {
      return false;
    }
    const std::string index =
        name.substr(stem.size() + 1, name.size() - stem.size() - 1 - extension.size());
    return index.find_first_not_of("0123456789") == std::string::npos;
  };
  std::size_t removed = 0;
  std::error_code ec;
  const fs::path folder = file.has_parent_path() ? file.parent_path() : fs::path(".");
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    if (!ours(path_text(it->path().filename()))) continue;
    std::error_code stat_error;
    if (!it->is_regular_file(stat_error)) continue;
    const auto written = fs::last_write_time(it->path(), stat_error);
    if (stat_error) continue;
    const auto last_line = std::chrono::file_clock::to_sys(written);
    if (now - last_line <= max_age) continue;
    std::error_code remove_error;
    if (fs::remove(it->path(), remove_error)) ++removed;
  }
  return removed;
}

std::optional<std::filesystem::path> current_file() {
  std::lock_guard lock(file_mutex);
  return chosen_file;
}

StderrStyle current_style() {
  std::lock_guard lock(file_mutex);
  return chosen_style;
}

Result<spdlog::level::level_enum> parse_level(std::string_view name) {
  static constexpr std::pair<std::string_view, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"critical", spdlog::level::critical},
      {"off", spdlog::level::off}};
  for (const auto& [text, level] : kLevels) {
    if (text == name) return level;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown log level '{}' (use trace, debug, info, warn, error, critical or off)",
                    name);
}

Result<void> setup(const LogOptions& options, StderrStyle style) {
  auto level = parse_level(options.level);
  if (!level) return tl::unexpected(level.error());

  std::vector<spdlog::sink_ptr> sinks;
  const StderrStyle resolved = resolve(style);
  switch (resolved) {
    case StderrStyle::kTerminal: {
      auto sink = std::make_shared<spdlog::sinks::ansicolor_stderr_sink_mt>();
      sink->set_formatter(utc_formatter("%H:%M:%S %^%l%$ [%n] %v"));
      sinks.push_back(std::move(sink));
      break;
    }
    case StderrStyle::kJournal: {
      auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
      auto formatter = std::make_unique<spdlog::pattern_formatter>();
      formatter->add_flag<JournalPriorityFlag>('*').set_pattern("%*[%n] %v");
      sink->set_formatter(std::move(formatter));
      sinks.push_back(std::move(sink));
      break;
    }
    case StderrStyle::kOff:
      break;
    case StderrStyle::kEventLog:
      sinks.push_back(std::make_shared<EventLogSink>());
      break;
    case StderrStyle::kPlain:
    case StderrStyle::kAuto: {
      auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
      sink->set_formatter(utc_formatter(kFilePattern));
      sinks.push_back(std::move(sink));
      break;
    }
  }
  auto file = choose_file(options, resolved);
  if (!file) return tl::unexpected(file.error());
  std::size_t removed = 0;
  if (*file) {
    // Before opening: a file last written longer than max_age ago goes, the current one too.
    removed = remove_old_logs(**file, options.max_age, std::chrono::system_clock::now());
    try {
      auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          (*file)->string(), static_cast<std::size_t>(options.max_size),
          static_cast<std::size_t>(options.max_files > 0 ? options.max_files - 1 : 0), false,
          created_private());
      sink->set_formatter(utc_formatter(kFilePattern));
      sinks.push_back(std::move(sink));
      sinks.push_back(std::make_shared<OldLogRemover>(**file, options.max_age));
    } catch (const spdlog::spdlog_ex& e) {
      return make_error(ErrorCode::kIo, "cannot open log file {}: {}", (*file)->string(), e.what());
    }
  }
  {
    std::lock_guard lock(file_mutex);
    chosen_file = *file;
    chosen_style = style;
  }
  auto dist = shared_sink();
  dist->set_sinks(std::move(sinks));
  dist->set_level(*level);
  spdlog::set_level(*level);
  spdlog::apply_all(
      [&](const std::shared_ptr<spdlog::logger>& logger) { logger->set_level(*level); });
  spdlog::set_default_logger(get("ferry"));
  if (removed > 0) {
    get("ferry")->info(
        "old log files removed count={} max_age_days={}", removed,
        std::chrono::duration_cast<std::chrono::hours>(options.max_age).count() / 24);
  }
  return {};
}

std::shared_ptr<spdlog::logger> get(std::string_view component) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  const std::string name(component);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, shared_sink());
  logger->set_level(spdlog::get_level());
  // Every line is written through at once: the agent logs events, not rows, so lines are few, and
  // an operator tailing the file (or a crash) must not miss the last ones.
  logger->flush_on(spdlog::level::trace);
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace ferry::log
