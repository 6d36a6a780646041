// Level decoders (levels.hpp) of the ternary formats (TQ1_0, TQ2_0), the
// codebook formats (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S) and
// IQ4_XS. The codebook levels are the signed grid magnitudes; IQ1's
// +-1/8 shift is folded into the levels (8 g +- 1) with the scale divided by 8.
#include <array>
#include <cstring>

#include "kernels/levels_table.hpp"
#include "quant/half.hpp"
#include "quant/iq1_grids.hpp"
#include "quant/iq2_grids.hpp"
#include "quant/iq3_grids.hpp"
#include "quant/iq4_common.hpp"

namespace ql::kernels::levels {

namespace {

using quant::load_u32;

float half_at(const uint8_t* p) {
    return quant::fp16_to_f32(quant::load_u16(p));
}

// ---- ternary: one scale per 256 values, level t (bias 1)

// Trit n (0..4) of a TQ1_0 byte: ((byte * 3^n mod 256) * 3) >> 8.
template <int kPow3>
uint8_t trit(uint8_t byte) {
    return static_cast<uint8_t>((static_cast<uint8_t>(byte * kPow3) * 3) >> 8);
}

// Trits 0..kTrits-1 of bytes[0..m) to out[n * m + j].
template <int kTrits>
void unpack_trits(const uint8_t* bytes, int m, uint8_t* out) {
    for (int j = 0; j < m; ++j) {
        out[j] = trit<1>(bytes[j]);
        out[m + j] = trit<3>(bytes[j]);
        out[2 * m + j] = trit<9>(bytes[j]);
        out[3 * m + j] = trit<27>(bytes[j]);
        if constexpr (kTrits == 5) out[4 * m + j] = trit<81>(bytes[j]);
    }
}

// TQ1_0 [qs:48][qh:4][d:2]: trit n of qs[m] (m < 32) is value 32n + m, of
// qs[32 + m] (m < 16) value 160 + 16n + m, of qh[j] (n < 4) value 240 + 4n + j.
void decode_tq1_0(const uint8_t* row, int64_t n, uint8_t* levels, float* scale, float*) {
    for (int64_t b = 0; b < n / 256; ++b, row += 54, levels += 256) {
        scale[b] = half_at(row + 52);
        unpack_trits<5>(row, 32, levels);
        unpack_trits<5>(row + 32, 16, levels + 160);
        unpack_trits<4>(row + 48, 4, levels + 240);
    }
}

// TQ2_0 [qs:64][d:2]: bits 2l of qs[32h + m] are value 128h + 32l + m.
void decode_tq2_0(const uint8_t* row, int64_t n, uint8_t* levels, float* scale, float*) {
    for (int64_t b = 0; b < n / 256; ++b, row += 66, levels += 256) {
        scale[b] = half_at(row + 64);
        for (int h = 0; h < 2; ++h)
            for (int l = 0; l < 4; ++l)
                for (int m = 0; m < 32; ++m)
                    levels[128 * h + 32 * l + m] = (row[32 * h + m] >> (2 * l)) & 3;
    }
}

// ---- sign-coded grids: eight magnitudes (one per byte) and eight sign bits

// Byte j of kByteMask[s] is 0xff where bit j of s is set.
constexpr std::array<uint64_t, 256> make_byte_masks() {
    std::array<uint64_t, 256> m{};
    for (int s = 0; s < 256; ++s)
        for (int j = 0; j < 8; ++j)
            if ((s >> j) & 1) m[static_cast<size_t>(s)] |= uint64_t{0xff} << (8 * j);
    return m;
}
constexpr std::array<uint64_t, 256> kByteMask = make_byte_masks();

// Eight levels bias +- magnitude (minus where `signs` has a bit), all eight
// bytes at once: magnitude <= bias keeps every byte of bias - m and bias + m
// within 0..255, so no byte borrows from or carries into its neighbour.
void signed_levels(uint64_t magnitudes, uint8_t signs, int bias, uint8_t* out) {
    const uint64_t b = uint64_t{0x0101010101010101} * static_cast<uint64_t>(bias);
    const uint64_t neg = kByteMask[signs];
    const uint64_t v = ((b + magnitudes) & ~neg) | ((b - magnitudes) & neg);
    std::memcpy(out, &v, 8);
}

// ---- IQ2: grid magnitudes 8, 25, 43 with signs (bias 43)

constexpr int kIq2Bias = 43;

// Eight levels of a grid entry: +-magnitude + kIq2Bias, negative where `signs` has a bit.
void iq2_group(uint64_t entry, uint8_t signs, uint8_t* out) {
    signed_levels(entry, signs, kIq2Bias, out);
}

// The scale of a sub-block, as quant/iq2.cpp computes it: d * (0.5 + code) * 0.25.
float iq2_scale(float d, unsigned code) {
    return d * (0.5f + static_cast<float>(code)) * 0.25f;
}

// IQ2_XXS [d:2] 8 x {4 grid bytes, u32: 4 x 7 sign bits | code << 28}: groups of 32.
void decode_iq2_xxs(const uint8_t* row, int64_t n, uint8_t* levels, float* scale, float*) {
    for (int64_t b = 0; b < n / 256; ++b, row += 66, scale += 8) {
        const float d = half_at(row);
        for (int sub = 0; sub < 8; ++sub) {
            const uint8_t* q = row + 2 + 8 * sub;
            const uint32_t meta = load_u32(q + 4);
            scale[sub] = iq2_scale(d, meta >> 28);
            for (int g = 0; g < 4; ++g, levels += 8)
                iq2_group(quant::iq2::kIq2xxsGrid[q[g]],
                          quant::iq2::kSignsEvenParity[(meta >> (7 * g)) & 127], levels);
        }
    }
}

// IQ2_XS [d:2][32 x u16: grid 9 bits | 7 sign bits << 9][codes:8]: groups of 16.
void decode_iq2_xs(const uint8_t* row, int64_t n, uint8_t* levels, float* scale, float*) {
    for (int64_t b = 0; b < n / 256; ++b, row += 74, scale += 16) {
        const float d = half_at(row);
        const uint8_t* codes = row + 66;
        for (int k = 0; k < 16; ++k) scale[k] = iq2_scale(d, (codes[k / 2] >> (4 * (k % 2))) & 15);
        for (int g = 0; g < 32; ++g, levels += 8) {
            const uint16_t q = quant::load_u16(row + 2 + 2 * g);
            iq2_group(quant::iq2::kIq2xsGrid[q & 511], quant::iq2::kSignsEvenParity[q >> 9],
                      levels);
        }
    }
}

// IQ2_S [d:2][grid low:32][signs:32][grid high:8, 2 bits per group][codes:8]: groups of 16.
void decode_iq2_s(const uint8_t* row, int64_t n, uint8_t* levels, float* scale, float*) {
    for (int64_t b = 0; b < n / 256; ++b, row += 82, scale += 16) {
        const float d = half_at(row);
        const uint8_t* low = row + 2;
        const uint8_t* signs = row + 34;
        const uint8_t* high = row + 66;
        const uint8_t* codes = row + 74;
        for (int k = 0; k < 16; ++k) scale[k] = iq2_scale(d, (codes[k / 2] >> (4 * (k % 2))) & 15);
        for (int g = 0; g < 32; ++g, levels += 8) {
            const unsigned entry = low[g] | ((high[g / 4] >> (2 * (g % 4))) & 3u) << 8;
            iq2_group(quant::iq2::kIq2sGrid[entry], signs[g], levels);
        }
    }
}

// ---- IQ3: 4-value grid points with signs, groups of 32

constexpr int kIq3XxsBias = 62;  // magnitudes up to 62
constexpr int kIq3SBias = 15;    // magnitudes up to 15

// Eight levels from two grid points: +-magnitude + bias, negative where `signs` has a bit.
void iq3_group(uint32_t first, uint32_t second, uint8_t signs, int bias, uint8_t* out) {
    signed_levels(first | uint64_t{second} << 32, signs, bias, out);
}

// IQ3_XXS [d:2][points:64][8 x u32: 4 x 7 sign bits | scale << 28]:
// scale d * (0.5 + s) * 0.5.
void decode_iq3_xxs(const uint8_t* row, int64_t n, uint8_t* levels, float* scale, float*) {
    for (int64_t b = 0; b < n / 256; ++b, row += 98, scale += 8) {
        const float d = half_at(row);
        const uint8_t* points = row + 2;
        for (int ib = 0; ib < 8; ++ib) {
            const uint32_t word = load_u32(row + 66 + 4 * ib);
            scale[ib] = d * (0.5f + static_cast<float>(word >> 28)) * 0.5f;
            for (int l = 0; l < 4; ++l, levels += 8) {
                const int g = 8 * ib + 2 * l;
                iq3_group(quant::kIq3XxsGrid[points[g]], quant::kIq3XxsGrid[points[g + 1]],
                          quant::kEvenSigns[(word >> (7 * l)) & 127], kIq3XxsBias, levels);
            }
        }
    }
}

// IQ3_S [d:2][points low:64][point bit 8:8][signs:32][scales:4 x 2 nibbles]:
// scale d * (1 + 2s).
void decode_iq3_s(const uint8_t* row, int64_t n, uint8_t* levels, float* scale, float*) {
    for (int64_t b = 0; b < n / 256; ++b, row += 110, scale += 8) {
        const float d = half_at(row);
        const uint8_t* low = row + 2;
        const uint8_t* high = row + 66;
        const uint8_t* signs = row + 74;
        for (int ib = 0; ib < 8; ++ib)
            scale[ib] =
                d * static_cast<float>(1 + 2 * ((row[106 + ib / 2] >> (4 * (ib % 2))) & 15));
        for (int k = 0; k < 32; ++k, levels += 8) {
            const int g = 2 * k;
            const unsigned p0 = low[g] | ((high[g / 8] >> (g % 8)) & 1u) << 8;
            const unsigned p1 = low[g + 1] | ((high[(g + 1) / 8] >> ((g + 1) % 8)) & 1u) << 8;
            iq3_group(quant::kIq3SGrid[p0], quant::kIq3SGrid[p1], signs[k], kIq3SBias, levels);
        }
    }
}

// ---- IQ4_XS [d:2][scales_h:2][scales_l:4][qs:128]: groups of 32,
// scale d * (ls - 32), level kIq4Levels[nibble] + 127

constexpr int kIq4Bias = 127;

void decode_iq4_xs(const uint8_t* row, int64_t n, uint8_t* levels, float* scale, float*) {
    uint8_t table[16];
    for (int i = 0; i < 16; ++i) table[i] = static_cast<uint8_t>(quant::kIq4Levels[i] + kIq4Bias);
    for (int64_t b = 0; b < n / 256; ++b, row += 136, scale += 8) {
        const float d = half_at(row);
        const uint16_t scales_h = quant::load_u16(row + 2);
        for (int ib = 0; ib < 8; ++ib, levels += 32) {
            const int low = (row[4 + ib / 2] >> (4 * (ib % 2))) & 0xf;
            const int high = (scales_h >> (2 * ib)) & 3;
            scale[ib] = d * static_cast<float>((low | (high << 4)) - 32);
            const uint8_t* qs = row + 8 + 16 * ib;
            for (int j = 0; j < 16; ++j) {
                levels[j] = table[qs[j] & 0x0f];
                levels[j + 16] = table[qs[j] >> 4];
            }
        }
    }
}

// ---- IQ1: grid values g in {-1, 0, 1} plus delta = +-1/8, as levels
// 8g +- 1 (bias 9) with scale dl / 8 (exact: a power of two).

constexpr int kIq1Bias = 9;

// Eight levels of grid point `index` shifted by `delta8` (+-1).
void iq1_group(int index, int delta8, uint8_t* out) {
    for (int j = 0; j < 8; ++j)
        out[j] = static_cast<uint8_t>(kIq1Bias + 8 * quant::iq1_grid_value(index, j) + delta8);
}

// IQ1_S [d:2][qs:32][qh:8 x u16: 4 x 3 index bits | scale << 12 | delta sign << 15]:
// groups of 32, dl = d * (2s + 1).
void decode_iq1_s(const uint8_t* row, int64_t n, uint8_t* levels, float* scale, float*) {
    for (int64_t b = 0; b < n / 256; ++b, row += 50, scale += 8) {
        const float d = half_at(row);
        const uint8_t* qs = row + 2;
        for (int ib = 0; ib < 8; ++ib) {
            const uint16_t h = quant::load_u16(row + 34 + 2 * ib);
            const float dl = d * static_cast<float>(2 * ((h >> 12) & 7) + 1);
            scale[ib] = dl * 0.125f;
            const int delta8 = (h & 0x8000) ? -1 : 1;
            for (int l = 0; l < 4; ++l, levels += 8)
                iq1_group(qs[4 * ib + l] | (((h >> (3 * l)) & 7) << 8), delta8, levels);
        }
    }
}

// IQ1_M [qs:32][qh:16, a nibble per group: 3 index bits | delta sign << 3]
// [sc:4 x u16: four 3-bit scales | nibble of d << 12]: groups of 16.
void decode_iq1_m(const uint8_t* row, int64_t n, uint8_t* levels, float* scale, float*) {
    for (int64_t b = 0; b < n / 256; ++b, row += 56, scale += 16) {
        uint16_t sc[4];
        for (int k = 0; k < 4; ++k) sc[k] = quant::load_u16(row + 48 + 2 * k);
        const auto d_bits = static_cast<uint16_t>((sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) |
                                                  ((sc[2] >> 4) & 0x0f00) | (sc[3] & 0xf000));
        const float d = quant::fp16_to_f32(d_bits);
        for (int b16 = 0; b16 < 16; ++b16) {
            const int s = (sc[b16 / 4] >> (3 * (b16 % 4))) & 7;
            scale[b16] = d * static_cast<float>(2 * s + 1) * 0.125f;
        }
        for (int k = 0; k < 32; ++k, levels += 8) {
            const int nibble = (row[32 + k / 2] >> (4 * (k % 2))) & 0xf;
            iq1_group(row[k] | ((nibble & 7) << 8), (nibble & 8) ? -1 : 1, levels);
        }
    }
}

}  // namespace

void register_lowbit(DecoderTable& t) {
    using quant::TypeId;
    set(t, TypeId::TQ1_0, {256, 1, false, decode_tq1_0});
    set(t, TypeId::TQ2_0, {256, 1, false, decode_tq2_0});
    set(t, TypeId::IQ2_XXS, {32, kIq2Bias, false, decode_iq2_xxs});
    set(t, TypeId::IQ2_XS, {16, kIq2Bias, false, decode_iq2_xs});
    set(t, TypeId::IQ2_S, {16, kIq2Bias, false, decode_iq2_s});
    set(t, TypeId::IQ3_XXS, {32, kIq3XxsBias, false, decode_iq3_xxs});
    set(t, TypeId::IQ3_S, {32, kIq3SBias, false, decode_iq3_s});
    set(t, TypeId::IQ4_XS, {32, kIq4Bias, false, decode_iq4_xs});
    set(t, TypeId::IQ1_S, {32, kIq1Bias, false, decode_iq1_s});
    set(t, TypeId::IQ1_M, {16, kIq1Bias, false, decode_iq1_m});
}

}  // namespace ql::kernels::levels
