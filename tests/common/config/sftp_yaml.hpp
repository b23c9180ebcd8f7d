// The configuration an sftp test loads: a valid offline agent and one source with sftp keys.
#pragma once

#include <string>
#include <string_view>

namespace ferry::config::test::sftp_yaml {

constexpr std::string_view kPin = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";

// Lines 1-2 are a valid offline agent; the source starts on line 4, its sftp keys on line 7.
inline std::string with_sftp(std::string_view sftp_lines) {
  return "agent: {id: a, tenant: t, data_dir: /d}\nuplink: {enabled: false, tenant_public_key: "
         "\"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\nsources:\n"
         "  - name: sis\n"
         "    type: oneroster_csv\n"
         "    sftp:\n" +
         std::string(sftp_lines);
}

}  // namespace ferry::config::test::sftp_yaml
