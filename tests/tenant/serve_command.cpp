// ferry-tenant serve: checks the command line into ServeOptions and hands over to run_serve().
#include <charconv>

#include <fmt/format.h>

#include "agent/cli/args.hpp"
#include "common/config/duration.hpp"
#include "common/config/size.hpp"
#include "common/log/log.hpp"
#include "tests/tenant/server.hpp"
#include "tests/tenant/tenant_cli.hpp"

namespace ferry::tenant {
namespace {

constexpr cli::OptionSpec kOptions[] = {
    {"listen", 'l', "HOST:PORT", "address to listen on (port 0 picks a free port)"},
    {"cert", '\0', "FILE", "server certificate chain, PEM"},
    {"key", '\0', "FILE", "server certificate's private key, PEM"},
    {"client-ca", '\0', "FILE", "require client certificates signed by this CA (mutual TLS)"},
    {"private-key", '\0', "FILE",
     "tenant private key from 'ferry-tenant keygen'; repeatable: the first is announced", true},
    {"tokens", '\0', "FILE", "agent tokens: one '<agent_id> <tenant_id> <token>' a line"},
    {"out", 'o', "DIR", "output folder: rows, erase lines, commands and tenant.db"},
    {"log-level", '\0', "LEVEL", "trace, debug, info (default), warn, error"},
    {"max-batch-bytes", '\0', "SIZE",
     "refuse for good a batch that decompresses to more than SIZE (default 64MiB)"},
    {"max-bytes-per-minute", '\0', "SIZE",
     "per agent: past SIZE decompressed in a minute, nack with retry (default: no quota)"},
    {"ack-delay", '\0', "DUR", "test: wait DUR (500ms, 3s) before each ack; reading goes on"},
    {"drop-after", '\0', "N",
     "test: after storing N batches on a connection, drop it without the Nth ack"},
    {"nack-retry", '\0', "SEQ", "test: nack SEQ with retry:true the first time it arrives", true},
    {"reject", '\0', "SEQ", "test: nack SEQ with retry:false and settle it as rejected", true},
    {"refuse-tokens", '\0', "", "test: answer 401 to every upgrade"},
    {"no-subprotocol", '\0', "", "test: accept upgrades without selecting ferry.v1"},
    {"tls12-only", '\0', "", "test: serve TLS 1.2 only (agents must refuse it)"},
    {"command", '\0', "sync_now[:SOURCE]", "test: send this command after each welcome", true},
    {"rekey-request", '\0', "FILE",
     "test: send the tokens of FILE (one a line) as one rekey_request after each welcome"},
    {"help", 'h', "", "show this help"},
};

constexpr std::string_view kHelp =
    "Usage: ferry-tenant serve --listen HOST:PORT --cert FILE --key FILE --private-key FILE\n"
    "                          --tokens FILE --out DIR [OPTIONS]\n"
    "\n"
    "Accepts agents over WebSocket (TLS 1.3, subprotocol ferry.v1), stores their batches under\n"
    "DIR exactly once and acknowledges them (docs/protocol.md, docs/tenant.md). Prints\n"
    "'ferry-tenant: listening on HOST:PORT' once listening; stops on SIGTERM or SIGINT.\n"
    "\n"
    "Rotating the tenant key: --private-key NEW.key --private-key OLD.key asks agents to seal\n"
    "to NEW (those configured with it as uplink.tenant_next_public_key switch) and still opens\n"
    "what they spooled under OLD (docs/protocol.md, \"Rotating the tenant's key\").\n"
    "\n";

Result<std::uint64_t> parse_count(std::string_view option, std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
    return make_error(ErrorCode::kInvalidArgument, "--{} '{}': expected a whole number", option,
                      text);
  }
  return value;
}

// A size option (8MiB, 512KiB, as in the configuration file) that must be more than 0.
Result<std::uint64_t> parse_positive_size(std::string_view option, std::string_view text,
                                          std::string_view zero_hint) {
  auto size = config::parse_size(text);
  if (!size) return with_context(size.error(), fmt::format("--{}", option));
  if (*size == 0) {
    return make_error(ErrorCode::kInvalidArgument, "--{} must be more than 0{}", option, zero_hint);
  }
  return *size;
}

Result<ServeOptions> to_options(const cli::ParsedArgs& args) {
  ServeOptions options;
  for (std::string_view required : {"listen", "cert", "key", "private-key", "tokens", "out"}) {
    if (!args.value(required) || args.value(required)->empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "--{} is required (see 'ferry-tenant serve --help')", required);
    }
  }
  if (!args.positionals().empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "unexpected argument '{}' (see 'ferry-tenant serve --help')",
                      args.positionals().front());
  }
  auto listen = parse_listen_address(*args.value("listen"));
  if (!listen) return tl::unexpected(listen.error());
  options.listen = *listen;
  options.cert_file = *args.value("cert");
  options.key_file = *args.value("key");
  if (auto ca = args.value("client-ca")) options.client_ca_file = *ca;
  for (const auto& file : args.values("private-key")) {
    if (file.empty()) {
      return make_error(ErrorCode::kInvalidArgument, "--private-key needs a FILE");
    }
    options.private_key_files.emplace_back(file);
  }
  options.tokens_file = *args.value("tokens");
  options.out_dir = *args.value("out");
  if (auto max = args.value("max-batch-bytes")) {
    auto size = parse_positive_size("max-batch-bytes", *max, "");
    if (!size) return tl::unexpected(size.error());
    options.max_batch_bytes = *size;
  }
  if (auto quota = args.value("max-bytes-per-minute")) {
    auto size = parse_positive_size("max-bytes-per-minute", *quota, " (leave it out for no quota)");
    if (!size) return tl::unexpected(size.error());
    options.max_bytes_per_minute = *size;
  }
  if (auto delay = args.value("ack-delay")) {
    auto parsed = config::parse_duration(*delay);
    if (!parsed) return with_context(parsed.error(), "--ack-delay");
    options.ack_delay = *parsed;
  }
  if (auto drop = args.value("drop-after")) {
    auto count = parse_count("drop-after", *drop);
    if (!count) return tl::unexpected(count.error());
    if (*count == 0) {
      return make_error(ErrorCode::kInvalidArgument, "--drop-after must be 1 or more");
    }
    options.drop_after = *count;
  }
  for (const auto& seq : args.values("nack-retry")) {
    auto value = parse_count("nack-retry", seq);
    if (!value) return tl::unexpected(value.error());
    options.nack_retry_seqs.insert(*value);
  }
  for (const auto& seq : args.values("reject")) {
    auto value = parse_count("reject", seq);
    if (!value) return tl::unexpected(value.error());
    options.reject_seqs.insert(*value);
  }
  if (auto file = args.value("rekey-request")) options.rekey_request_file = *file;
  options.refuse_tokens = args.has("refuse-tokens");
  options.no_subprotocol = args.has("no-subprotocol");
  options.tls12_only = args.has("tls12-only");
  for (const auto& command : args.values("command")) {
    constexpr std::string_view kName = "sync_now";
    std::string_view text = command;
    if (text == kName) {
      options.commands.emplace_back();
    } else if (text.starts_with("sync_now:")) {
      options.commands.emplace_back(text.substr(kName.size() + 1));
    } else {
      return make_error(ErrorCode::kInvalidArgument,
                        "--command '{}': only sync_now or sync_now:SOURCE is known", command);
    }
  }
  return options;
}

}  // namespace

int run_serve_command(std::span<const std::string> args, Io& io) {
  int exit_code = kExitOk;
  auto parsed = parse_subcommand(args, kOptions, "serve", kHelp, io, exit_code);
  if (!parsed) return exit_code;
  auto options = to_options(*parsed);
  if (!options) {
    io.err << "ferry-tenant serve: " << options.error().message << "\n";
    return kExitUsage;
  }
  log::LogOptions log_options;
  log_options.level = parsed->value("log-level").value_or("info");
  if (auto logging = log::setup(log_options); !logging) {
    io.err << "ferry-tenant serve: --log-level: " << logging.error().message << "\n";
    return kExitUsage;
  }
  return run_serve(*options, io.out, io.err);
}

}  // namespace ferry::tenant
