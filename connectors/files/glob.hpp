// Shell-style name patterns for the file sources (csv's `files` and `folders`, sftp's paths), the
// same on every system: what fnmatch(pattern, name, FNM_PERIOD) does on Linux, which Windows does
// not have.
//   *       any run of characters, none included
//   ?       one character
//   [abc]   one of those; [a-z] a range; [!a-z] or [^a-z] one character not among them; a ']'
//           first in the set stands for itself; a '[' without a closing ']' stands for itself
//   \c      the character c itself
// A name starting with '.' is matched only by a pattern starting with '.', as on Linux. Bytes are
// compared as they are (a UTF-8 character is several of them: `?` is one byte).
#pragma once

#include <string_view>

namespace ferry::connectors::files {

bool glob_match(std::string_view pattern, std::string_view name);

}  // namespace ferry::connectors::files
