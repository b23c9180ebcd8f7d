#include "agent/collector/source_runner.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <typeinfo>

#include <fmt/format.h>

#include "common/log/log.hpp"
#include "connectors/registry/registry.hpp"

namespace ferry::collector {
namespace {

// The type of an exception, readable ("std::out_of_range"). Its what() is not shown: it may quote
// the data that made it.
std::string exception_type(const std::exception& e) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status);
  std::string name = status == 0 && demangled != nullptr ? demangled : typeid(e).name();
  std::free(demangled);
  return name;
}

std::string failed_streams_problem(const pipeline::RunReport& report) {
  const auto failed = report.failed_streams();
  std::string problem = fmt::format("{} of {} streams failed", failed.size(), report.streams.size());
  for (const pipeline::StreamReport* stream : failed) {
    problem += fmt::format("; stream '{}': {}", stream->name, stream->error->message);
  }
  return problem;
}

std::uint64_t held_deletes(const pipeline::RunReport& report) {
  std::uint64_t held = 0;
  for (const auto& stream : report.streams) held += stream.held_deletes;
  return held;
}

}  // namespace

Result<connectors::SourceContext> agent_context(const config::SourceSettings& settings,
                                                const std::filesystem::path& data_dir,
                                                const env::Clock& clock,
                                                const env::FileSystem& file_system) {
  connectors::SourceContext context;
  context.log = log::get("source." + settings.name);
  context.clock = &clock;
  context.file_system = &file_system;
  context.scratch_dir = data_dir / "scratch" / settings.name;
  context.service_dir = data_dir;
  auto prepared = file_system.remove_all(context.scratch_dir);
  if (prepared) prepared = file_system.create_directories(context.scratch_dir);
  if (prepared) prepared = file_system.make_private(data_dir / "scratch");
  if (prepared) prepared = file_system.make_private(context.scratch_dir);
  if (!prepared) {
    return make_error(prepared.error().code, "source '{}': its scratch folder cannot be prepared: {}",
                      settings.name, prepared.error().message);
  }
  return context;
}

Result<std::unique_ptr<SourceRunner>> SourceRunner::create(const config::SourceSettings& settings,
                                                           connectors::SourceContext context,
                                                           const connectors::SourceMaker& make) {
  auto source = make ? make(settings, context) : connectors::create_source(settings, context);
  if (!source) {
    // Some connectors name the source themselves: it is named once.
    const std::string named = fmt::format("source '{}': ", settings.name);
    if (source.error().message.starts_with(named)) return tl::unexpected(source.error());
    return make_error(source.error().code, "{}{}", named, source.error().message);
  }
  return std::unique_ptr<SourceRunner>(
      new SourceRunner(settings, std::move(context), std::move(*source)));
}

SourceRunner::SourceRunner(config::SourceSettings settings, connectors::SourceContext context,
                           std::unique_ptr<connectors::Source> source)
    : settings_(std::move(settings)), context_(std::move(context)), source_(std::move(source)) {}

RunOutcome SourceRunner::run(spool::Spool& spool, policy::TokenFactory& tokens,
                             const pipeline::RunOptions& options, std::stop_token stop) {
  RunOutcome outcome;
  Result<pipeline::RunReport> report = make_error(ErrorCode::kInternal, "not run");
  try {
    report = pipeline::run_source(settings_, *source_, spool, tokens, options, stop);
  } catch (const std::exception& e) {
    report = make_error(ErrorCode::kInternal,
                        "the connector failed unexpectedly ({} escaped it); this is a bug: "
                        "please report it with the log",
                        exception_type(e));
  } catch (...) {
    report = make_error(ErrorCode::kInternal,
                        "the connector failed unexpectedly (an exception escaped it); this is a "
                        "bug: please report it with the log");
  }
  if (!report) {
    outcome.problem = report.error().message;
    if (stop.stop_requested()) {
      outcome.kind = RunEnd::Kind::kStopped;
    } else if (report.error().code == ErrorCode::kFull) {
      outcome.kind = RunEnd::Kind::kPaused;
    } else if (report.error().code == ErrorCode::kDiskFull) {
      outcome.kind = RunEnd::Kind::kPaused;
      outcome.disk_full = true;
      outcome.problem = fmt::format(
          "the disk of the data_dir is full ({}); nothing was lost: polling tries again every {} "
          "s and goes on once space is freed",
          report.error().message, kDiskFullRetry.count());
    } else {
      outcome.kind = RunEnd::Kind::kFailed;
      outcome.failure = classify(report.error().code);
    }
    return outcome;
  }
  const auto failed = report->failed_streams();
  if (!failed.empty()) {
    outcome.kind = RunEnd::Kind::kFailed;
    outcome.failure = classify(failed.front()->error->code);
    outcome.problem = failed_streams_problem(*report);
  } else if (const auto held = held_deletes(*report); held > 0) {
    outcome.problem = fmt::format(
        "{} deletes held by the mass-delete guard; check the export, then run: ferry sync "
        "--source {} --allow-mass-delete",
        held, settings_.name);
  }
  outcome.report = std::move(*report);
  return outcome;
}

}  // namespace ferry::collector
