#include "common/config/load.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/config/decode.hpp"
#include "common/config/decode_context.hpp"
#include "common/error/path_text.hpp"
#include "common/fs/read_file.hpp"

namespace ferry::config {

std::string Diagnostic::to_string() const {
  if (at.line <= 0) return fmt::format("{}: {}", path_text(file), message);
  return fmt::format("{}:{}:{}: {}", path_text(file), at.line, at.column, message);
}

namespace {

constexpr Location kStartOfFile{1, 1};

tl::unexpected<Diagnostics> one_diagnostic(const std::filesystem::path& file, Location at,
                                           std::string message) {
  return tl::unexpected(Diagnostics{Diagnostic{file, at, std::move(message)}});
}

// In file order, so that a person fixes them top to bottom; stable for ties.
void sort_by_location(Diagnostics& diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     if (a.at.line != b.at.line) return a.at.line < b.at.line;
                     return a.at.column < b.at.column;
                   });
}

// The most likely fix for a syntax error: yaml-cpp says what broke, not why.
std::string syntax_hint(const YAML::Exception& e, std::string_view yaml) {
  if (e.msg.find("anchor") != std::string::npos || e.msg.find("alias") != std::string::npos) {
    return "a value that starts with * or & must be quoted, as in schedule: \"*/15 * * * *\"";
  }
  // A tab in the indentation of the line yaml-cpp stopped at, or of the line before it.
  int line = 0;
  std::size_t start = 0;
  while (start <= yaml.size() && line <= e.mark.line) {
    const std::size_t end = std::min(yaml.find('\n', start), yaml.size());
    if (line + 1 >= e.mark.line) {
      const std::string_view text = yaml.substr(start, end - start);
      const std::string_view indent = text.substr(0, text.find_first_not_of(" \t"));
      if (indent.find('\t') != std::string_view::npos) {
        return "YAML does not allow tabs for indentation: use spaces";
      }
    }
    start = end + 1;
    ++line;
  }
  return "check the indentation and quotes here and on the lines just above";
}

}  // namespace

tl::expected<Settings, Diagnostics> load_config(const std::filesystem::path& file,
                                                const Catalog& catalog, LoadOptions options) {
  auto text = fs::read_small_file(file);
  if (!text) {
    // read_small_file says "cannot read PATH: reason"; the path is already at the line's start.
    std::string message = text.error().message;
    const std::string prefix = fmt::format("cannot read {}: ", path_text(file));
    if (message.starts_with(prefix)) {
      message = "cannot read the configuration file: " + message.substr(prefix.size());
    }
    return one_diagnostic(file, kStartOfFile, std::move(message));
  }
  return load_config_text(*text, file, catalog, options);
}

tl::expected<Settings, Diagnostics> load_config_text(std::string_view yaml,
                                                     const std::filesystem::path& file,
                                                     const Catalog& catalog, LoadOptions options) {
  // yaml-cpp reports syntax errors by exception: caught here, at the library's edge.
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::Exception& e) {
    const Location at =
        e.mark.is_null() ? kStartOfFile : Location{e.mark.line + 1, e.mark.column + 1};
    return one_diagnostic(file, at,
                          fmt::format("YAML syntax error: {} ({})", e.msg, syntax_hint(e, yaml)));
  }
  if (documents.empty() || documents.front().IsNull()) {
    return one_diagnostic(file, kStartOfFile,
                          "the file is empty: it needs at least an agent section (id, tenant, "
                          "data_dir) and an uplink section; see docs/examples/ferry.yaml");
  }
  if (documents.size() > 1) {
    return one_diagnostic(file, detail::location_of(documents[1]),
                          "the file holds more than one YAML document ('---'): keep one");
  }
  const YAML::Node& root = documents.front();
  if (!root.IsMap()) {
    return one_diagnostic(file, detail::location_of(root),
                          fmt::format("the file must be a map of sections (agent:, uplink:, "
                                      "spool:, sources:), not {}",
                                      detail::describe(root)));
  }

  detail::Context ctx(file, catalog);
  ctx.set_read_secret_files(options.read_secret_files);
  ctx.set_allow_unpinned_host_keys(options.allow_unpinned_host_keys);
  Settings settings;
  try {
    settings = detail::decode_settings(ctx, root);
  } catch (const YAML::Exception& e) {
    // Decoding only walks nodes that exist; reaching this is a bug of ours, still reported.
    ctx.error(kStartOfFile, "internal error while reading the file ({}): please report it",
              e.what());
  }
  if (ctx.error_count() > 0) {
    Diagnostics diagnostics = ctx.take_diagnostics();
    sort_by_location(diagnostics);
    return tl::unexpected(std::move(diagnostics));
  }
  return settings;
}

}  // namespace ferry::config
