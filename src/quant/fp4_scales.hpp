// Scale bytes of the FP4 formats, decoded to half the scale (the E2M1 values
// are stored doubled). Shared by the formats (quant/fp4.cpp) and the dot
// products (kernels/).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace ql::quant {

// E8M0 exponent byte to the (halved) scale 2^(e - 128).
inline float e8m0_half_scale(uint8_t e) {
    const uint32_t bits = e < 2 ? (0x00200000u << e) : (static_cast<uint32_t>(e - 1) << 23);
    return std::bit_cast<float>(bits);
}

// Unsigned E4M3 scale byte (bias 7, no infinities, 0x7f = NaN read as 0) to
// the halved scale. Exact.
inline float ue4m3_half_scale(uint8_t code) {
    if (code == 0 || code == 0x7f) return 0.0f;
    const int exponent = (code >> 3) & 0xf;
    const int mantissa = code & 0x7;
    const float raw = exponent == 0
                          ? std::ldexp(static_cast<float>(mantissa), -9)
                          : std::ldexp(1.0f + static_cast<float>(mantissa) / 8.0f, exponent - 7);
    return raw * 0.5f;
}

}  // namespace ql::quant
