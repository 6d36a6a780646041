// The packed 6-bit scales and mins of Q4_K / Q5_K super-blocks, for the
// scalar code of the kernels layer (dot_kquants.cpp, levels*.cpp).
#pragma once

#include <cstdint>

namespace ql::kernels {

// Scale and min j (0..7) of the 12 packed bytes: bytes 0..3 / 4..7 hold
// scales / mins 0..3 in their low 6 bits and the top 2 bits of scales /
// mins 4..7; bytes 8..11 the low nibbles of scale 4..7 and (high) min 4..7.
inline void scale_min_k4(const uint8_t* packed, int j, int& scale, int& min) {
    if (j < 4) {
        scale = packed[j] & 63;
        min = packed[j + 4] & 63;
    } else {
        scale = (packed[j + 4] & 0x0f) | ((packed[j - 4] >> 6) << 4);
        min = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
    }
}

}  // namespace ql::kernels
