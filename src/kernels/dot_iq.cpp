// Codebook formats dotted with Q8_K activations. Each group of 8 (or 4)
// values is a grid point; signs come from stored bits (7 stored, the 8th
// makes the parity even). Integer sums per 32 values are multiplied by the
// odd integer sub-block scale, summed per super-block, then scaled in float
// as ggml's generic code does.
//
// Weight layouts (ggml-common.h), per 256 values:
//   IQ2_XXS [d:2][qs:64]  per 32: 4 grid bytes, then 4 x 7 sign bits + 4-bit scale
//   IQ2_XS  [d:2][qs:32 x u16][scales:8]  u16 = 9-bit grid | 7 sign bits
//   IQ2_S   [d:2][grid:32][signs:32][qh:8][scales:8]
//   IQ3_XXS [d:2][grid:64][aux:32]  aux per 32: 4 x 7 sign bits + 4-bit scale
//   IQ3_S   [d:2][grid:64][qh:8][signs:32][scales:4]
//   IQ1_S   [d:2][qs:32][qh:8 x u16]   IQ1_M [qs:32][qh:16][scales:8]
#include <cstring>

#include "kernels/dot_scalar.hpp"
#include "quant/iq1_grids.hpp"
#include "quant/iq2_grids.hpp"
#include "quant/iq3_grids.hpp"

namespace ql::kernels::scalar {

namespace {

using quant::load_u16;
using quant::load_u32;

// Σ grid(j) * ±q[j] over 8 values of a grid entry of 8 unsigned bytes.
int signed_group8(uint64_t entry, uint8_t signs, const int8_t* q) {
    int sum = 0;
    for (int j = 0; j < 8; ++j) {
        const int v = static_cast<int>((entry >> (8 * j)) & 0xffu) * q[j];
        sum += ((signs >> j) & 1) ? -v : v;
    }
    return sum;
}

// Two 4-value grid entries (IQ3) forming 8 values.
int signed_group4x2(uint32_t first, uint32_t second, uint8_t signs, const int8_t* q) {
    const uint64_t entry = static_cast<uint64_t>(first) | static_cast<uint64_t>(second) << 32;
    return signed_group8(entry, signs, q);
}

}  // namespace

float dot_iq2_xxs(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / kSuper; ++i, wb += 66) {
        const Q8KBlock y = q8k_block(a, i);
        int block_sum = 0;
        for (int g = 0; g < 8; ++g) {
            const uint8_t* grid = wb + 2 + 8 * g;     // [4] grid indices
            const uint32_t aux = load_u32(grid + 4);  // 4 x 7 sign bits, scale << 28
            int isum = 0;
            for (int l = 0; l < 4; ++l)
                isum += signed_group8(quant::iq2::kIq2xxsGrid[grid[l]],
                                      quant::iq2::kSignsEvenParity[(aux >> (7 * l)) & 127],
                                      y.qs + 32 * g + 8 * l);
            block_sum += isum * static_cast<int>(2 * (aux >> 28) + 1);
        }
        sum += half_at(wb) * y.d * static_cast<float>(block_sum);
    }
    return 0.125f * sum;
}

float dot_iq2_xs(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / kSuper; ++i, wb += 74) {
        const Q8KBlock y = q8k_block(a, i);
        int block_sum = 0;
        for (int g = 0; g < 8; ++g) {
            const uint8_t scales = wb[66 + g];
            for (int half = 0; half < 2; ++half) {
                int isum = 0;
                for (int l = 2 * half; l < 2 * half + 2; ++l) {
                    const int code = load_u16(wb + 2 + 8 * g + 2 * l);
                    isum += signed_group8(quant::iq2::kIq2xsGrid[code & 511],
                                          quant::iq2::kSignsEvenParity[code >> 9],
                                          y.qs + 32 * g + 8 * l);
                }
                block_sum += isum * (2 * ((scales >> (4 * half)) & 0x0f) + 1);
            }
        }
        sum += half_at(wb) * y.d * static_cast<float>(block_sum);
    }
    return 0.125f * sum;
}

float dot_iq2_s(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / kSuper; ++i, wb += 82) {
        const Q8KBlock y = q8k_block(a, i);
        const uint8_t* grid = wb + 2;     // [32] low 8 index bits
        const uint8_t* signs = wb + 34;   // [32]
        const uint8_t* qh = wb + 66;      // [8] 2 index bits per group of 8
        const uint8_t* scales = wb + 74;  // [8]
        int block_sum = 0;
        for (int g = 0; g < 8; ++g) {
            for (int half = 0; half < 2; ++half) {
                int isum = 0;
                for (int l = 2 * half; l < 2 * half + 2; ++l) {
                    const int index = grid[4 * g + l] | (((qh[g] >> (2 * l)) & 3) << 8);
                    isum += signed_group8(quant::iq2::kIq2sGrid[index], signs[4 * g + l],
                                          y.qs + 32 * g + 8 * l);
                }
                block_sum += isum * (2 * ((scales[g] >> (4 * half)) & 0x0f) + 1);
            }
        }
        sum += half_at(wb) * y.d * static_cast<float>(block_sum);
    }
    return 0.125f * sum;
}

float dot_iq3_xxs(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / kSuper; ++i, wb += 98) {
        const Q8KBlock y = q8k_block(a, i);
        int block_sum = 0;
        for (int g = 0; g < 8; ++g) {
            const uint8_t* grid = wb + 2 + 8 * g;            // [8] indices
            const uint32_t aux = load_u32(wb + 66 + 4 * g);  // 4 x 7 sign bits, scale << 28
            int isum = 0;
            for (int l = 0; l < 4; ++l)
                isum += signed_group4x2(
                    quant::kIq3XxsGrid[grid[2 * l]], quant::kIq3XxsGrid[grid[2 * l + 1]],
                    quant::kEvenSigns[(aux >> (7 * l)) & 127], y.qs + 32 * g + 8 * l);
            block_sum += isum * static_cast<int>(2 * (aux >> 28) + 1);
        }
        sum += half_at(wb) * y.d * static_cast<float>(block_sum);
    }
    return 0.25f * sum;
}

float dot_iq3_s(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / kSuper; ++i, wb += 110) {
        const Q8KBlock y = q8k_block(a, i);
        const uint8_t* grid = wb + 2;      // [64] low 8 index bits
        const uint8_t* qh = wb + 66;       // [8] 9th index bit, one per grid byte
        const uint8_t* signs = wb + 74;    // [32]
        const uint8_t* scales = wb + 106;  // [4]
        int block_sum = 0;
        for (int g = 0; g < 8; ++g) {
            int isum = 0;
            for (int l = 0; l < 4; ++l) {
                const int i1 = grid[8 * g + 2 * l] | (((qh[g] >> (2 * l)) & 1) << 8);
                const int i2 = grid[8 * g + 2 * l + 1] | (((qh[g] >> (2 * l + 1)) & 1) << 8);
                isum += signed_group4x2(quant::kIq3SGrid[i1], quant::kIq3SGrid[i2],
                                        signs[4 * g + l], y.qs + 32 * g + 8 * l);
            }
            block_sum += isum * (2 * ((scales[g / 2] >> (4 * (g % 2))) & 0x0f) + 1);
        }
        sum += half_at(wb) * y.d * static_cast<float>(block_sum);
    }
    return sum;
}

// Σ grid * q over 8 values of an IQ1 grid point (int8 coordinates).
int iq1_group(int index, const int8_t* q) {
    int sum = 0;
    for (int j = 0; j < 8; ++j) sum += quant::iq1_grid_value(index, j) * q[j];
    return sum;
}

float dot_iq1_s(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / kSuper; ++i, wb += 50) {
        const Q8KBlock y = q8k_block(a, i);
        int grid_sum = 0, delta_sum = 0;
        for (int g = 0; g < 8; ++g) {
            const int qh = load_u16(wb + 34 + 2 * g);  // 4 x 3 index bits, scale, delta sign
            const int scale = 2 * ((qh >> 12) & 7) + 1;
            const int delta = (qh & 0x8000) ? -1 : 1;
            int isum = 0;
            for (int l = 0; l < 4; ++l)
                isum += iq1_group(wb[2 + 4 * g + l] | (((qh >> (3 * l)) & 7) << 8),
                                  y.qs + 32 * g + 8 * l);
            grid_sum += scale * isum;
            delta_sum += scale * delta * (y.bsum(2 * g) + y.bsum(2 * g + 1));
        }
        sum += half_at(wb) * y.d *
               (static_cast<float>(grid_sum) + quant::kIq1SDelta * static_cast<float>(delta_sum));
    }
    return sum;
}

float dot_iq1_m(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / kSuper; ++i, wb += 56) {
        const Q8KBlock y = q8k_block(a, i);
        const uint8_t* qs = wb;       // [32]
        const uint8_t* qh = wb + 32;  // [16] per 8 values: 3 index bits + delta sign
        uint16_t sc[4];               // 3-bit scales; top nibbles = fp16 super-scale
        for (int k = 0; k < 4; ++k) sc[k] = load_u16(wb + 48 + 2 * k);
        const auto d_bits = static_cast<uint16_t>((sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) |
                                                  ((sc[2] >> 4) & 0x0f00) | (sc[3] & 0xf000));
        int grid_sum = 0, delta_sum = 0;
        for (int g = 0; g < 8; ++g) {
            for (int half = 0; half < 2; ++half) {
                int isum = 0, dsum = 0;
                for (int l = 2 * half; l < 2 * half + 2; ++l) {
                    const int nibble = (qh[2 * g + l / 2] >> (4 * (l % 2))) & 0x0f;
                    const int8_t* q = y.qs + 32 * g + 8 * l;
                    isum += iq1_group(qs[4 * g + l] | ((nibble & 7) << 8), q);
                    int qsum = 0;
                    for (int j = 0; j < 8; ++j) qsum += q[j];
                    dsum += (nibble & 8) ? -qsum : qsum;
                }
                const int scale = 2 * ((sc[g / 2] >> (6 * (g % 2) + 3 * half)) & 7) + 1;
                grid_sum += isum * scale;
                delta_sum += dsum * scale;
            }
        }
        sum += quant::fp16_to_f32(d_bits) * y.d *
               (static_cast<float>(grid_sum) + quant::kIq1MDelta * static_cast<float>(delta_sum));
    }
    return sum;
}

}  // namespace ql::kernels::scalar
