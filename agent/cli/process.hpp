// What `main` sets up before any command runs, one file per system: process_posix.cpp,
// process_windows.cpp.
#pragma once

#include <string>
#include <vector>

namespace ferry::cli {

// The process as every command expects it. POSIX: nothing Ferry writes is for others, and nothing
// for its group to change (umask 027: a log file is at most 0640, a folder 0750; secrets get 0600
// and 0700 explicitly). Windows: the console prints UTF-8, and OpenSSL reads no configuration
// file (its compiled-in folder could be one any user may create: CVE-2019-1552).
void prepare_process();

// The arguments after the program's name, in UTF-8 (on Windows from the wide command line, so a
// path outside the code page arrives whole).
std::vector<std::string> arguments(int argc, char** argv);

}  // namespace ferry::cli
