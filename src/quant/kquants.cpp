// K-quants: 256-value super-blocks (ggml-common.h block_q2_K ... block_q6_K).
//
// Each format is a bit layout (pack/unpack between the bytes and a kq::Code,
// the format-neutral description of a super-block) plus a kq::Shape telling
// the shared search (kquants_search.cpp) the integer ranges. Q8_K, the
// activation format of the k-quant dot products, is in kquants_q8.cpp.
#include <cstring>

#include "quant/formats.hpp"
#include "quant/half.hpp"
#include "quant/kquants_search.hpp"

namespace ql::quant {

namespace {

using kq::Code;
using kq::kSuperBlock;

// ---- shapes: {sub_size, q_lo, q_hi, scale_lo, scale_hi, min_hi, n_starts, fan_steps, rounds}
// Chosen on the quant-error set for speed at nearly the best error: one
// starting super-scale (more bought under 0.3% of error at twice the time);
// the formats with many levels need a narrower fan, and Q6_K's 8-bit
// sub-scales leave a refit of d almost nothing to gain (0.1-0.4%).

constexpr kq::Shape kQ2Shape{16, 0, 3, 0, 15, 15, 1, 2, 2};
constexpr kq::Shape kQ3Shape{16, -4, 3, -32, 31, 0, 1, 2, 2};
constexpr kq::Shape kQ4Shape{32, 0, 15, 0, 63, 63, 1, 2, 2};
constexpr kq::Shape kQ5Shape{32, 0, 31, 0, 63, 63, 1, 1, 2};
constexpr kq::Shape kQ6Shape{16, -32, 31, -128, 127, 0, 1, 1, 1};

// ---- shared bit layouts

// 2-bit fields: each 128-value half uses 32 bytes; byte l of half h holds the
// values h*128 + 32*k + l in bits 2k..2k+1. levels: [256] in 0..3 (masked).
void pack_2bit(const int* levels, uint8_t* qs) {
    for (int h = 0; h < 2; ++h)
        for (int l = 0; l < 32; ++l) {
            int byte = 0;
            for (int k = 0; k < 4; ++k) byte |= (levels[h * 128 + 32 * k + l] & 3) << (2 * k);
            qs[h * 32 + l] = static_cast<uint8_t>(byte);
        }
}
int unpack_2bit(const uint8_t* qs, int i) {
    return (qs[(i / 128) * 32 + i % 32] >> (2 * ((i % 128) / 32))) & 3;
}

// 4-bit fields: each 64-value chunk uses 32 bytes; byte l of chunk c holds
// value 64c + l in its low nibble and value 64c + 32 + l in its high nibble.
void pack_4bit(const int* levels, uint8_t* qs) {
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l)
            qs[c * 32 + l] = static_cast<uint8_t>((levels[64 * c + l] & 15) |
                                                  (levels[64 * c + 32 + l] & 15) << 4);
}
int unpack_4bit(const uint8_t* qs, int i) {
    return (qs[(i / 64) * 32 + i % 32] >> (4 * ((i % 64) / 32))) & 15;
}

// Eight 6-bit scales and eight 6-bit mins in 12 bytes (Q4_K, Q5_K): pairs
// 0..3 sit in the low 6 bits of bytes 0..3 / 4..7; pairs 4..7 put their low
// nibbles in bytes 8..11 and their top two bits in the free bits 6..7 of
// bytes 0..3 (scales) and 4..7 (mins).
void pack_6bit_scales(const Code& c, uint8_t* s) {
    std::memset(s, 0, 12);
    for (int j = 0; j < 8; ++j) {
        const int sc = c.scale[j], mn = c.min[j];
        if (j < 4) {
            s[j] |= static_cast<uint8_t>(sc);
            s[j + 4] |= static_cast<uint8_t>(mn);
        } else {
            s[j + 4] = static_cast<uint8_t>((sc & 15) | (mn & 15) << 4);
            s[j - 4] |= static_cast<uint8_t>((sc >> 4) << 6);
            s[j] |= static_cast<uint8_t>((mn >> 4) << 6);
        }
    }
}
void unpack_6bit_scales(const uint8_t* s, Code& c) {
    for (int j = 0; j < 8; ++j) {
        if (j < 4) {
            c.scale[j] = s[j] & 63;
            c.min[j] = s[j + 4] & 63;
        } else {
            c.scale[j] = (s[j + 4] & 15) | (s[j - 4] >> 6) << 4;
            c.min[j] = (s[j + 4] >> 4) | (s[j] >> 6) << 4;
        }
    }
}

float load_half(const uint8_t* p) {
    return fp16_to_f32(load_u16(p));
}
void store_half(uint8_t* p, float v) {
    store_u16(p, f32_to_fp16(v));
}

// ---- Q2_K: scales[16] (scale | min << 4), qs[64], d, dmin  (84 bytes)

void pack_q2_k(const Code& c, uint8_t* b) {
    int levels[kSuperBlock];
    for (int i = 0; i < kSuperBlock; ++i) levels[i] = c.q[i];
    for (int j = 0; j < 16; ++j) b[j] = static_cast<uint8_t>(c.scale[j] | c.min[j] << 4);
    pack_2bit(levels, b + 16);
    store_half(b + 80, c.d);
    store_half(b + 82, c.dmin);
}
void unpack_q2_k(const uint8_t* b, Code& c) {
    for (int j = 0; j < 16; ++j) c.scale[j] = b[j] & 15, c.min[j] = b[j] >> 4;
    for (int i = 0; i < kSuperBlock; ++i) c.q[i] = static_cast<int8_t>(unpack_2bit(b + 16, i));
    c.d = load_half(b + 80);
    c.dmin = load_half(b + 82);
}

// ---- Q3_K: hmask[32], qs[64], scales[12], d  (110 bytes)
// Level q in -4..3 is stored as q + 4: low two bits in qs (2-bit layout),
// the third bit as bit i/32 of hmask[i % 32]. Scales s in -32..31 are stored
// as s + 32: low nibble in byte j (j < 8, low) or j - 8 (high nibble), top
// two bits in byte 8 + j % 4 at bit 2 * (j / 4).

void pack_q3_k(const Code& c, uint8_t* b) {
    uint8_t* hmask = b;
    uint8_t* scales = b + 96;
    int levels[kSuperBlock];
    std::memset(hmask, 0, 32);
    for (int i = 0; i < kSuperBlock; ++i) {
        levels[i] = c.q[i] + 4;
        if (levels[i] & 4) hmask[i % 32] |= static_cast<uint8_t>(1 << (i / 32));
    }
    pack_2bit(levels, b + 32);
    std::memset(scales, 0, 12);
    for (int j = 0; j < 16; ++j) {
        const int u = c.scale[j] + 32;
        scales[j % 8] |= static_cast<uint8_t>((u & 15) << (j < 8 ? 0 : 4));
        scales[8 + j % 4] |= static_cast<uint8_t>((u >> 4) << (2 * (j / 4)));
    }
    store_half(b + 108, c.d);
}
void unpack_q3_k(const uint8_t* b, Code& c) {
    const uint8_t* scales = b + 96;
    for (int j = 0; j < 16; ++j) {
        const int low = (scales[j % 8] >> (j < 8 ? 0 : 4)) & 15;
        const int high = (scales[8 + j % 4] >> (2 * (j / 4))) & 3;
        c.scale[j] = (low | high << 4) - 32;
        c.min[j] = 0;
    }
    for (int i = 0; i < kSuperBlock; ++i) {
        const bool high_bit = (b[i % 32] >> (i / 32)) & 1;
        c.q[i] = static_cast<int8_t>(unpack_2bit(b + 32, i) - (high_bit ? 0 : 4));
    }
    c.d = load_half(b + 108);
    c.dmin = 0;
}

// ---- Q4_K: d, dmin, scales[12], qs[128]  (144 bytes)

void pack_q4_k(const Code& c, uint8_t* b) {
    int levels[kSuperBlock];
    for (int i = 0; i < kSuperBlock; ++i) levels[i] = c.q[i];
    store_half(b, c.d);
    store_half(b + 2, c.dmin);
    pack_6bit_scales(c, b + 4);
    pack_4bit(levels, b + 16);
}
void unpack_q4_k(const uint8_t* b, Code& c) {
    c.d = load_half(b);
    c.dmin = load_half(b + 2);
    unpack_6bit_scales(b + 4, c);
    for (int i = 0; i < kSuperBlock; ++i) c.q[i] = static_cast<int8_t>(unpack_4bit(b + 16, i));
}

// ---- Q5_K: d, dmin, scales[12], qh[32], qs[128]  (176 bytes)
// Low four bits as Q4_K; the fifth bit of value 64c + 32h + l is bit 2c + h
// of qh[l].

void pack_q5_k(const Code& c, uint8_t* b) {
    int levels[kSuperBlock];
    uint8_t* qh = b + 16;
    std::memset(qh, 0, 32);
    for (int i = 0; i < kSuperBlock; ++i) {
        levels[i] = c.q[i];
        if (levels[i] & 16) qh[i % 32] |= static_cast<uint8_t>(1 << (i / 32));
    }
    store_half(b, c.d);
    store_half(b + 2, c.dmin);
    pack_6bit_scales(c, b + 4);
    pack_4bit(levels, b + 48);
}
void unpack_q5_k(const uint8_t* b, Code& c) {
    c.d = load_half(b);
    c.dmin = load_half(b + 2);
    unpack_6bit_scales(b + 4, c);
    for (int i = 0; i < kSuperBlock; ++i) {
        const int high = (b[16 + i % 32] >> (i / 32)) & 1;
        c.q[i] = static_cast<int8_t>(unpack_4bit(b + 48, i) | high << 4);
    }
}

// ---- Q6_K: ql[128], qh[64], scales[16] (int8), d  (210 bytes)
// Level q in -32..31 is stored as q + 32. In each 128-value half h, value
// h*128 + 32k + l keeps its low nibble in ql[64h + l + 32*(k & 1)] (low nibble
// for k < 2, high for k >= 2) and its top two bits in qh[32h + l] at bit 2k.

void pack_q6_k(const Code& c, uint8_t* b) {
    uint8_t* ql = b;
    uint8_t* qh = b + 128;
    std::memset(b, 0, 192);
    for (int i = 0; i < kSuperBlock; ++i) {
        const int u = c.q[i] + 32, h = i / 128, k = (i % 128) / 32, l = i % 32;
        ql[64 * h + l + 32 * (k & 1)] |= static_cast<uint8_t>((u & 15) << (k < 2 ? 0 : 4));
        qh[32 * h + l] |= static_cast<uint8_t>((u >> 4) << (2 * k));
    }
    for (int j = 0; j < 16; ++j) b[192 + j] = static_cast<uint8_t>(static_cast<int8_t>(c.scale[j]));
    store_half(b + 208, c.d);
}
void unpack_q6_k(const uint8_t* b, Code& c) {
    const uint8_t* ql = b;
    const uint8_t* qh = b + 128;
    for (int i = 0; i < kSuperBlock; ++i) {
        const int h = i / 128, k = (i % 128) / 32, l = i % 32;
        const int low = (ql[64 * h + l + 32 * (k & 1)] >> (k < 2 ? 0 : 4)) & 15;
        const int high = (qh[32 * h + l] >> (2 * k)) & 3;
        c.q[i] = static_cast<int8_t>((low | high << 4) - 32);
    }
    for (int j = 0; j < 16; ++j) c.scale[j] = static_cast<int8_t>(b[192 + j]), c.min[j] = 0;
    c.d = load_half(b + 208);
    c.dmin = 0;
}

// ---- generic drivers

using PackFn = void (*)(const Code&, uint8_t*);
using UnpackFn = void (*)(const uint8_t*, Code&);

// y = (d * scale) * q - dmin * min, in float and in this order, as ggml does
// (for the formats without mins the subtraction of +0 changes nothing).
void dequantize_blocks(const void* src, float* dst, int64_t n, int sub_size, int block_bytes,
                       UnpackFn unpack) {
    const auto* b = static_cast<const uint8_t*>(src);
    Code c;
    for (int64_t blk = 0; blk < n / kSuperBlock; ++blk, b += block_bytes) {
        unpack(b, c);
        float* y = dst + blk * kSuperBlock;  // [256]
        for (int j = 0; j < kSuperBlock / sub_size; ++j) {
            const float dl = c.d * static_cast<float>(c.scale[j]);
            const float ml = c.dmin * static_cast<float>(c.min[j]);
            for (int i = j * sub_size; i < (j + 1) * sub_size; ++i)
                y[i] = dl * static_cast<float>(c.q[i]) - ml;
        }
    }
}

size_t quantize_blocks(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                       const float* importance, const kq::Shape& shape, int block_bytes,
                       PackFn pack) {
    auto* out = static_cast<uint8_t*>(dst);
    const int64_t blocks_per_row = n_per_row / kSuperBlock;
    float w[kSuperBlock];  // [256] weights of the current super-block
    for (int64_t r = 0; r < n_rows; ++r) {
        for (int64_t blk = 0; blk < blocks_per_row; ++blk) {
            const float* x = src + r * n_per_row + blk * kSuperBlock;  // [256]
            kq::super_block_weights(importance ? importance + blk * kSuperBlock : nullptr, w);
            pack(kq::search_super_block(shape, x, w), out);
            out += block_bytes;
        }
    }
    return static_cast<size_t>(n_rows * blocks_per_row * block_bytes);
}

}  // namespace

#define QL_KQUANT_FORMAT(x, SHAPE, BYTES)                                                        \
    void dequantize_##x(const void* src, float* dst, int64_t n) {                                \
        dequantize_blocks(src, dst, n, SHAPE.sub_size, BYTES, unpack_##x);                       \
    }                                                                                            \
    size_t quantize_##x(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,          \
                        const float* importance) {                                               \
        return quantize_blocks(src, dst, n_rows, n_per_row, importance, SHAPE, BYTES, pack_##x); \
    }

QL_KQUANT_FORMAT(q2_k, kQ2Shape, 84)
QL_KQUANT_FORMAT(q3_k, kQ3Shape, 110)
QL_KQUANT_FORMAT(q4_k, kQ4Shape, 144)
QL_KQUANT_FORMAT(q5_k, kQ5Shape, 176)
QL_KQUANT_FORMAT(q6_k, kQ6Shape, 210)

#undef QL_KQUANT_FORMAT

}  // namespace ql::quant
