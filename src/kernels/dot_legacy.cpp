// 32-value block formats and the low-bit / FP4 formats, all dotted with Q8_0
// (Q8_1 for Q4_1 / Q5_1) activations. Per block: an exact integer sum of
// level x activation code, then the float scales applied in ggml's order.
//
// Weight layouts (ggml-common.h):
//   Q4_0 [d:2][qs:16]   Q4_1 [d:2][m:2][qs:16]   Q5_0 [d:2][qh:4][qs:16]
//   Q5_1 [d:2][m:2][qh:4][qs:16]   Q8_0 [d:2][qs:32]   IQ4_NL [d:2][qs:16]
//   MXFP4 [e:1][qs:16]   NVFP4 [d:4 x ue4m3][qs:32] (4 groups of 16)
//   Q1_0 [d:2][bits:16] (128 values, bit set = +1)   Q2_0 [d:2][qs:16] (64 values)
// Nibble formats: value j < 16 in the low nibble of qs[j], value j >= 16 in
// the high nibble of qs[j - 16]; fifth bit = bit j of qh.
#include <array>
#include <bit>
#include <cmath>

#include "kernels/dot_scalar.hpp"
#include "quant/fp4_scales.hpp"

namespace ql::kernels::scalar {

namespace {

using quant::load_u16;
using quant::load_u32;

// Twice the E2M1 values by code, and the IQ4_NL levels (format facts).
constexpr std::array<int, 16> kFp4Doubled = {0, 1,  2,  3,  4,  6,  8,  12,
                                             0, -1, -2, -3, -4, -6, -8, -12};
constexpr std::array<int, 16> kIq4NlLevels = {-127, -104, -83, -65, -49, -35, -22, -10,
                                              1,    13,   25,  38,  53,  69,  89,  113};

struct Q8Block {
    float d;
    const int8_t* qs;  // [32]
};

// Activation block i of a Q8_0 row.
Q8Block q8_0_at(const void* a, int64_t i) {
    const auto* p = static_cast<const uint8_t*>(a) + i * kQ8_0Bytes;
    return {half_at(p), reinterpret_cast<const int8_t*>(p + 2)};
}

// Activation block i of a Q8_1 row; `s` = d * sum(qs) as stored.
struct Q8_1Block {
    float d, s;
    const int8_t* qs;  // [32]
};
Q8_1Block q8_1_at(const void* a, int64_t i) {
    const auto* p = static_cast<const uint8_t*>(a) + i * kQ8_1Bytes;
    return {half_at(p), half_at(p + 2), reinterpret_cast<const int8_t*>(p + 4)};
}

// Σ level(j) * q[j] over a 32-value nibble block; level(code 0..15 or 0..31).
template <typename Level>
int nibble_block_sum(const uint8_t* qs, uint32_t qh, const int8_t* q, Level level) {
    int sum = 0;
    for (int j = 0; j < 16; ++j) {
        const int lo = (qs[j] & 0x0f) | static_cast<int>(((qh >> j) & 1u) << 4);
        const int hi = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
        sum += level(lo) * q[j] + level(hi) * q[j + 16];
    }
    return sum;
}

}  // namespace

float dot_q4_0(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / 32; ++i, wb += 18) {
        const Q8Block y = q8_0_at(a, i);
        const int isum = nibble_block_sum(wb + 2, 0, y.qs, [](int c) { return c - 8; });
        sum += static_cast<float>(isum) * half_at(wb) * y.d;
    }
    return sum;
}

float dot_q4_1(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / 32; ++i, wb += 20) {
        const Q8_1Block y = q8_1_at(a, i);
        const int isum = nibble_block_sum(wb + 4, 0, y.qs, [](int c) { return c; });
        sum += (half_at(wb) * y.d) * static_cast<float>(isum) + half_at(wb + 2) * y.s;
    }
    return sum;
}

float dot_q5_0(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / 32; ++i, wb += 22) {
        const Q8Block y = q8_0_at(a, i);
        const int isum =
            nibble_block_sum(wb + 6, load_u32(wb + 2), y.qs, [](int c) { return c - 16; });
        sum += (half_at(wb) * y.d) * static_cast<float>(isum);
    }
    return sum;
}

float dot_q5_1(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / 32; ++i, wb += 24) {
        const Q8_1Block y = q8_1_at(a, i);
        const int isum = nibble_block_sum(wb + 8, load_u32(wb + 4), y.qs, [](int c) { return c; });
        sum += (half_at(wb) * y.d) * static_cast<float>(isum) + half_at(wb + 2) * y.s;
    }
    return sum;
}

float dot_q8_0(int64_t n, const void* w, const void* a) {
    float sum = 0;
    for (int64_t i = 0; i < n / 32; ++i) {
        const Q8Block x = q8_0_at(w, i), y = q8_0_at(a, i);
        int isum = 0;
        for (int j = 0; j < 32; ++j) isum += x.qs[j] * y.qs[j];
        sum += static_cast<float>(isum) * (x.d * y.d);
    }
    return sum;
}

float dot_iq4_nl(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / 32; ++i, wb += 18) {
        const Q8Block y = q8_0_at(a, i);
        const float d = y.d * half_at(wb);
        const int isum = nibble_block_sum(wb + 2, 0, y.qs, [](int c) { return kIq4NlLevels[c]; });
        sum += d * static_cast<float>(isum);
    }
    return sum;
}

float dot_mxfp4(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / 32; ++i, wb += 17) {
        const Q8Block y = q8_0_at(a, i);
        const float d = y.d * quant::e8m0_half_scale(wb[0]);
        const int isum = nibble_block_sum(wb + 1, 0, y.qs, [](int c) { return kFp4Doubled[c]; });
        sum += d * static_cast<float>(isum);
    }
    return sum;
}

// NVFP4: 64 values = 4 groups of 16 = 2 Q8_0 blocks; group g uses half of block g / 2.
float dot_nvfp4(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / 64; ++i, wb += 36) {
        for (int g = 0; g < 4; ++g) {
            const Q8Block y = q8_0_at(a, 2 * i + g / 2);
            const int8_t* q = y.qs + (g % 2) * 16;  // [16]
            const uint8_t* qs = wb + 4 + 8 * g;     // [8]
            int isum = 0;
            for (int j = 0; j < 8; ++j)
                isum += kFp4Doubled[qs[j] & 0x0f] * q[j] + kFp4Doubled[qs[j] >> 4] * q[j + 8];
            sum += y.d * quant::ue4m3_half_scale(wb[g]) * static_cast<float>(isum);
        }
    }
    return sum;
}

// Q1_0: 128 values (4 Q8_0 blocks), value k is +1 if bit k is set, else -1.
float dot_q1_0(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / 128; ++i, wb += 18) {
        float block_sum = 0;
        for (int k = 0; k < 4; ++k) {
            const Q8Block y = q8_0_at(a, 4 * i + k);
            int isum = 0;
            for (int j = 0; j < 32; ++j) {
                const bool plus = (wb[2 + 4 * k + j / 8] >> (j % 8)) & 1;
                isum += plus ? y.qs[j] : -y.qs[j];
            }
            block_sum += y.d * static_cast<float>(isum);
        }
        sum += half_at(wb) * block_sum;
    }
    return sum;
}

// Q2_0: 64 values (2 Q8_0 blocks), 2-bit codes c -> level c - 1, four per byte.
float dot_q2_0(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / 64; ++i, wb += 18) {
        float block_sum = 0;
        for (int k = 0; k < 2; ++k) {
            const Q8Block y = q8_0_at(a, 2 * i + k);
            int isum = 0;
            for (int j = 0; j < 32; ++j) {
                const int code = (wb[2 + 8 * k + j / 4] >> (2 * (j % 4))) & 3;
                isum += (code - 1) * y.qs[j];
            }
            block_sum += y.d * static_cast<float>(isum);
        }
        sum += half_at(wb) * block_sum;
    }
    return sum;
}

}  // namespace ql::kernels::scalar
