#include "util/memory.hpp"

#include <cstdio>
#include <cstring>

namespace ql {

namespace {

// The value of a "Key:   1234 kB" line of /proc/self/status, in bytes.
uint64_t status_field_bytes(const char* key) {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return 0;
    const size_t key_len = std::strlen(key);
    char line[256];
    uint64_t bytes = 0;
    while (std::fgets(line, sizeof line, f)) {
        if (std::strncmp(line, key, key_len) != 0 || line[key_len] != ':') continue;
        unsigned long long kib = 0;
        if (std::sscanf(line + key_len + 1, "%llu", &kib) == 1) bytes = kib * 1024ULL;
        break;
    }
    std::fclose(f);
    return bytes;
}

}  // namespace

uint64_t peak_rss_bytes() {
    return status_field_bytes("VmHWM");
}

uint64_t current_rss_bytes() {
    return status_field_bytes("VmRSS");
}

}  // namespace ql
