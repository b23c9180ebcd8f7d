// The CommandSpec of each command, defined in its own file.
#pragma once

#include "agent/cli/command.hpp"

namespace ferry::cli {

const CommandSpec& validate_command();
const CommandSpec& keys_init_command();
const CommandSpec& keys_rotate_command();
const CommandSpec& keys_list_command();
const CommandSpec& keys_export_command();
const CommandSpec& keys_import_command();
const CommandSpec& pseudonymize_command();
const CommandSpec& reveal_command();
const CommandSpec& sync_command();
const CommandSpec& preview_command();
const CommandSpec& run_command();
const CommandSpec& status_command();
const CommandSpec& check_command();
const CommandSpec& erase_command();
const CommandSpec& audit_verify_command();
const CommandSpec& audit_show_command();
const CommandSpec& diagnose_command();
const CommandSpec& service_install_command();
const CommandSpec& service_uninstall_command();
const CommandSpec& service_start_command();
const CommandSpec& service_stop_command();

}  // namespace ferry::cli
