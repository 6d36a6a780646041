// Small helpers shared by the SIMD dequantizers (dequant_*_avx2.cpp,
// dequant_*_avx512.cpp). Only those files include this header.
//
// Everything here has internal linkage (an unnamed namespace) on purpose:
// each file compiles its own copy with its own instruction set, so the linker
// can never hand an AVX-512 body to a caller on the AVX2 path.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace ql::quant {
namespace {  // NOLINT(google-build-namespaces): see above

inline float half_at(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

inline uint32_t u32_at(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

// IQ2 sub-block scale: d * (0.5 + code) * 0.25, rounded as the reference does.
inline float iq2_scale(float d, uint32_t code) {
    return d * (0.5f + static_cast<float>(code)) * 0.25f;
}

// Scale and min j (0..7) of a Q4_K/Q5_K super-block, packed as 6-bit pairs in 12 bytes.
inline void six_bit_scale_min(const uint8_t* s, int j, int& scale, int& min) {
    if (j < 4) {
        scale = s[j] & 63;
        min = s[j + 4] & 63;
    } else {
        scale = (s[j + 4] & 15) | (s[j - 4] >> 6) << 4;
        min = (s[j + 4] >> 4) | (s[j] >> 6) << 4;
    }
}

#ifdef __AVX2__
inline __m256i load32(const uint8_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// The k-th 2-bit field (k = 0..3) of every byte.
inline __m256i two_bit_field(__m256i bytes, int k) {
    return _mm256_and_si256(_mm256_srl_epi16(bytes, _mm_cvtsi32_si128(2 * k)), _mm256_set1_epi8(3));
}
#endif

#ifdef __AVX512F__
// 16 bytes -> 16 floats (unsigned / signed).
inline __m512 u8x16_to_ps(__m128i v) {
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(v));
}
inline __m512 i8x16_to_ps(__m128i v) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(v));
}
#endif

}  // namespace
}  // namespace ql::quant
