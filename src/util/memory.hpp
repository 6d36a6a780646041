// Memory use of this process, from /proc/self/status (Linux).
#pragma once

#include <cstdint>

namespace ql {

// Peak resident set size (VmHWM) in bytes; 0 when it cannot be read.
uint64_t peak_rss_bytes();

// Current resident set size (VmRSS) in bytes; 0 when it cannot be read.
uint64_t current_rss_bytes();

}  // namespace ql
