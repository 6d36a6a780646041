#include "util/utf8.hpp"

#include <algorithm>

namespace ql {

namespace {

// Bytes of the sequence a lead byte starts (1 for ASCII and for stray bytes).
size_t sequence_length(unsigned char lead) {
    if ((lead & 0xE0) == 0xC0) return 2;
    if ((lead & 0xF0) == 0xE0) return 3;
    if ((lead & 0xF8) == 0xF0) return 4;
    return 1;
}

}  // namespace

size_t complete_utf8_prefix(std::string_view s) {
    const size_t n = s.size();
    for (size_t back = 1; back <= std::min<size_t>(4, n); ++back) {
        const auto byte = static_cast<unsigned char>(s[n - back]);
        if ((byte & 0xC0) == 0x80) continue;  // continuation byte: look further back
        return sequence_length(byte) > back ? n - back : n;
    }
    return n;
}

}  // namespace ql
