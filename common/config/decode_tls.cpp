// What the uplink and the API sources decode alike: a CA file and an HTTP CONNECT proxy.
#include "common/config/decode.hpp"
#include "common/config/url.hpp"
#include "common/crypto/pem.hpp"
#include "common/fs/read_file.hpp"

namespace ferry::config::detail {

std::optional<std::filesystem::path> read_readable_file(Context& ctx, const Entry& entry) {
  auto path = read_path(ctx, entry);
  if (!path) return std::nullopt;
  if (auto readable = fs::check_readable(*path); !readable) {
    ctx.error(entry.value_at(), "{}: {}", entry.label, readable.error().message);
    return std::nullopt;
  }
  return path;
}

std::optional<std::filesystem::path> read_ca_file(Context& ctx, const Entry& entry,
                                                  std::string_view server) {
  auto path = read_readable_file(ctx, entry);
  if (!path) return std::nullopt;
  auto text = fs::read_small_file(*path, 16 * 1024 * 1024);
  if (!text) {
    ctx.error(entry.value_at(), "{}: {}", entry.label, text.error().message);
    return std::nullopt;
  }
  if (!server.empty() && text->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    ctx.error(entry.value_at(),
              "{}: {} holds no PEM certificate (no \"-----BEGIN CERTIFICATE-----\" line): give "
              "the certificate of the CA that signed {} certificate, in PEM form",
              entry.label, path->string(), server);
    return std::nullopt;
  }
  if (auto certificates = crypto::count_pem_certificates(*text); !certificates) {
    ctx.error(entry.value_at(), "{}: {} {}", entry.label, path->string(),
              certificates.error().message);
    return std::nullopt;
  }
  return path;
}

std::optional<std::string> read_proxy(Context& ctx, const Entry& entry) {
  auto text = read_nonempty_string(ctx, entry);
  if (!text) return std::nullopt;
  auto url = parse_url(*text);
  const bool ok =
      url && url->scheme == "http" && url->port != 0 && (url->target == "/" || url->target.empty());
  if (!ok) {
    // The value may hold a password: describe the expected shape, never echo it.
    ctx.error(entry.value_at(),
              "{} must be an HTTP CONNECT proxy written http://[user:pass@]host:port, as in "
              "http://proxy.school.lan:3128{}",
              entry.label, url ? "" : fmt::format(" ({})", url.error().message));
    return std::nullopt;
  }
  return text;
}

}  // namespace ferry::config::detail
