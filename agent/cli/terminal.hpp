// Asking the person at the terminal: a passphrase (not echoed) or a yes/no answer. "A terminal"
// is standard input being one: under cron, systemd, a pipe or a script there is none, and the
// commands that would ask (`keys export`, `keys import`, `keys rotate`) need their flag instead
// (--passphrase-file, --yes). Prompts go to standard error, so standard output stays clean.
//
// Echo is turned off only while a passphrase is read, and turned on again on every path,
// including SIGINT, SIGTERM, SIGHUP and SIGQUIT during the read (the signal then does what it
// would have done). One prompt at a time: not for use from several threads.
#pragma once

#include <string_view>

#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"

namespace ferry::cli {

// True when standard input is a terminal.
bool have_terminal();

// Prints `prompt` on standard error and reads one line from the terminal with echo off, without
// its line end, into wiped memory. kUnavailable without a terminal; kInvalidArgument for a line
// longer than `max_size` bytes; kIo at end of input (Ctrl-D).
Result<crypto::SecureBytes> read_passphrase(std::string_view prompt, std::size_t max_size);

// Prints `question` (ending in "[y/N] ") and reads one line; true for "y" or "yes" (any case).
// kUnavailable without a terminal; false at end of input.
Result<bool> confirm(std::string_view question);

}  // namespace ferry::cli
