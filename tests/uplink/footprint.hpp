// What a running process holds, read from /proc: for the reliability tests that check an agent
// leaks no file descriptor, thread or memory across faults (Linux only).
#pragma once

#include <cstddef>
#include <cstdint>

#include <sys/types.h>

namespace ferry::test {

struct Footprint {
  std::size_t fds = 0;
  std::size_t threads = 0;
  std::int64_t rss_bytes = 0;  // VmRSS
};

std::size_t threads_of(pid_t pid);

// The least file descriptors and threads of 40 looks 5 ms apart (a connection being made holds a
// socket, and the resolver a moment of a thread, at the instant of a look: the least is the
// process at rest between connections), and the resident memory after them.
Footprint footprint_at_rest(pid_t pid);

}  // namespace ferry::test
