// UTF-8 helpers for streaming text out as it is generated.
#pragma once

#include <cstddef>
#include <string_view>

namespace ql {

// Length of the longest prefix of `s` that does not end inside a UTF-8
// sequence (a lead byte whose continuation bytes have not all arrived). Bytes
// that are not valid UTF-8 are passed through: only an incomplete tail is held.
size_t complete_utf8_prefix(std::string_view s);

}  // namespace ql
