#include "common/log/log.hpp"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/ansicolor_sink.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <sys/stat.h>
#include <unistd.h>

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

// systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the stream it connected to the service's
// stderr. A process whose stderr was redirected since (`ferry status 2>file` in a shell that a
// service started) inherits the variable but no longer writes to the journal: the numbers must
// match stderr itself.
bool stderr_is_journal() {
  const char* journal = std::getenv("JOURNAL_STREAM");
  if (journal == nullptr || *journal == '\0') return false;
  unsigned long long device = 0, inode = 0;
  if (std::sscanf(journal, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat info {};
  if (::fstat(STDERR_FILENO, &info) != 0) return false;
  return static_cast<unsigned long long>(info.st_dev) == device &&
         static_cast<unsigned long long>(info.st_ino) == inode;
}

StderrStyle resolve(StderrStyle style) {
  if (style != StderrStyle::kAuto) return style;
  if (stderr_is_journal()) return StderrStyle::kJournal;
  return ::isatty(STDERR_FILENO) == 1 ? StderrStyle::kTerminal : StderrStyle::kPlain;
}

constexpr const char* kFilePattern = "%Y-%m-%dT%H:%M:%S.%eZ %l [%n] %v";

}  // namespace

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
  switch (resolve(style)) {
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
    case StderrStyle::kPlain:
    case StderrStyle::kAuto: {
      auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
      sink->set_formatter(utc_formatter(kFilePattern));
      sinks.push_back(std::move(sink));
      break;
    }
  }
  if (options.file) {
    try {
      auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          options.file->string(), static_cast<std::size_t>(options.max_size),
          static_cast<std::size_t>(options.max_files > 0 ? options.max_files - 1 : 0));
      sink->set_formatter(utc_formatter(kFilePattern));
      sinks.push_back(std::move(sink));
    } catch (const spdlog::spdlog_ex& e) {
      return make_error(ErrorCode::kIo, "cannot open log file {}: {}", options.file->string(),
                        e.what());
    }
  }
  auto dist = shared_sink();
  dist->set_sinks(std::move(sinks));
  dist->set_level(*level);
  spdlog::set_level(*level);
  spdlog::apply_all(
      [&](const std::shared_ptr<spdlog::logger>& logger) { logger->set_level(*level); });
  spdlog::set_default_logger(get("ferry"));
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
