// IQ2_XXS, IQ2_XS and IQ2_S: 2-bit codebook formats with 256-value blocks.
// Block layouts (ggml-common.h), all little-endian:
//   IQ2_XXS (66 bytes): fp16 d | 8 x { 4 entry bytes, u32: 4 x 7 sign bits, code << 28 }
//   IQ2_XS  (74 bytes): fp16 d | 32 x u16 (entry 9 bits | 7 sign bits << 9) | 8 code bytes
//   IQ2_S   (82 bytes): fp16 d | 32 entry low bytes | 32 sign bytes | 8 bytes entry high
//                       bits (2 per group) | 8 code bytes
// Code bytes hold two 4-bit codes, the first 16 values in the low nibble.
// Value = d * (0.5 + code) * 0.25 * magnitude * sign (see iq2_search.hpp).
#include <cstring>

#include "quant/formats.hpp"
#include "quant/half.hpp"
#include "quant/iq2_grids.hpp"
#include "quant/iq2_search.hpp"

namespace ql::quant {

namespace {

constexpr size_t kBytesXxs = 66, kBytesXs = 74, kBytesS = 82;

// Writes the 8 values of one group: scale * magnitude, negated where `signs` has a bit.
void emit_group(float scale, uint64_t entry, uint8_t signs, float* y) {
    for (int j = 0; j < 8; ++j) {
        const float v = scale * static_cast<float>(iq2::grid_byte(entry, j));
        y[j] = (signs >> j) & 1 ? -v : v;
    }
}

// The scale of a sub-block: d * (0.5 + code) * 0.25, in that order.
float subblock_scale(float d, unsigned code) {
    return d * (0.5f + static_cast<float>(code)) * 0.25f;
}

// Calls quantize_superblock on every block of every row and hands each
// result to `pack` (which writes `block_bytes` bytes).
template <typename Pack>
size_t quantize_rows(const iq2::Codebook& book, int subblock, size_t block_bytes, const float* src,
                     void* dst, int64_t n_rows, int64_t n_per_row, const float* importance,
                     Pack pack) {
    auto* out = static_cast<uint8_t*>(dst);
    const int64_t blocks_per_row = n_per_row / iq2::kSuperBlock;
    iq2::SuperBlockCode code;
    for (int64_t r = 0; r < n_rows; ++r) {
        for (int64_t b = 0; b < blocks_per_row; ++b) {
            const int64_t offset = b * iq2::kSuperBlock;
            iq2::quantize_superblock(book, subblock, src + r * n_per_row + offset,
                                     importance ? importance + offset : nullptr, code);
            std::memset(out, 0, block_bytes);
            pack(code, out);
            out += block_bytes;
        }
    }
    return static_cast<size_t>(n_rows * blocks_per_row) * block_bytes;
}

}  // namespace

// ---------------------------------------------------------------- IQ2_XXS

void dequantize_iq2_xxs(const void* src, float* dst, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n; i += iq2::kSuperBlock, block += kBytesXxs) {
        const float d = fp16_to_f32(load_u16(block));
        for (int sub = 0; sub < 8; ++sub) {
            const uint8_t* q = block + 2 + 8 * sub;  // [4 entry bytes, u32 signs+code]
            const uint32_t meta = load_u32(q + 4);
            const float scale = subblock_scale(d, meta >> 28);
            for (int g = 0; g < 4; ++g) {
                const uint8_t signs = iq2::kSignsEvenParity[(meta >> (7 * g)) & 127];
                emit_group(scale, iq2::kIq2xxsGrid[q[g]], signs, dst);
                dst += 8;
            }
        }
    }
}

size_t quantize_iq2_xxs(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                        const float* importance) {
    auto pack = [](const iq2::SuperBlockCode& c, uint8_t* out) {
        store_u16(out, c.d_fp16);
        for (int sub = 0; sub < 8; ++sub) {
            uint8_t* q = out + 2 + 8 * sub;
            uint32_t meta = static_cast<uint32_t>(c.code[sub]) << 28;
            for (int g = 0; g < 4; ++g) {
                q[g] = static_cast<uint8_t>(c.entry[4 * sub + g]);
                meta |= static_cast<uint32_t>(c.signs[4 * sub + g] & 127) << (7 * g);
            }
            store_u32(q + 4, meta);
        }
    };
    return quantize_rows(iq2::codebook_iq2_xxs(), 32, kBytesXxs, src, dst, n_rows, n_per_row,
                         importance, pack);
}

// ---------------------------------------------------------------- IQ2_XS

void dequantize_iq2_xs(const void* src, float* dst, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n; i += iq2::kSuperBlock, block += kBytesXs) {
        const float d = fp16_to_f32(load_u16(block));
        const uint8_t* codes = block + 2 + 64;  // [8] two 4-bit codes each
        for (int g = 0; g < 32; ++g) {
            const uint16_t q = load_u16(block + 2 + 2 * g);
            const unsigned code = (codes[g / 4] >> (g % 4 < 2 ? 0 : 4)) & 15;
            emit_group(subblock_scale(d, code), iq2::kIq2xsGrid[q & 511],
                       iq2::kSignsEvenParity[q >> 9], dst);
            dst += 8;
        }
    }
}

size_t quantize_iq2_xs(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                       const float* importance) {
    auto pack = [](const iq2::SuperBlockCode& c, uint8_t* out) {
        store_u16(out, c.d_fp16);
        for (int g = 0; g < 32; ++g)
            store_u16(out + 2 + 2 * g, static_cast<uint16_t>(c.entry[g] | (c.signs[g] & 127) << 9));
        for (int k = 0; k < 8; ++k)
            out[2 + 64 + k] = static_cast<uint8_t>(c.code[2 * k] | c.code[2 * k + 1] << 4);
    };
    return quantize_rows(iq2::codebook_iq2_xs(), 16, kBytesXs, src, dst, n_rows, n_per_row,
                         importance, pack);
}

// ---------------------------------------------------------------- IQ2_S

void dequantize_iq2_s(const void* src, float* dst, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n; i += iq2::kSuperBlock, block += kBytesS) {
        const float d = fp16_to_f32(load_u16(block));
        const uint8_t* low = block + 2;     // [32] entry bits 0..7
        const uint8_t* signs = block + 34;  // [32]
        const uint8_t* high = block + 66;   // [8] entry bits 8..9, 2 per group
        const uint8_t* codes = block + 74;  // [8]
        for (int g = 0; g < 32; ++g) {
            const unsigned entry = low[g] | ((high[g / 4] >> (2 * (g % 4))) & 3u) << 8;
            const unsigned code = (codes[g / 4] >> (g % 4 < 2 ? 0 : 4)) & 15;
            emit_group(subblock_scale(d, code), iq2::kIq2sGrid[entry], signs[g], dst);
            dst += 8;
        }
    }
}

size_t quantize_iq2_s(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                      const float* importance) {
    auto pack = [](const iq2::SuperBlockCode& c, uint8_t* out) {
        store_u16(out, c.d_fp16);
        for (int g = 0; g < 32; ++g) {
            out[2 + g] = static_cast<uint8_t>(c.entry[g]);
            out[34 + g] = c.signs[g];
            out[66 + g / 4] |= static_cast<uint8_t>((c.entry[g] >> 8) << (2 * (g % 4)));
        }
        for (int k = 0; k < 8; ++k)
            out[74 + k] = static_cast<uint8_t>(c.code[2 * k] | c.code[2 * k + 1] << 4);
    };
    return quantize_rows(iq2::codebook_iq2_s(), 16, kBytesS, src, dst, n_rows, n_per_row,
                         importance, pack);
}

}  // namespace ql::quant
