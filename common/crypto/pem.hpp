// PEM certificates, read the way OpenSSL reads a CA file: used to refuse, at validation time, a
// file configured as trusted certificates (uplink.ca_file) that holds none, instead of failing
// only when the agent first connects.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/error/error.hpp"

namespace ferry::crypto {

// How many X.509 certificates `pem` holds ("-----BEGIN CERTIFICATE-----" blocks that parse).
// kInvalidArgument, naming the problem, when it holds none or a block does not parse.
Result<std::size_t> count_pem_certificates(std::string_view pem);

}  // namespace ferry::crypto
