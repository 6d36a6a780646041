// IEEE half and bfloat16 conversions (round to nearest even), bit-exact with
// ggml's reference conversions.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace ql::quant {

inline float fp16_to_f32(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t mant = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);  // inf / nan
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant == 0) {
        bits = sign;
    } else {  // subnormal: value = mant * 2^-24
        float v = static_cast<float>(mant) * 0x1p-24f;
        return sign ? -v : v;
    }
    return std::bit_cast<float>(bits);
}

inline uint16_t f32_to_fp16(float f) {
    const uint32_t x = std::bit_cast<uint32_t>(f);
    const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
    const uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return sign | 0x7e00u;   // nan
    if (ax >= 0x477ff000u) return sign | 0x7c00u;  // rounds to >= 65520: inf
    if (ax >= 0x38800000u) {                       // normal half
        uint32_t m = ax - 0x38000000u;             // rebias exponent 127 -> 15
        m += 0xfffu + ((m >> 13) & 1u);            // round to nearest even
        return sign | static_cast<uint16_t>(m >> 13);
    }
    // subnormal half (or zero): value / 2^-24, rounded to nearest even
    const float scaled = std::bit_cast<float>(ax) * 0x1p24f;  // exact: power-of-two scale
    // integer part with round-half-even via the float adder
    const float rounded = (scaled + 0x1p23f) - 0x1p23f;
    return sign | static_cast<uint16_t>(rounded);
}

inline float bf16_to_f32(uint16_t h) {
    return std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
}

inline uint16_t f32_to_bf16(float f) {
    uint32_t u = std::bit_cast<uint32_t>(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 64);  // quiet nan
    return static_cast<uint16_t>((u + (0x7fffu + ((u >> 16) & 1u))) >> 16);
}

inline uint16_t load_u16(const uint8_t* p) {
    return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
inline void store_u16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v);
    p[1] = static_cast<uint8_t>(v >> 8);
}
inline uint32_t load_u32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
           static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
inline void store_u32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline float load_f32(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, 4);
    return v;
}
inline void store_f32(uint8_t* p, float v) {
    std::memcpy(p, &v, 4);
}

}  // namespace ql::quant
