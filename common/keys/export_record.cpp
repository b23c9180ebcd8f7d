#include "common/keys/export_record.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/error/path_text.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/fs/read_file.hpp"

namespace ferry::keys {
namespace {

namespace json = boost::json;

constexpr std::string_view kRecordFormat = "ferry-keys-exported-1";

}  // namespace

std::filesystem::path export_record_path(const std::filesystem::path& data_dir) {
  return data_dir / "keys-exported.json";
}

Result<void> write_export_record(const std::filesystem::path& data_dir,
                                 const ExportRecord& record) {
  json::object document;
  document["format"] = kRecordFormat;
  document["exported"] = record.exported;
  document["active"] = record.active;
  document["active_created"] = record.active_created;
  document["versions"] = record.versions;
  return fs::write_file_atomically(export_record_path(data_dir), json::serialize(document) + "\n",
                                   fs::Access::kOwnerOnly);
}

Result<std::optional<ExportRecord>> read_export_record(const std::filesystem::path& data_dir) {
  const auto path = export_record_path(data_dir);
  auto text = fs::read_small_file(path, 64 * 1024);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) return std::optional<ExportRecord>{};
    return tl::unexpected(text.error());
  }
  const auto damaged = [&] {
    return make_error(ErrorCode::kCorrupt,
                      "{} is damaged: run 'ferry keys export' again, which writes it anew",
                      path_text(path));
  };
  boost::system::error_code ec;
  json::value root = json::parse(*text, ec);
  if (ec || !root.is_object()) return damaged();
  const json::object& object = root.get_object();
  const auto* format = object.if_contains("format");
  const auto* exported = object.if_contains("exported");
  const auto* active = object.if_contains("active");
  const auto* created = object.if_contains("active_created");
  const auto* versions = object.if_contains("versions");
  if (format == nullptr || !format->is_string() || format->get_string() != kRecordFormat ||
      exported == nullptr || !exported->is_string() || active == nullptr || !active->is_number() ||
      created == nullptr || !created->is_string() || versions == nullptr ||
      !versions->is_number()) {
    return damaged();
  }
  ExportRecord record;
  record.exported = std::string(exported->get_string());
  record.active_created = std::string(created->get_string());
  boost::system::error_code number_ec;
  record.active = active->to_number<std::uint32_t>(number_ec);
  if (number_ec) return damaged();
  record.versions = versions->to_number<std::uint32_t>(number_ec);
  if (number_ec) return damaged();
  return std::optional<ExportRecord>(std::move(record));
}

bool holds_active_key(const ExportRecord& record, const Keyring& keyring) {
  return record.active == keyring.active_version() &&
         record.active_created == keyring.active().created;
}

}  // namespace ferry::keys
