// Secrets of the configuration, read one way for every section that has them (sftp:, the auth: of
// an API source). Their text never reaches a message: errors name the key and the file.
#include <openssl/crypto.h>

#include "common/config/decode.hpp"
#include "common/fs/secret_file.hpp"

namespace ferry::config::detail {

std::optional<std::string> read_secret_line(Context& ctx, const Entry& entry,
                                            const std::filesystem::path& data_dir,
                                            std::optional<std::filesystem::path>& path_out) {
  auto path = read_path(ctx, entry);
  if (!path) return std::nullopt;
  path_out = *path;
  if (!ctx.read_secret_files()) return std::nullopt;
  auto content =
      fs::read_secret_file(*path, kMaxSecretFileSize, data_dir, fs::SecretSharing::kRootToOwnGroup);
  if (!content) {
    ctx.error(entry.value_at(), "{}: {}", entry.label, content.error().message);
    return std::nullopt;
  }
  if (content->ends_with('\n')) content->pop_back();
  if (content->ends_with('\r')) content->pop_back();
  if (content->empty() || content->find('\n') != std::string::npos) {
    ctx.error(entry.value_at(), "{}: {} must hold the secret on one line, with nothing else",
              entry.label, path->string());
    OPENSSL_cleanse(content->data(), content->size());
    return std::nullopt;
  }
  return std::move(*content);
}

std::optional<std::string> read_inline_secret(Context& ctx, const Entry& entry) {
  auto text = read_string(ctx, entry);
  if (!text) return std::nullopt;
  if (text->empty()) {
    ctx.error(entry.value_at(),
              "{} is empty (if it comes from ${{VAR}}, that variable is set but empty)",
              entry.label);
    return std::nullopt;
  }
  return text;
}

}  // namespace ferry::config::detail
