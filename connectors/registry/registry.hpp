// The one list of built-in connectors. Adding a connector adds one line to kConnectors in
// registry.cpp and a folder of its own; nothing registers itself behind the reader's back.
#pragma once

#include "common/config/catalog.hpp"

namespace ferry::connectors {

// Every source type's option table and the names of the built-in field-policy presets, for the
// configuration loader.
const config::Catalog& catalog();

}  // namespace ferry::connectors
