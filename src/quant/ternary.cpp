// Ternary formats for 256-value blocks with one fp16 scale.
//
// Byte layouts (ggml-common.h):
//   TQ1_0 [qs:48][qh:4][d:2]  trits t in {0,1,2}, y = (t - 1) * d
//     A byte holds up to five trits as the fixed-point fraction
//     ceil(v * 256 / 243), v = sum_n t_n * 3^(4-n); trit n is recovered as
//     ((byte * 3^n mod 256) * 3) >> 8.
//     qs[m],      m < 32: trit n -> value n*32 + m
//     qs[32 + m], m < 16: trit n -> value 160 + n*16 + m
//     qh[j],      j < 4:  trit n (n < 4) -> value 240 + n*4 + j
//   TQ2_0 [qs:64][d:2]        2-bit codes c, y = (c - 1) * d
//     bits 2l of qs[32h + m] -> value 128h + 32l + m
// TQ2_0's decoder would also give code 3 the value 2d, but llama.cpp's kernels
// treat 3 as out of contract ("should not be 3"), so only trits are written.
#include <algorithm>
#include <array>
#include <cmath>

#include "quant/formats.hpp"
#include "quant/half.hpp"
#include "quant/legacy_search.hpp"

namespace ql::quant {

namespace {

constexpr int kBlock = 256;
constexpr int kTq1Bytes = 54;
constexpr int kTq2Bytes = 66;
constexpr int kTq2MaxCode = 1;  // codes -1..1: ternary, as llama.cpp expects

// Where trit n of each TQ1_0 byte lives: value index of (byte, trit).
// Returns -1 for the unused fifth trit of the qh bytes.
int tq1_value_index(int byte, int trit) {
    if (byte < 32) return trit * 32 + byte;
    if (byte < 48) return 160 + trit * 16 + (byte - 32);
    return trit < 4 ? 240 + trit * 4 + (byte - 48) : -1;
}

// Five trits (most significant first) as a fixed-point byte.
uint8_t encode_trits(const std::array<int, 5>& trits) {
    int v = 0;
    for (int t : trits) v = v * 3 + t;
    return static_cast<uint8_t>((v * 256 + 242) / 243);
}

int decode_trit(uint8_t byte, int trit) {
    static constexpr std::array<uint8_t, 5> kPow3 = {1, 3, 9, 27, 81};
    const auto shifted = static_cast<uint8_t>(byte * kPow3[trit]);  // mod 256
    return (static_cast<int>(shifted) * 3) >> 8;
}

void quantize_tq1_0_block(const float* x, const float* w, uint8_t* out,
                          std::vector<ScaleEvent>& events) {
    std::array<int, kBlock> q{};
    const ScaledCodes r = quantize_symmetric(x, w, kBlock, -1, 1, q.data(), events);
    for (int byte = 0; byte < 52; ++byte) {
        std::array<int, 5> trits{};
        for (int n = 0; n < 5; ++n) {
            const int index = tq1_value_index(byte, n);
            trits[n] = index < 0 ? 0 : q[index] + 1;
        }
        out[byte] = encode_trits(trits);
    }
    store_u16(out + 52, r.d_half);
}

void quantize_tq2_0_block(const float* x, const float* w, uint8_t* out,
                          std::vector<ScaleEvent>& events) {
    std::array<int, kBlock> q{};
    const ScaledCodes r = quantize_symmetric(x, w, kBlock, -1, kTq2MaxCode, q.data(), events);
    std::fill(out, out + 64, uint8_t{0});
    for (int i = 0; i < kBlock; ++i) {
        const int half = i / 128, lane = (i % 128) / 32, m = i % 32;
        out[32 * half + m] |= static_cast<uint8_t>((q[i] + 1) << (2 * lane));
    }
    store_u16(out + 64, r.d_half);
}

}  // namespace

void dequantize_tq1_0(const void* src, float* dst, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(src);
    for (int64_t b = 0; b < n / kBlock; ++b, block += kTq1Bytes, dst += kBlock) {
        const float d = fp16_to_f32(load_u16(block + 52));
        for (int byte = 0; byte < 52; ++byte) {
            for (int t = 0; t < 5; ++t) {
                const int index = tq1_value_index(byte, t);
                if (index >= 0)
                    dst[index] = static_cast<float>(decode_trit(block[byte], t) - 1) * d;
            }
        }
    }
}

size_t quantize_tq1_0(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                      const float* importance) {
    std::vector<ScaleEvent> events;
    return for_each_block(src, dst, n_rows, n_per_row, importance, kBlock, kTq1Bytes,
                          [&](const float* x, const float* w, uint8_t* out) {
                              quantize_tq1_0_block(x, w, out, events);
                          });
}

void dequantize_tq2_0(const void* src, float* dst, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(src);
    for (int64_t b = 0; b < n / kBlock; ++b, block += kTq2Bytes, dst += kBlock) {
        const float d = fp16_to_f32(load_u16(block + 64));
        for (int i = 0; i < kBlock; ++i) {
            const int half = i / 128, lane = (i % 128) / 32, m = i % 32;
            const int code = (block[32 * half + m] >> (2 * lane)) & 3;
            dst[i] = static_cast<float>(code - 1) * d;
        }
    }
}

size_t quantize_tq2_0(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                      const float* importance) {
    std::vector<ScaleEvent> events;
    return for_each_block(src, dst, n_rows, n_per_row, importance, kBlock, kTq2Bytes,
                          [&](const float* x, const float* w, uint8_t* out) {
                              quantize_tq2_0_block(x, w, out, events);
                          });
}

}  // namespace ql::quant
