#include "common/config/decode.hpp"
#include "common/config/did_you_mean.hpp"
#include "common/fs/read_file.hpp"
#include "common/fs/secret_file.hpp"
#include "common/config/size.hpp"
#include "common/config/text.hpp"
#include "common/config/url.hpp"
#include "common/crypto/base64.hpp"
#include "common/crypto/pem.hpp"
#include "common/crypto/x25519.hpp"

namespace ferry::config::detail {

namespace {

// Tenant commands an agent can be allowed to obey (SPEC section 6).
const std::vector<std::string>& known_commands() {
  static const std::vector<std::string> commands = {"sync_now"};
  return commands;
}

void decode_url(Context& ctx, const Entry& entry, UplinkSettings& uplink) {
  auto text = read_nonempty_string(ctx, entry);
  if (!text) return;
  const std::string lowered = to_lower(*text);
  if (lowered.starts_with("ws://")) {
    ctx.error(entry.value_at(),
              "uplink.url must start with wss://: TLS is required, and ws:// would send data "
              "unencrypted");
    return;
  }
  if (!lowered.starts_with("wss://")) {
    ctx.error(entry.value_at(),
              "uplink.url must be a wss:// URL, as in wss://ingest.example.org/v1/agent");
    return;
  }
  auto url = parse_url(*text);
  if (!url) {
    ctx.error(entry.value_at(), "uplink.url: {}", url.error().message);
    return;
  }
  if (!url->user.empty() || !url->password.empty()) {
    ctx.error(entry.value_at(),
              "uplink.url must not carry a user or password: the agent sends uplink.token instead");
    return;
  }
  uplink.url = std::move(*text);
}

// A token must fit in an HTTP header: no line breaks or other control characters.
bool valid_token(std::string_view token) {
  for (const char c : token) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

void decode_token(Context& ctx, const MapReader& map, bool required,
                  const std::filesystem::path& data_dir, UplinkSettings& uplink) {
  const Entry* token = map.find("token");
  const Entry* token_file = map.find("token_file");
  if (token != nullptr && token_file != nullptr) {
    const Entry* second = token->key_at().line > token_file->key_at().line ? token : token_file;
    ctx.error(second->key_at(), "set either uplink.token or uplink.token_file, not both");
    return;
  }
  if (token == nullptr && token_file == nullptr) {
    if (required) {
      ctx.error(map.at(),
                "missing required key 'token' in uplink (write token: ${{FERRY_TOKEN}}, or "
                "token_file: /etc/ferry/token)");
    }
    return;
  }
  if (token != nullptr) {
    auto text = read_string(ctx, *token);
    if (!text) return;
    if (text->empty()) {
      ctx.error(token->value_at(),
                "uplink.token is empty (if it comes from ${{VAR}}, that variable is set but "
                "empty)");
    } else if (!valid_token(*text)) {
      ctx.error(token->value_at(), "uplink.token contains a line break or control character");
    } else {
      uplink.token = std::move(*text);
    }
    return;
  }
  auto path = read_path(ctx, *token_file);
  if (!path) return;
  if (!ctx.read_secret_files()) {
    uplink.token_file = std::move(*path);
    return;
  }
  // A secret: private, owned by the user running Ferry (or the service account), not a link; or
  // kept by root for the agent's group (/etc/ferry/token, root:ferry 0640, as the package has it).
  auto content =
      fs::read_secret_file(*path, 64 * 1024, data_dir, fs::SecretSharing::kRootToOwnGroup);
  if (!content) {
    ctx.error(token_file->value_at(), "uplink.token_file: {}", content.error().message);
    return;
  }
  while (!content->empty() && is_ascii_space(content->back())) content->pop_back();
  if (content->empty()) {
    ctx.error(token_file->value_at(), "uplink.token_file: {} is empty: put the agent token in it",
              path->string());
  } else if (!valid_token(*content)) {
    ctx.error(token_file->value_at(),
              "uplink.token_file: {} must hold the token on one line, with nothing else",
              path->string());
  } else {
    uplink.token = std::move(*content);
    uplink.token_file = std::move(*path);
  }
}

// One public key of the tenant, given inline as `<name>` or as a file `<name>_file`.
struct PublicKeyEntry {
  std::string_view name;  // "tenant_public_key" or "tenant_next_public_key"
  std::vector<std::uint8_t>& bytes;
  std::optional<std::filesystem::path>& file;
};

// False when neither key is present (nothing decoded, nothing reported).
bool decode_public_key_entry(Context& ctx, const MapReader& map, const PublicKeyEntry& entry) {
  const std::string file_name = std::string(entry.name) + "_file";
  const Entry* key = map.find(entry.name);
  const Entry* key_file = map.find(file_name);
  if (key != nullptr && key_file != nullptr) {
    const Entry* second = key->key_at().line > key_file->key_at().line ? key : key_file;
    ctx.error(second->key_at(), "set either uplink.{} or uplink.{}, not both", entry.name,
              file_name);
    return true;
  }
  if (key == nullptr && key_file == nullptr) return false;
  if (key != nullptr) {
    auto text = read_nonempty_string(ctx, *key);
    if (!text) return true;
    auto bytes = decode_public_key(*text);
    if (!bytes) {
      ctx.error(key->value_at(), "uplink.{} {}", entry.name, bytes.error().message);
      return true;
    }
    entry.bytes = std::move(*bytes);
    return true;
  }
  auto path = read_path(ctx, *key_file);
  if (!path) return true;
  auto content = fs::read_small_file(*path, 64 * 1024);
  if (!content) {
    ctx.error(key_file->value_at(), "uplink.{}: {}", file_name, content.error().message);
    return true;
  }
  auto bytes = decode_public_key(*content);
  if (!bytes) {
    ctx.error(key_file->value_at(), "uplink.{}: {} {}", file_name, path->string(),
              bytes.error().message);
    return true;
  }
  entry.bytes = std::move(*bytes);
  entry.file = std::move(*path);
  return true;
}

void decode_tenant_key(Context& ctx, const MapReader& map, bool required, UplinkSettings& uplink) {
  const bool present = decode_public_key_entry(
      ctx, map, {"tenant_public_key", uplink.tenant_public_key, uplink.tenant_public_key_file});
  if (!present && required) {
    ctx.error(map.at(),
              "missing required key 'tenant_public_key' in uplink (the base64 public key that "
              "`ferry-tenant keygen` printed; or tenant_public_key_file); it is needed even "
              "with the uplink off, because batches are sealed to it before they are spooled");
  }
  // The tenant's next key (docs/key-rotation.md): optional; batches are sealed to it once the
  // tenant's welcome asks for it.
  decode_public_key_entry(ctx, map,
                          {"tenant_next_public_key", uplink.tenant_next_public_key,
                           uplink.tenant_next_public_key_file});
}

void decode_tls_files(Context& ctx, const MapReader& map, UplinkSettings& uplink) {
  if (const Entry* ca_file = map.find("ca_file")) uplink.ca_file = read_ca_file(ctx, *ca_file, "");
  const Entry* cert = map.find("client_cert");
  const Entry* key = map.find("client_key");
  if ((cert == nullptr) != (key == nullptr)) {
    const Entry* present = cert != nullptr ? cert : key;
    ctx.error(present->key_at(),
              "uplink.{} needs uplink.{} too: mutual TLS uses a certificate and its key together",
              present->key, cert != nullptr ? "client_key" : "client_cert");
  }
  if (cert != nullptr) uplink.client_cert = read_readable_file(ctx, *cert);
  if (key != nullptr) {
    uplink.client_key =
        ctx.read_secret_files() ? read_readable_file(ctx, *key) : read_path(ctx, *key);
  }
}

void decode_proxy(Context& ctx, const Entry& entry, UplinkSettings& uplink) {
  if (auto proxy = read_proxy(ctx, entry)) uplink.proxy = std::move(*proxy);
}

void decode_allow_commands(Context& ctx, const Entry& entry, UplinkSettings& uplink) {
  auto items = read_string_list(ctx, entry);
  if (!items) return;
  const std::vector<std::string>& known = known_commands();
  for (ListItem& item : *items) {
    if (std::find(known.begin(), known.end(), item.value) == known.end()) {
      const auto guess = did_you_mean(item.value, known);
      ctx.error(item.at, "unknown command '{}' in uplink.allow_commands ({}known: {})", item.value,
                guess ? fmt::format("did you mean '{}'? ", *guess) : "",
                join_choices(known, "and"));
      continue;
    }
    if (std::find(uplink.allow_commands.begin(), uplink.allow_commands.end(), item.value) ==
        uplink.allow_commands.end()) {
      uplink.allow_commands.push_back(std::move(item.value));
    }
  }
}

}  // namespace

Result<std::vector<std::uint8_t>> decode_public_key(std::string_view base64) {
  const std::string_view text = trim(base64);
  auto bytes = crypto::base64_decode(text);
  if (!bytes) {
    return make_error(ErrorCode::kConfig,
                      "is not valid base64: copy the public key exactly as `ferry-tenant keygen` "
                      "printed it");
  }
  if (bytes->size() != 32) {
    return make_error(ErrorCode::kConfig,
                      "decodes to {} bytes, but an X25519 public key is 32 bytes (44 base64 "
                      "characters): copy it exactly as `ferry-tenant keygen` printed it",
                      bytes->size());
  }
  // Ferry's example configurations once shipped this placeholder; nobody holds its private key.
  constexpr std::string_view kExamplePlaceholder = "ferry-example-tenant-key-32bytes";
  if (std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()) ==
      kExamplePlaceholder) {
    return make_error(ErrorCode::kConfig,
                      "is the placeholder of Ferry's example configuration, and nobody holds its "
                      "private key: batches sealed to it could never be opened. Put the tenant's "
                      "public key here: the vendor that runs the tenant gives it to you (a test "
                      "tenant's is printed by `ferry-tenant keygen`)");
  }
  if (auto usable = crypto::x25519_check_public_key(*bytes); !usable) {
    return make_error(ErrorCode::kConfig,
                      "{}: nothing sealed to it could be kept secret; copy the key the vendor "
                      "gave you exactly",
                      usable.error().message);
  }
  return std::vector<std::uint8_t>(bytes->begin(), bytes->end());
}

UplinkSettings decode_uplink(Context& ctx, const Entry& entry,
                             const std::filesystem::path& data_dir) {
  UplinkSettings uplink;
  auto map = open_map(ctx, entry, "uplink", Naming::kSection);
  if (!map) return uplink;
  map->check_keys({"enabled", "url", "token", "token_file", "tenant_public_key",
                   "tenant_public_key_file", "tenant_next_public_key",
                   "tenant_next_public_key_file", "ca_file", "client_cert", "client_key", "proxy",
                   "max_in_flight", "allow_commands", "batch", "idle_timeout", "reconnect"});

  // When `enabled` itself is wrong, whether the rest is required is unknown: say only that.
  bool enabled_known = true;
  if (const Entry* enabled = map->find("enabled")) {
    auto flag = read_bool(ctx, *enabled);
    enabled_known = flag.has_value();
    if (flag) uplink.enabled = *flag;
  }
  const bool required = uplink.enabled && enabled_known;
  // Everything present is checked even when the uplink is disabled; only requiredness depends on
  // `enabled`, so turning it back on later cannot reveal old mistakes.
  if (const Entry* url = map->find("url")) {
    decode_url(ctx, *url, uplink);
  } else if (required) {
    ctx.error(map->at(),
              "missing required key 'url' in uplink (as in url: wss://ingest.example.org/v1/agent; "
              "or enabled: false to only spool)");
  }
  decode_token(ctx, *map, required, data_dir, uplink);
  // The spool never holds plaintext: batches are sealed to the tenant's key before they are
  // written, so the key is required whether the uplink is on or off.
  decode_tenant_key(ctx, *map, enabled_known, uplink);
  decode_tls_files(ctx, *map, uplink);
  if (const Entry* proxy = map->find("proxy")) decode_proxy(ctx, *proxy, uplink);
  if (const Entry* max_in_flight = map->find("max_in_flight")) {
    if (auto n = read_int(ctx, *max_in_flight, 1, 1024))
      uplink.max_in_flight = static_cast<int>(*n);
  }
  if (const Entry* commands = map->find("allow_commands")) {
    decode_allow_commands(ctx, *commands, uplink);
  }
  if (const Entry* batch = map->find("batch")) uplink.batch = decode_batch(ctx, *batch);
  if (const Entry* idle = map->find("idle_timeout")) {
    if (auto timeout = read_duration(ctx, *idle, std::chrono::milliseconds(200))) {
      uplink.idle_timeout = *timeout;
    }
  }
  if (const Entry* reconnect = map->find("reconnect")) {
    uplink.reconnect = decode_reconnect(ctx, *reconnect);
  }
  return uplink;
}

ReconnectSettings decode_reconnect(Context& ctx, const Entry& entry) {
  ReconnectSettings reconnect;
  auto map = open_map(ctx, entry, "uplink.reconnect", Naming::kSection);
  if (!map) return reconnect;
  map->check_keys({"min_delay", "max_delay"});
  const Entry* min_delay = map->find("min_delay");
  const Entry* max_delay = map->find("max_delay");
  if (min_delay != nullptr) {
    if (auto delay = read_duration(ctx, *min_delay, std::chrono::milliseconds(10))) {
      reconnect.min_delay = *delay;
    }
  }
  if (max_delay != nullptr) {
    if (auto delay = read_duration(ctx, *max_delay, std::chrono::milliseconds(10))) {
      reconnect.max_delay = *delay;
    }
  }
  if (reconnect.max_delay < reconnect.min_delay) {
    const Entry* at = max_delay != nullptr ? max_delay : min_delay;
    ctx.error(at->value_at(), "uplink.reconnect.max_delay ({}) is shorter than min_delay ({})",
              format_duration(reconnect.max_delay), format_duration(reconnect.min_delay));
  }
  return reconnect;
}

BatchSettings decode_batch(Context& ctx, const Entry& entry) {
  BatchSettings batch;
  auto map = open_map(ctx, entry, "uplink.batch", Naming::kSection);
  if (!map) return batch;
  map->check_keys({"max_rows", "max_bytes", "max_delay"});
  if (const Entry* max_rows = map->find("max_rows")) {
    if (auto n = read_int(ctx, *max_rows, 1, 10'000'000)) {
      batch.max_rows = static_cast<std::uint64_t>(*n);
    }
  }
  if (const Entry* max_bytes = map->find("max_bytes")) {
    if (auto size = read_size(ctx, *max_bytes, 1024, std::uint64_t{1} << 30)) {
      batch.max_bytes = *size;
    }
  }
  if (const Entry* max_delay = map->find("max_delay")) {
    if (auto delay = read_duration(ctx, *max_delay, Duration(1))) batch.max_delay = *delay;
  }
  return batch;
}

}  // namespace ferry::config::detail
