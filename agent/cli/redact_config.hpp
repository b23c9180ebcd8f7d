// The configuration as `ferry diagnose` puts it in a support bundle: the file as written (with its
// ${VAR} references, never their values), every secret in it replaced by "REDACTED".
//
// What counts as a secret: the value of a key whose name holds password, passwd, passphrase,
// secret, token, credential or api_key (any case), but not a key ending in _file, which names a
// file (the file is not included), or in _url (token_url: an address); the user and password of a URL (http://user:pass@host);
// the Pwd= and Password= parts of an ODBC connection string. Paths, host names, source names and
// the tenant's public key stay: they are what support needs to read.
#pragma once

#include <string>
#include <string_view>

#include "common/error/error.hpp"

namespace ferry::cli {

inline constexpr std::string_view kRedacted = "REDACTED";

// The YAML text with secrets replaced (comments are not kept). kConfig when it is not YAML.
Result<std::string> redact_config(std::string_view yaml);

}  // namespace ferry::cli
