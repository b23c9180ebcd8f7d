// ferry preview: the rows exactly as they would be sent, on stdout; nothing is spooled or sent.
#include <stop_token>

#include <fmt/format.h>

#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"
#include "agent/pipeline/stream_policy.hpp"
#include "agent/policy/compiled_policy.hpp"
#include "common/config/counted.hpp"
#include "common/error/path_text.hpp"
#include "connectors/registry/registry.hpp"

namespace ferry::cli {
namespace {

constexpr OptionSpec kOptions[] = {
    kConfigOption,
    {"source", 's', "NAME", "the source to preview (may be left out when there is one)"},
    {"stream", '\0', "NAME", "only this stream"},
    {"limit", 'n', "N", "at most N rows per stream (default: all)"},
    kHelpOption};

// Writes each transformed row as a JSON line; reports dropped columns on stderr.
class PreviewSink final : public connectors::RowSink {
 public:
  PreviewSink(const config::SourceSettings& settings, policy::TokenFactory& tokens,
              const policy::Suppression& suppression, Io& io, std::optional<std::string> stream,
              std::uint64_t limit)
      : settings_(settings),
        suppression_(suppression),
        streams_(connectors::effective_streams(settings)),
        tokens_(tokens),
        io_(io),
        only_(std::move(stream)),
        limit_(limit) {}

  Result<bool> begin_stream(const connectors::StreamInfo& info, connectors::StreamMode) override {
    policy_.reset();
    written_ = 0;
    stream_ = info.name;
    if (only_ && *only_ != info.name) return false;
    // The same set-up as a sync's, key column included: what fails there fails here.
    auto compiled = pipeline::compile_stream_policy(streams_, info, tokens_, &suppression_);
    if (!compiled) {
      stream_failed(info.name, compiled.error());
      return false;
    }
    if (!*compiled) {
      io_.err << fmt::format("{}: no field policy: nothing of this stream is sent\n", info.name);
      return false;
    }
    policy_.emplace(std::move(**compiled));
    // Which stream the rows below belong to (stdout stays the rows alone, exactly as sent).
    io_.out << std::flush;
    io_.err << fmt::format("{}: rows of stream {} of source {} follow on standard output\n",
                           info.name, info.name, settings_.name);
    if (!policy_->dropped_columns().empty()) {
      io_.err << fmt::format("{}: dropped columns: {}\n", info.name,
                             fmt::join(policy_->dropped_columns(), ", "));
    }
    // A preset covers every version of its format, so only fields written in the configuration
    // are worth a warning when the source lacks them.
    if (!policy_->missing_fields().empty() && configured_explicitly(info.name)) {
      io_.err << fmt::format("{}: policy fields not in the source: {}\n", info.name,
                             fmt::join(policy_->missing_fields(), ", "));
    }
    return true;
  }

  Result<void> row(connectors::RowView values, connectors::RowOp op) override {
    if (!policy_ || enough_rows()) return {};
    line_.clear();
    if (auto applied = policy_->apply(values, op, line_); !applied) return applied;
    if (policy_->suppressed()) return {};  // an erased subject: never sent
    line_.push_back('\n');
    io_.out << line_;
    ++written_;
    return {};
  }

  void bad_row(const connectors::BadRow& bad) override {
    io_.err << fmt::format("bad row at {}: {}\n", bad.location, bad.reason);
  }
  Result<void> end_stream(std::string_view) override {
    if (policy_ && policy_->bad_value_count() > 0) {
      io_.err << fmt::format("{}: {} in the rows shown\n", stream_,
                             config::counted(policy_->bad_value_count(), "bad value"));
      print_bad_values(policy_->bad_values(), io_);
    }
    return {};
  }
  // At the limit, the source stops reading the stream: preview never reads more than it shows.
  bool enough_rows() const override { return limit_ > 0 && written_ >= limit_; }
  void stream_failed(std::string_view stream, const Error& error) override {
    io_.err << fmt::format("{}: this stream cannot be read: {}\n", stream, error.message);
    ++failed_;
  }
  std::uint64_t failed() const { return failed_; }

  bool configured_explicitly(std::string_view stream) const {
    return std::any_of(settings_.streams.begin(), settings_.streams.end(),
                       [&](const auto& s) { return s.name == stream; });
  }
  Result<void> checkpoint(std::string_view) override { return {}; }

 private:
  const config::SourceSettings& settings_;
  const policy::Suppression& suppression_;
  std::vector<config::StreamSettings> streams_;
  policy::TokenFactory& tokens_;
  Io& io_;
  std::optional<std::string> only_;
  std::uint64_t limit_;
  std::optional<policy::CompiledPolicy> policy_;
  std::string stream_;
  std::uint64_t written_ = 0;
  std::uint64_t failed_ = 0;
  std::string line_;
};

int run(const ParsedArgs& args, Io& io) {
  std::uint64_t limit = 0;
  if (auto text = args.value("limit")) {
    try {
      limit = std::stoull(*text);
    } catch (const std::exception&) {
      return fail(io, kExitUsage,
                  fmt::format("ferry preview: --limit takes a number, not '{}'", *text));
    }
  }
  auto settings = load_settings(args, io);
  if (!settings) return kExitUsage;
  std::vector<std::string> known;
  for (const auto& source : settings->sources) known.push_back(source.name);
  // With one source, --source may be left out.
  auto name = args.value("source");
  if (!name && known.size() == 1) name = known.front();
  if (!name) {
    return fail(io, kExitUsage,
                fmt::format("ferry preview: --source NAME is required: {} has {} sources ({})",
                            path_text(settings->file), known.size(), fmt::join(known, ", ")));
  }
  const auto found = std::find_if(settings->sources.begin(), settings->sources.end(),
                                  [&](const auto& s) { return s.name == *name; });
  if (found == settings->sources.end()) {
    return fail(io, kExitUsage,
                fmt::format("no source named '{}' in {} (its sources: {})", *name,
                            path_text(settings->file), fmt::join(known, ", ")));
  }
  auto keyring = load_keyring(*settings, io);
  if (!keyring) return kExitFailure;
  auto source = connectors::create_source(
      *found, connectors::inspection_context(*found, settings->agent.data_dir));
  if (!source) return fail(io, kExitFailure, source.error().message);
  auto tokens = policy::TokenFactory::for_keyring(*keyring);
  auto suppression = policy::Suppression::load(settings->agent.data_dir);
  if (!suppression) return fail(io, kExitFailure, suppression.error().message);
  PreviewSink sink(*found, tokens, *suppression, io, args.value("stream"), limit);
  // Always from the beginning: preview shows the whole data set as the policy makes it.
  auto read = (*source)->read(connectors::ResumeState{}, sink, std::stop_token());
  if (!read)
    return fail(io, kExitFailure, fmt::format("source '{}': {}", *name, read.error().message));
  return sink.failed() > 0 ? kExitFailure : kExitOk;
}

}  // namespace

const CommandSpec& preview_command() {
  static const CommandSpec spec{
      .name = "preview",
      .summary = "print rows exactly as they would be sent; spools and sends nothing",
      .usage = "ferry preview [-c FILE] [--source NAME] [--stream S] [--limit N]",
      .details =
          "JSON lines on stdout, after every transform, with \"_op\". On stderr: the source\n"
          "columns the policy drops, policy fields the source does not have, and the bad\n"
          "values of the rows shown (per field).",
      .options = kOptions,
      .run = run};
  return spec;
}

}  // namespace ferry::cli
