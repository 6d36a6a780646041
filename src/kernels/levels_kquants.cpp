// Level decoders (levels.hpp) of the k-quants Q2_K, Q3_K, Q5_K and Q6_K.
// Each rebuilds quant::dequantize's y = (d * scale) * q - dmin * min: the
// formats with mins (Q2_K, Q5_K) give offset -(dmin * min); the signed ones
// (Q3_K, Q6_K) store q + bias and have no offset.
#include "kernels/kquant_scales.hpp"
#include "kernels/levels_table.hpp"
#include "quant/half.hpp"

namespace ql::kernels::levels {

namespace {

float half_at(const uint8_t* p) {
    return quant::fp16_to_f32(quant::load_u16(p));
}

// Value 128h + 32k + l of a 2-bit field: bits 2k..2k+1 of qs[32h + l].
void unpack_2bit(const uint8_t* qs, uint8_t* levels) {
    for (int h = 0; h < 2; ++h)
        for (int k = 0; k < 4; ++k)
            for (int l = 0; l < 32; ++l)
                levels[128 * h + 32 * k + l] = (qs[32 * h + l] >> (2 * k)) & 3;
}

// Q2_K [scales:16 (scale | min << 4)][qs:64][d:2][dmin:2]: 16 groups of 16.
void decode_q2_k(const uint8_t* row, int64_t n, uint8_t* levels, float* scale, float* offset) {
    for (int64_t b = 0; b < n / 256; ++b, row += 84, levels += 256, scale += 16, offset += 16) {
        const float d = half_at(row + 80), dmin = half_at(row + 82);
        for (int j = 0; j < 16; ++j) {
            scale[j] = d * static_cast<float>(row[j] & 15);
            offset[j] = -(dmin * static_cast<float>(row[j] >> 4));
        }
        unpack_2bit(row + 16, levels);
    }
}

// Q3_K [hmask:32][qs:64][scales:12][d:2]: level of value i = the 2-bit field
// (as Q2_K) + 4 * bit i/32 of hmask[i % 32], i.e. q + 4; 16 groups of 16 with
// signed 6-bit scales.
void decode_q3_k(const uint8_t* row, int64_t n, uint8_t* levels, float* scale, float*) {
    for (int64_t b = 0; b < n / 256; ++b, row += 110, levels += 256, scale += 16) {
        const float d = half_at(row + 108);
        const uint8_t* s = row + 96;
        for (int j = 0; j < 16; ++j) {
            const int low = (s[j % 8] >> (j < 8 ? 0 : 4)) & 15;
            const int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
            scale[j] = d * static_cast<float>((low | high << 4) - 32);
        }
        unpack_2bit(row + 32, levels);
        for (int k = 0; k < 8; ++k)
            for (int l = 0; l < 32; ++l)
                levels[32 * k + l] |= static_cast<uint8_t>(((row[l] >> k) & 1) << 2);
    }
}

// Q5_K [d:2][dmin:2][scales:12][qh:32][qs:128]: Q4_K's nibbles, the fifth bit
// of value 64c + 32h + l is bit 2c + h of qh[l]; 8 groups of 32.
void decode_q5_k(const uint8_t* row, int64_t n, uint8_t* levels, float* scale, float* offset) {
    for (int64_t b = 0; b < n / 256; ++b, row += 176, levels += 256, scale += 8, offset += 8) {
        const float d = half_at(row), dmin = half_at(row + 2);
        for (int j = 0; j < 8; ++j) {
            int sc = 0, m = 0;
            scale_min_k4(row + 4, j, sc, m);
            scale[j] = d * static_cast<float>(sc);
            offset[j] = -(dmin * static_cast<float>(m));
        }
        const uint8_t* qh = row + 16;
        const uint8_t* qs = row + 48;
        for (int c = 0; c < 4; ++c)
            for (int l = 0; l < 32; ++l) {
                levels[64 * c + l] =
                    static_cast<uint8_t>((qs[32 * c + l] & 0x0f) | ((qh[l] >> (2 * c)) & 1) << 4);
                levels[64 * c + 32 + l] =
                    static_cast<uint8_t>((qs[32 * c + l] >> 4) | ((qh[l] >> (2 * c + 1)) & 1) << 4);
            }
    }
}

// Q6_K [ql:128][qh:64][scales:16 x int8][d:2]: value 128h + 32k + l keeps its
// low nibble in ql[64h + l + 32 (k & 1)] (high nibble for k >= 2) and its top
// two bits at bit 2k of qh[32h + l]; stored as q + 32. 16 groups of 16.
void decode_q6_k(const uint8_t* row, int64_t n, uint8_t* levels, float* scale, float*) {
    for (int64_t b = 0; b < n / 256; ++b, row += 210, levels += 256, scale += 16) {
        const float d = half_at(row + 208);
        for (int j = 0; j < 16; ++j)
            scale[j] = d * static_cast<float>(static_cast<int8_t>(row[192 + j]));
        const uint8_t* ql = row;
        const uint8_t* qh = row + 128;
        for (int h = 0; h < 2; ++h)
            for (int k = 0; k < 4; ++k)
                for (int l = 0; l < 32; ++l) {
                    const int low = (ql[64 * h + 32 * (k & 1) + l] >> (k < 2 ? 0 : 4)) & 15;
                    const int high = (qh[32 * h + l] >> (2 * k)) & 3;
                    levels[128 * h + 32 * k + l] = static_cast<uint8_t>(low | high << 4);
                }
    }
}

}  // namespace

void register_kquants(DecoderTable& t) {
    set(t, quant::TypeId::Q2_K, {16, 0, true, decode_q2_k});
    set(t, quant::TypeId::Q3_K, {16, 4, false, decode_q3_k});
    set(t, quant::TypeId::Q5_K, {32, 0, true, decode_q5_k});
    set(t, quant::TypeId::Q6_K, {16, 32, false, decode_q6_k});
}

}  // namespace ql::kernels::levels
