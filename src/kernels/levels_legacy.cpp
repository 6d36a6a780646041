// Level decoders (levels.hpp) of the 32-value formats with one scale per
// block and signed levels: Q4_0 (nibble - 8), IQ4_NL (the kIq4Levels table,
// -127..113) and MXFP4 (doubled E2M1 values, -12..12).
#include "kernels/levels_table.hpp"
#include "quant/fp4_scales.hpp"
#include "quant/half.hpp"
#include "quant/iq4_common.hpp"

namespace ql::kernels::levels {

namespace {

constexpr int kIq4Bias = 127;  // -kIq4Levels[0]
constexpr int kFp4Bias = 12;

// Twice the E2M1 values by 4-bit code, plus kFp4Bias (quant/fp4.cpp's kFp4Values).
constexpr uint8_t kFp4Levels[16] = {12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0};

// Value j < 16 of a block is the low nibble of qs[j], value j + 16 the high one.
// Q4_0 [d:2][qs:16]: level nibble (bias 8).
void decode_q4_0(const uint8_t* row, int64_t n, uint8_t* levels, float* scale, float*) {
    for (int64_t b = 0; b < n / 32; ++b, row += 18, levels += 32) {
        scale[b] = quant::fp16_to_f32(quant::load_u16(row));
        for (int j = 0; j < 16; ++j) {
            levels[j] = row[2 + j] & 0x0f;
            levels[j + 16] = row[2 + j] >> 4;
        }
    }
}

// IQ4_NL [d:2][qs:16]: level kIq4Levels[nibble] + 127.
void decode_iq4_nl(const uint8_t* row, int64_t n, uint8_t* levels, float* scale, float*) {
    uint8_t table[16];
    for (int i = 0; i < 16; ++i) table[i] = static_cast<uint8_t>(quant::kIq4Levels[i] + kIq4Bias);
    for (int64_t b = 0; b < n / 32; ++b, row += 18, levels += 32) {
        scale[b] = quant::fp16_to_f32(quant::load_u16(row));
        for (int j = 0; j < 16; ++j) {
            levels[j] = table[row[2 + j] & 0x0f];
            levels[j + 16] = table[row[2 + j] >> 4];
        }
    }
}

// MXFP4 [e:1][qs:16]: scale 2^(e - 128), level kFp4Levels[nibble].
void decode_mxfp4(const uint8_t* row, int64_t n, uint8_t* levels, float* scale, float*) {
    for (int64_t b = 0; b < n / 32; ++b, row += 17, levels += 32) {
        scale[b] = quant::e8m0_half_scale(row[0]);
        for (int j = 0; j < 16; ++j) {
            levels[j] = kFp4Levels[row[1 + j] & 0x0f];
            levels[j + 16] = kFp4Levels[row[1 + j] >> 4];
        }
    }
}

}  // namespace

void register_legacy(DecoderTable& t) {
    set(t, quant::TypeId::Q4_0, {32, 8, false, decode_q4_0});
    set(t, quant::TypeId::IQ4_NL, {32, kIq4Bias, false, decode_iq4_nl});
    set(t, quant::TypeId::MXFP4, {32, kFp4Bias, false, decode_mxfp4});
}

}  // namespace ql::kernels::levels
