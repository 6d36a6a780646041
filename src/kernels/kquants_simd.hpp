// Scalar helpers shared by the SIMD k-quant dot products
// (dot_kquants_avx2.cpp, dot_kquants_avx512.cpp). Only those files include it.
//
// Everything has internal linkage (an unnamed namespace): each file compiles
// its own copy with its own instruction set, so the linker can never hand an
// AVX-512 body to the AVX2 path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ql::kernels::simd {
namespace {  // NOLINT(google-build-namespaces): see above

// Q8_K activation block: [d: f32][qs: 256 x int8][bsums: 16 x int16].
constexpr size_t kQ8KBlockBytes = 292;
constexpr size_t kQ8KQs = 4;
constexpr size_t kQ8KBsums = 260;
constexpr int kSuperBlock = 256;

inline uint64_t load_u64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

inline uint32_t load_u32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

inline float load_f32(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, 4);
    return v;
}

// The eight 6-bit scales and eight 6-bit mins of a Q4_K / Q5_K super-block
// (12 packed bytes), one per byte: scale j in byte j of `scales`.
// Bytes 0..3 hold scale 0..3 (low 6 bits) and, in their top two bits, the high
// bits of scale 4..7; bytes 4..7 the same for the mins; bytes 8..11 the low
// nibbles of scale 4..7 (low) and min 4..7 (high).
struct ScalesMins {
    uint64_t scales;
    uint64_t mins;
};

inline ScalesMins unpack_k4_scales(const uint8_t* packed) {
    constexpr uint32_t k6 = 0x3f3f3f3f, k4 = 0x0f0f0f0f, k2 = 0x03030303;
    const uint32_t a = load_u32(packed), b = load_u32(packed + 4), c = load_u32(packed + 8);
    const uint32_t s_lo = a & k6, m_lo = b & k6;
    const uint32_t s_hi = (c & k4) | (((a >> 6) & k2) << 4);
    const uint32_t m_hi = ((c >> 4) & k4) | (((b >> 6) & k2) << 4);
    return {s_lo | (uint64_t{s_hi} << 32), m_lo | (uint64_t{m_hi} << 32)};
}

// The sixteen 6-bit scales of a Q3_K super-block (12 packed bytes) as bytes
// 0..63, before the -32 offset: `lo` scales 0..7, `hi` scales 8..15. Low
// nibbles: bytes 0..7 (low: scale j, high: scale 8 + j); two high bits of
// scale j: bits 2 (j / 4) of byte 8 + j % 4.
struct Scales16 {
    uint64_t lo;
    uint64_t hi;
};

inline Scales16 unpack_q3k_scales(const uint8_t* packed) {
    constexpr uint64_t k4 = 0x0f0f0f0f0f0f0f0f;
    constexpr uint64_t k2 = 0x03030303;
    const uint64_t nib = load_u64(packed);
    const uint64_t h = load_u32(packed + 8);
    const uint64_t h_lo = (h & k2) | (((h >> 2) & k2) << 32);         // scales 0..7
    const uint64_t h_hi = ((h >> 4) & k2) | (((h >> 6) & k2) << 32);  // scales 8..15
    return {(nib & k4) | (h_lo << 4), ((nib >> 4) & k4) | (h_hi << 4)};
}

}  // namespace
}  // namespace ql::kernels::simd
