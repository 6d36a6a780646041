// IQ3_XXS and IQ3_S: 256-value super-blocks of codebook points (4 values
// each), a sign per value, a 4-bit scale per 32 values and an fp16 scale.
// This file holds the byte layouts; the search lives in iq3_search.cpp.
//
// IQ3_XXS (98 bytes):  d | point[64] | 8 x u32 (4 x 7 sign bits, scale << 28)
// IQ3_S  (110 bytes):  d | point low bits[64] | point bit 8 [8] | signs[32] | scales[4]
#include <cstring>

#include "quant/formats.hpp"
#include "quant/half.hpp"
#include "quant/iq3_grids.hpp"
#include "quant/iq3_search.hpp"

namespace ql::quant {

namespace {

using iq3::Code;
using iq3::kGroups;
using iq3::kSignBytes;
using iq3::kSubBlocks;
using iq3::kSuperBlock;

constexpr int64_t kXxsBytes = 98;
constexpr int64_t kSBytes = 110;

// Block scale of 32 values from the super scale and the 4-bit scale `s`,
// in exactly the dequantizer's float operations.
float xxs_sub_scale(float d, int s) {
    return d * (0.5f + static_cast<float>(s)) * 0.5f;
}
float s_sub_scale(float d, int s) {
    return d * static_cast<float>(1 + 2 * s);
}

const iq3::Format& xxs_format() {
    static const iq3::Format f{&iq3::xxs_codebook(), true, xxs_sub_scale};
    return f;
}
const iq3::Format& s_format() {
    static const iq3::Format f{&iq3::s_codebook(), false, s_sub_scale};
    return f;
}

// ---- IQ3_XXS layout ---------------------------------------------------------

Code unpack_xxs(const uint8_t* p) {
    Code c;
    c.d_bits = load_u16(p);
    for (int g = 0; g < kGroups; ++g) c.point[g] = p[2 + g];
    for (int ib = 0; ib < kSubBlocks; ++ib) {
        const uint32_t word = load_u32(p + 2 + kGroups + 4 * ib);
        c.scale[ib] = static_cast<uint8_t>(word >> 28);
        for (int l = 0; l < 4; ++l) c.negative[4 * ib + l] = kEvenSigns[(word >> (7 * l)) & 127];
    }
    return c;
}

void pack_xxs(const Code& c, uint8_t* p) {
    store_u16(p, c.d_bits);
    for (int g = 0; g < kGroups; ++g) p[2 + g] = static_cast<uint8_t>(c.point[g]);
    for (int ib = 0; ib < kSubBlocks; ++ib) {
        uint32_t word = uint32_t(c.scale[ib]) << 28;
        for (int l = 0; l < 4; ++l) word |= uint32_t(c.negative[4 * ib + l] & 127) << (7 * l);
        store_u32(p + 2 + kGroups + 4 * ib, word);
    }
}

// ---- IQ3_S layout -----------------------------------------------------------

constexpr int kSPointLow = 2, kSPointHigh = 66, kSSigns = 74, kSScales = 106;

Code unpack_s(const uint8_t* p) {
    Code c;
    c.d_bits = load_u16(p);
    for (int g = 0; g < kGroups; ++g)
        c.point[g] = static_cast<uint16_t>(p[kSPointLow + g] |
                                           (((p[kSPointHigh + g / 8] >> (g % 8)) & 1) << 8));
    std::memcpy(c.negative.data(), p + kSSigns, kSignBytes);
    for (int ib = 0; ib < kSubBlocks; ++ib)
        c.scale[ib] = static_cast<uint8_t>((p[kSScales + ib / 2] >> (4 * (ib % 2))) & 0xf);
    return c;
}

void pack_s(const Code& c, uint8_t* p) {
    std::memset(p, 0, kSBytes);
    store_u16(p, c.d_bits);
    for (int g = 0; g < kGroups; ++g) {
        p[kSPointLow + g] = static_cast<uint8_t>(c.point[g] & 0xff);
        p[kSPointHigh + g / 8] |= static_cast<uint8_t>((c.point[g] >> 8) << (g % 8));
    }
    std::memcpy(p + kSSigns, c.negative.data(), kSignBytes);
    for (int ib = 0; ib < kSubBlocks; ++ib)
        p[kSScales + ib / 2] |= static_cast<uint8_t>(c.scale[ib] << (4 * (ib % 2)));
}

// ---- shared row loops ---------------------------------------------------------

void dequantize_rows(const iq3::Format& f, Code (*unpack)(const uint8_t*), int64_t block_bytes,
                     const void* src, float* dst, int64_t n) {
    const auto* p = static_cast<const uint8_t*>(src);
    for (int64_t b = 0; b < n / kSuperBlock; ++b)
        iq3::reconstruct(f, unpack(p + b * block_bytes), dst + b * kSuperBlock);
}

size_t quantize_rows(const iq3::Format& f, void (*pack)(const Code&, uint8_t*), int64_t block_bytes,
                     const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                     const float* importance) {
    auto* out = static_cast<uint8_t*>(dst);
    const int64_t blocks_per_row = n_per_row / kSuperBlock;
    for (int64_t r = 0; r < n_rows; ++r)
        for (int64_t b = 0; b < blocks_per_row; ++b, out += block_bytes) {
            const float* imp = importance ? importance + b * kSuperBlock : nullptr;
            pack(iq3::quantize_super_block(f, src + r * n_per_row + b * kSuperBlock, imp), out);
        }
    return static_cast<size_t>(n_rows * blocks_per_row * block_bytes);
}

}  // namespace

void dequantize_iq3_xxs(const void* src, float* dst, int64_t n) {
    dequantize_rows(xxs_format(), unpack_xxs, kXxsBytes, src, dst, n);
}

size_t quantize_iq3_xxs(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                        const float* importance) {
    return quantize_rows(xxs_format(), pack_xxs, kXxsBytes, src, dst, n_rows, n_per_row,
                         importance);
}

void dequantize_iq3_s(const void* src, float* dst, int64_t n) {
    dequantize_rows(s_format(), unpack_s, kSBytes, src, dst, n);
}

size_t quantize_iq3_s(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                      const float* importance) {
    return quantize_rows(s_format(), pack_s, kSBytes, src, dst, n_rows, n_per_row, importance);
}

}  // namespace ql::quant
