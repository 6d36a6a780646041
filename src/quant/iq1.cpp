// IQ1_S (1.5625 bpw) and IQ1_M (1.75 bpw): 256-value super-blocks coded with
// the 2048-point ternary grid of iq1_grids.hpp. This file holds the block
// layouts (ggml-common.h facts) and the packing; the search is in
// iq1_optimize.cpp.
//
// IQ1_S block, 50 bytes:
//   [0..2)   d      fp16 super-block scale
//   [2..34)  qs[32] low 8 bits of the grid index of each group of 8
//   [34..50) qh[8]  uint16 per 32-value block: bits 3l..3l+2 = high 3 bits of
//                   group l's index, bits 12..14 = scale s, bit 15 = delta < 0
// IQ1_M block, 56 bytes:
//   [0..32)  qs[32] low 8 bits of the grid index of each group of 8
//   [32..48) qh[16] one nibble per group: bits 0..2 = high index bits,
//                   bit 3 = delta < 0
//   [48..56) sc[4]  uint16: four 3-bit scales (one per 16 values) in bits
//                   0..11, and bits 12..15 hold nibble k of the fp16 d
#include <algorithm>
#include <array>
#include <vector>

#include "quant/formats.hpp"
#include "quant/half.hpp"
#include "quant/iq1_grids.hpp"
#include "quant/iq1_optimize.hpp"

namespace ql::quant {

namespace {

constexpr int kIq1SBytes = 50;
constexpr int kIq1MBytes = 56;

// out[0..8) = dl * (grid + delta), in ggml's float order.
void decode_group(int index, float dl, float delta, float* out) {
    for (int j = 0; j < kIq1Group; ++j) {
        out[j] = dl * (static_cast<float>(iq1_grid_value(index, j)) + delta);
    }
}

// Per-column weights of one super-block: the importance, or uniform without
// it (the error that is measured is then the plain squared error).
void superblock_weights(const float* importance, int64_t offset, float* w) {
    double sum = 0;
    if (importance) {
        for (int j = 0; j < kIq1SuperBlock; ++j) {
            w[j] = std::max(importance[offset + j], 0.0f);
            sum += w[j];
        }
    }
    if (!(sum > 0)) std::fill(w, w + kIq1SuperBlock, 1.0f);
}

void pack_iq1_s(const Iq1Code& code, uint8_t* out) {
    store_u16(out, code.d_fp16);
    for (int k = 0; k < kIq1Groups; ++k) out[2 + k] = static_cast<uint8_t>(code.grid[k] & 0xff);
    for (int ib = 0; ib < 8; ++ib) {
        uint16_t h = static_cast<uint16_t>((code.scale[ib] & 7) << 12);
        if (code.negative_delta[4 * ib]) h |= 0x8000;
        for (int l = 0; l < 4; ++l)
            h |= static_cast<uint16_t>((code.grid[4 * ib + l] >> 8) << (3 * l));
        store_u16(out + 34 + 2 * ib, h);
    }
}

void pack_iq1_m(const Iq1Code& code, uint8_t* out) {
    for (int k = 0; k < kIq1Groups; ++k) {
        out[k] = static_cast<uint8_t>(code.grid[k] & 0xff);
        const int nibble = (code.grid[k] >> 8) | (code.negative_delta[k] ? 8 : 0);
        if (k % 2 == 0) {
            out[32 + k / 2] = static_cast<uint8_t>(nibble);
        } else {
            out[32 + k / 2] |= static_cast<uint8_t>(nibble << 4);
        }
    }
    for (int i = 0; i < 4; ++i) {
        uint16_t sc = static_cast<uint16_t>(((code.d_fp16 >> (4 * i)) & 0xf) << 12);
        for (int b = 0; b < 4; ++b)
            sc |= static_cast<uint16_t>((code.scale[4 * i + b] & 7) << (3 * b));
        store_u16(out + 48 + 2 * i, sc);
    }
}

size_t quantize_rows(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                     const float* importance, const Iq1Shape& shape, int block_bytes,
                     void (*pack)(const Iq1Code&, uint8_t*)) {
    const int64_t blocks_per_row = n_per_row / kIq1SuperBlock;
    auto* out = static_cast<uint8_t*>(dst);
    std::vector<float> w(kIq1SuperBlock);  // [256]
    for (int64_t r = 0; r < n_rows; ++r) {
        for (int64_t ib = 0; ib < blocks_per_row; ++ib) {
            superblock_weights(importance, ib * kIq1SuperBlock, w.data());
            const float* x = src + r * n_per_row + ib * kIq1SuperBlock;
            pack(iq1_optimize(x, w.data(), shape), out);
            out += block_bytes;
        }
    }
    return static_cast<size_t>(n_rows * blocks_per_row * block_bytes);
}

}  // namespace

void dequantize_iq1_s(const void* src, float* dst, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n / kIq1SuperBlock; ++i, block += kIq1SBytes) {
        const float d = fp16_to_f32(load_u16(block));
        const uint8_t* qs = block + 2;
        for (int ib = 0; ib < 8; ++ib) {
            const uint16_t h = load_u16(block + 34 + 2 * ib);
            const float dl = d * static_cast<float>(2 * ((h >> 12) & 7) + 1);
            const float delta = (h & 0x8000) ? -kIq1SDelta : kIq1SDelta;
            for (int l = 0; l < 4; ++l) {
                const int index = qs[4 * ib + l] | (((h >> (3 * l)) & 7) << 8);
                decode_group(index, dl, delta, dst);
                dst += kIq1Group;
            }
        }
    }
}

void dequantize_iq1_m(const void* src, float* dst, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n / kIq1SuperBlock; ++i, block += kIq1MBytes) {
        std::array<uint16_t, 4> sc;  // [4] scales + nibbles of d
        for (int k = 0; k < 4; ++k) sc[k] = load_u16(block + 48 + 2 * k);
        const uint16_t d_bits = static_cast<uint16_t>((sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) |
                                                      ((sc[2] >> 4) & 0x0f00) | (sc[3] & 0xf000));
        const float d = fp16_to_f32(d_bits);
        for (int k = 0; k < kIq1Groups; ++k) {
            const int b16 = k / 2;  // 16-value block of group k
            const int s = (sc[b16 / 4] >> (3 * (b16 % 4))) & 7;
            const float dl = d * static_cast<float>(2 * s + 1);
            const int nibble = (block[32 + k / 2] >> (4 * (k % 2))) & 0xf;
            const float delta = (nibble & 8) ? -kIq1MDelta : kIq1MDelta;
            decode_group(block[k] | ((nibble & 7) << 8), dl, delta, dst);
            dst += kIq1Group;
        }
    }
}

size_t quantize_iq1_s(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                      const float* importance) {
    const Iq1Shape shape{32, false, kIq1SDelta};
    return quantize_rows(src, dst, n_rows, n_per_row, importance, shape, kIq1SBytes, pack_iq1_s);
}

size_t quantize_iq1_m(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                      const float* importance) {
    const Iq1Shape shape{16, true, kIq1MDelta};
    return quantize_rows(src, dst, n_rows, n_per_row, importance, shape, kIq1MBytes, pack_iq1_m);
}

}  // namespace ql::quant
