// Format facts shared by dot_legacy_avx2.cpp and dot_legacy_avx512.cpp. Both
// files include this under different target flags, so everything here has
// internal linkage (unnamed namespace): a weak inline symbol compiled with
// AVX-512 must never be picked by the linker for the AVX2 file.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

namespace ql::kernels::simd::legacy {
namespace {  // NOLINT: internal linkage on purpose, see above

// Block sizes in bytes.
constexpr int kQ8_0Bytes = 34;    // [d:fp16][qs:32]
constexpr int kQ4_0Bytes = 18;    // [d:fp16][qs:16]
constexpr int kMxfp4Bytes = 17;   // [e:e8m0][qs:16]
constexpr int kIq4XsBytes = 136;  // [d:fp16][scales_h:2][scales_l:4][qs:128]
constexpr int kQ8KBytes = 292;    // [d:f32][qs:256][bsums:16 x int16]

// Signed levels by 4-bit code, as int8 lookup tables (16 entries each).
// Q4_0: code - 8. IQ4_NL / IQ4_XS: the non-linear grid. MXFP4: twice the
// E2M1 value.
constexpr std::array<int8_t, 16> kQ4_0Levels = {-8, -7, -6, -5, -4, -3, -2, -1,
                                                0,  1,  2,  3,  4,  5,  6,  7};
constexpr std::array<int8_t, 16> kIq4Levels = {-127, -104, -83, -65, -49, -35, -22, -10,
                                               1,    13,   25,  38,  53,  69,  89,  113};
constexpr std::array<int8_t, 16> kFp4Doubled = {0, 1,  2,  3,  4,  6,  8,  12,
                                                0, -1, -2, -3, -4, -6, -8, -12};

inline uint16_t u16_at(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

inline uint32_t u32_at(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

inline float f32_at(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, 4);
    return v;
}

// E8M0 byte to half its scale, 2^(e - 128) (the FP4 levels are doubled).
inline float e8m0_half(uint8_t e) {
    const uint32_t bits = e < 2 ? (0x00200000u << e) : (static_cast<uint32_t>(e - 1) << 23);
    return std::bit_cast<float>(bits);
}

// Signed 6-bit IQ4_XS group scales (minus 32) of one super-block.
inline void iq4_xs_scales(const uint8_t* wb, int (&scales)[8]) {
    const unsigned high = u16_at(wb + 2);
    for (int g = 0; g < 8; ++g) {
        const unsigned low = (wb[4 + g / 2] >> (4 * (g % 2))) & 0x0fu;
        scales[g] = static_cast<int>(low | (((high >> (2 * g)) & 3u) << 4)) - 32;
    }
}

}  // namespace
}  // namespace ql::kernels::simd::legacy
