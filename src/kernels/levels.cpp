// The level decoder table (levels.hpp) and the two formats that define the
// conventions: Q4_K (unsigned levels, offsets from the mins) and Q8_0
// (signed levels, biased by 128).
#include "kernels/levels.hpp"

#include "kernels/kquant_scales.hpp"
#include "kernels/levels_table.hpp"
#include "quant/half.hpp"

namespace ql::kernels {

namespace levels {

namespace {

// Q4_K [d:2][dmin:2][scales:12][qs:128]: value 64c + l is the low nibble of
// qs[32c + l] (l < 32), value 64c + 32 + l its high nibble; group j = 32
// values: scale d * sc_j, offset -(dmin * m_j).
void decode_q4_k(const uint8_t* row, int64_t n, uint8_t* levels, float* scale, float* offset) {
    for (int64_t b = 0; b < n / 256; ++b, row += 144, levels += 256, scale += 8, offset += 8) {
        const float d = quant::fp16_to_f32(quant::load_u16(row));
        const float dmin = quant::fp16_to_f32(quant::load_u16(row + 2));
        for (int j = 0; j < 8; ++j) {
            int sc = 0, m = 0;
            scale_min_k4(row + 4, j, sc, m);
            scale[j] = d * static_cast<float>(sc);
            offset[j] = -(dmin * static_cast<float>(m));
        }
        const uint8_t* qs = row + 16;
        for (int c = 0; c < 4; ++c)
            for (int l = 0; l < 32; ++l) {
                levels[64 * c + l] = qs[32 * c + l] & 0x0f;
                levels[64 * c + 32 + l] = qs[32 * c + l] >> 4;
            }
    }
}

// Q8_0 [d:2][qs:32 x int8]: one group per block, level + 128.
void decode_q8_0(const uint8_t* row, int64_t n, uint8_t* levels, float* scale, float*) {
    for (int64_t b = 0; b < n / 32; ++b, row += 34, levels += 32) {
        scale[b] = quant::fp16_to_f32(quant::load_u16(row));
        for (int l = 0; l < 32; ++l) levels[l] = static_cast<uint8_t>(row[2 + l] ^ 0x80);
    }
}

DecoderTable build() {
    DecoderTable t{};
    set(t, quant::TypeId::Q4_K, {32, 0, true, decode_q4_k});
    set(t, quant::TypeId::Q8_0, {32, 128, false, decode_q8_0});
    register_kquants(t);
    register_legacy(t);
    register_lowbit(t);
    return t;
}

}  // namespace

}  // namespace levels

const LevelDecoder* level_decoder(quant::TypeId type) {
    static const levels::DecoderTable table = levels::build();
    const auto i = static_cast<size_t>(type);
    return i < table.size() && table[i].decode ? &table[i] : nullptr;
}

}  // namespace ql::kernels
