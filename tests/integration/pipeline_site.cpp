#include "tests/integration/pipeline_site.hpp"

#include <stdexcept>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/crypto/base64.hpp"

namespace ferry::test {
namespace {

crypto::X25519KeyPair new_tenant_keys() {
  auto pair = crypto::x25519_generate_keypair();
  if (!pair) throw std::runtime_error("cannot make an X25519 key pair: " + pair.error().message);
  return std::move(*pair);
}

}  // namespace

PipelineSite::PipelineSite(SiteOptions options, const std::string& more_sources) : tenant_(new_tenant_keys()) {
  std::filesystem::create_directories(export_dir());
  config_ = dir_.write("ferry.yaml",
                       fmt::format(R"(agent:
  id: school-042
  tenant: district-7
  data_dir: {}
  log: {{level: {}{}}}
uplink:
  enabled: false
  tenant_public_key: "{}"
  batch: {{max_rows: {}}}
sources:
  - name: sis
    type: oneroster_csv
    path: {}
    preset: oneroster
{}{})",
                                   data_dir().string(), options.log_level,
                                   options.log_file ? ", file: " + log_file().string() : "",
                                   crypto::base64_encode(tenant_.public_key), options.max_rows,
                                   export_dir().string(), kSisStreams, more_sources));
}

ProcessResult PipelineSite::generate(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {FERRY_GEN, "--out", export_dir().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}

std::vector<std::string> PipelineSite::ferry_argv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {FERRY_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("-c");
  argv.push_back(config_.string());
  return argv;
}

ProcessResult PipelineSite::ferry(const std::vector<std::string>& args) const {
  return run_process(ferry_argv(args));
}


boost::json::object PipelineSite::source_status(std::string_view source) const {
  const auto shown = ferry({"status", "--json"});
  if (shown.exit_code != 0) return {};
  boost::system::error_code ec;
  auto value = boost::json::parse(shown.out, ec);
  if (ec || !value.is_object()) return {};
  const auto* sources = value.as_object().if_contains("sources");
  if (sources == nullptr || !sources->is_array()) return {};
  for (const auto& item : sources->as_array()) {
    if (!item.is_object()) continue;
    const auto* name = item.as_object().if_contains("name");
    if (name != nullptr && name->is_string() && name->as_string() == source) {
      return item.as_object();
    }
  }
  return {};
}

std::uint64_t PipelineSite::runs_of(std::string_view source) const {
  const auto entry = source_status(source);
  const auto* runs = entry.if_contains("runs");
  return runs != nullptr && runs->is_number() ? runs->to_number<std::uint64_t>() : 0;
}

}  // namespace ferry::test
