// Q1_0 and Q2_0: one fp16 scale per block and 1 or 2 bits per value.
//
// Byte layouts (ggml-common.h):
//   Q1_0 [d:2][qs:16]  128 values; bit j%8 of qs[j/8] set -> +d, clear -> -d
//   Q2_0 [d:2][qs:16]   64 values; bits 2*(j%4) of qs[j/4] hold c in 0..3,
//                       y = (c - 1) * d, i.e. codes {-1, 0, 1, 2} times d
#include <algorithm>
#include <array>
#include <cmath>

#include "quant/formats.hpp"
#include "quant/half.hpp"
#include "quant/legacy_search.hpp"

namespace ql::quant {

namespace {

constexpr int kQ1Block = 128;
constexpr int kQ1Bytes = 18;
constexpr int kQ2Block = 64;
constexpr int kQ2Bytes = 18;

// Error of the Q1_0 block whose values are +-dh by the sign of x.
double sign_block_error(const float* x, const float* w, float dh) {
    double err = 0;
    for (int i = 0; i < kQ1Block; ++i) {
        const float y = x[i] >= 0.0f ? dh : -dh;
        const double diff = static_cast<double>(x[i]) - y;
        err += w[i] * diff * diff;
    }
    return err;
}

// With the signs fixed to those of x, the best magnitude is the weighted mean
// of |x|; the stored fp16 value is the best of its rounding neighbours.
void quantize_q1_0_block(const float* x, const float* w, uint8_t* out) {
    double sw = 0, swa = 0;
    for (int i = 0; i < kQ1Block; ++i) {
        sw += w[i];
        swa += w[i] * std::fabs(static_cast<double>(x[i]));
    }
    const uint16_t center = half_clamped(sw > 0 ? swa / sw : 0.0);
    uint16_t best = center;
    double best_err = sign_block_error(x, w, fp16_to_f32(center));
    for (int step : {-1, 1}) {
        const int cand = static_cast<int>(center) + step;
        if (cand < 0 || cand >= 0x7c00) continue;  // positive finite fp16 only
        const double err = sign_block_error(x, w, fp16_to_f32(static_cast<uint16_t>(cand)));
        if (err < best_err) {
            best_err = err;
            best = static_cast<uint16_t>(cand);
        }
    }
    store_u16(out, best);
    uint8_t* qs = out + 2;
    std::fill(qs, qs + kQ1Block / 8, uint8_t{0});
    for (int i = 0; i < kQ1Block; ++i)
        if (x[i] >= 0.0f) qs[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
}

void quantize_q2_0_block(const float* x, const float* w, uint8_t* out,
                         std::vector<ScaleEvent>& events) {
    std::array<int, kQ2Block> q{};
    const ScaledCodes r = quantize_symmetric(x, w, kQ2Block, -1, 2, q.data(), events);
    store_u16(out, r.d_half);
    uint8_t* qs = out + 2;
    std::fill(qs, qs + kQ2Block / 4, uint8_t{0});
    for (int i = 0; i < kQ2Block; ++i)
        qs[i / 4] |= static_cast<uint8_t>((q[i] + 1) << (2 * (i % 4)));
}

}  // namespace

void dequantize_q1_0(const void* src, float* dst, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(src);
    for (int64_t b = 0; b < n / kQ1Block; ++b, block += kQ1Bytes, dst += kQ1Block) {
        const float d = fp16_to_f32(load_u16(block));
        const uint8_t* qs = block + 2;
        for (int i = 0; i < kQ1Block; ++i) dst[i] = (qs[i / 8] >> (i % 8)) & 1 ? d : -d;
    }
}

size_t quantize_q1_0(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                     const float* importance) {
    return for_each_block(
        src, dst, n_rows, n_per_row, importance, kQ1Block, kQ1Bytes,
        [](const float* x, const float* w, uint8_t* out) { quantize_q1_0_block(x, w, out); });
}

void dequantize_q2_0(const void* src, float* dst, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(src);
    for (int64_t b = 0; b < n / kQ2Block; ++b, block += kQ2Bytes, dst += kQ2Block) {
        const float d = fp16_to_f32(load_u16(block));
        const uint8_t* qs = block + 2;
        for (int i = 0; i < kQ2Block; ++i) {
            const int code = (qs[i / 4] >> (2 * (i % 4))) & 3;
            dst[i] = static_cast<float>(code - 1) * d;
        }
    }
}

size_t quantize_q2_0(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                     const float* importance) {
    std::vector<ScaleEvent> events;
    return for_each_block(src, dst, n_rows, n_per_row, importance, kQ2Block, kQ2Bytes,
                          [&](const float* x, const float* w, uint8_t* out) {
                              quantize_q2_0_block(x, w, out, events);
                          });
}

}  // namespace ql::quant
