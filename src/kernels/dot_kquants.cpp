// 256-value super-block formats dotted with Q8_K activations: the k-quants,
// the ternary TQ formats and IQ4_XS.
//
// Weight layouts (ggml-common.h):
//   Q2_K [scales:16][qs:64][d:2][dmin:2]        16 groups of 16, 4-bit scale | 4-bit min
//   Q3_K [hmask:32][qs:64][scales:12][d:2]      16 groups of 16, 6-bit scales - 32
//   Q4_K [d:2][dmin:2][scales:12][qs:128]       8 groups of 32, 6-bit scale and min
//   Q5_K [d:2][dmin:2][scales:12][qh:32][qs:128]
//   Q6_K [ql:128][qh:64][scales:16 x int8][d:2] 16 groups of 16
//   TQ1_0 [qs:48][qh:4][d:2]  TQ2_0 [qs:64][d:2]  IQ4_XS [d:2][scales_h:2][scales_l:4][qs:128]
//
// ggml's generic Q3_K..Q6_K code keeps eight float partial sums: lane l
// collects the integer sums of values with index % 8 == l, scaled per
// super-block, and adds them to the total at the very end. The same is done
// here (LaneSums) so the float result is identical.
#include <array>
#include <cstring>

#include "kernels/dot_scalar.hpp"
#include "kernels/kquant_scales.hpp"

namespace ql::kernels::scalar {

namespace {

constexpr std::array<int, 16> kIq4Levels = {-127, -104, -83, -65, -49, -35, -22, -10,
                                            1,    13,   25,  38,  53,  69,  89,  113};

// Levels of one super-block: [256] small integers, and an integer scale per 16.
struct Levels {
    std::array<int, kSuper> level{};
    std::array<int, 16> scale{};
};

// The eight float lanes of ggml's generic k-quant code.
struct LaneSums {
    std::array<float, 8> lane{};

    void add_block(const Levels& lv, const int8_t* q8, float d) {
        std::array<int, 8> isum{};
        for (int k = 0; k < kSuper; ++k) isum[k % 8] += lv.scale[k / 16] * (lv.level[k] * q8[k]);
        for (int l = 0; l < 8; ++l) lane[l] += d * static_cast<float>(isum[l]);
    }
    float finish(float total) const {
        for (float v : lane) total += v;
        return total;
    }
};

// Σ bsums[j] * min(j / 2) of Q4_K / Q5_K.
int k4_min_sum(const uint8_t* packed, const Q8KBlock& y) {
    int total = 0;
    for (int j = 0; j < 16; ++j) {
        int scale = 0, min = 0;
        scale_min_k4(packed, j / 2, scale, min);
        total += y.bsum(j) * min;
    }
    return total;
}

// Q4_K / Q5_K levels: chunk c (64 values) = low nibbles of qs[32c..] then high
// nibbles; the fifth bit (Q5_K) of value 64c + 32h + l is bit 2c + h of qh[l].
void k4_levels(const uint8_t* packed, const uint8_t* qs, const uint8_t* qh, Levels& lv) {
    for (int c = 0; c < 4; ++c)
        for (int h = 0; h < 2; ++h)
            for (int l = 0; l < 32; ++l) {
                int v = h == 0 ? (qs[32 * c + l] & 0x0f) : (qs[32 * c + l] >> 4);
                if (qh && ((qh[l] >> (2 * c + h)) & 1)) v += 16;
                lv.level[64 * c + 32 * h + l] = v;
            }
    for (int j = 0; j < 16; ++j) {
        int scale = 0, min = 0;
        scale_min_k4(packed, j / 2, scale, min);
        lv.scale[j] = scale;
    }
}

float dot_k4_family(int64_t n, const void* w, const void* a, int block_bytes, bool has_high_bit) {
    const auto* wb = static_cast<const uint8_t*>(w);
    LaneSums lanes;
    float total = 0;
    Levels lv;
    for (int64_t i = 0; i < n / kSuper; ++i, wb += block_bytes) {
        const Q8KBlock y = q8k_block(a, i);
        const uint8_t* packed = wb + 4;
        const uint8_t* qh = has_high_bit ? wb + 16 : nullptr;
        const uint8_t* qs = has_high_bit ? wb + 48 : wb + 16;
        k4_levels(packed, qs, qh, lv);
        lanes.add_block(lv, y.qs, half_at(wb) * y.d);
        const float dmin = half_at(wb + 2) * y.d;
        total -= dmin * static_cast<float>(k4_min_sum(packed, y));
    }
    return lanes.finish(total);
}

}  // namespace

float dot_q4_k(int64_t n, const void* w, const void* a) {
    return dot_k4_family(n, w, a, 144, false);
}

float dot_q5_k(int64_t n, const void* w, const void* a) {
    return dot_k4_family(n, w, a, 176, true);
}

float dot_q3_k(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    LaneSums lanes;
    Levels lv;
    for (int64_t i = 0; i < n / kSuper; ++i, wb += 110) {
        const uint8_t* hmask = wb;    // [32]
        const uint8_t* qs = wb + 32;  // [64]
        const uint8_t* sc = wb + 96;  // [12]
        // value 128h + 32s + l: bits 2s of qs[32h + l]; high bit 4h + s of hmask[l]
        for (int h = 0; h < 2; ++h)
            for (int s = 0; s < 4; ++s)
                for (int l = 0; l < 32; ++l) {
                    const int low = (qs[32 * h + l] >> (2 * s)) & 3;
                    const bool high = (hmask[l] >> (4 * h + s)) & 1;
                    lv.level[128 * h + 32 * s + l] = low - (high ? 0 : 4);
                }
        for (int j = 0; j < 16; ++j) {
            const int low = j < 8 ? (sc[j] & 0x0f) : (sc[j - 8] >> 4);
            const int high = (sc[8 + j % 4] >> (2 * (j / 4))) & 3;
            lv.scale[j] = (low | (high << 4)) - 32;
        }
        const Q8KBlock y = q8k_block(a, i);
        lanes.add_block(lv, y.qs, half_at(wb + 108) * y.d);
    }
    return lanes.finish(0.0f);
}

float dot_q6_k(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    LaneSums lanes;
    Levels lv;
    for (int64_t i = 0; i < n / kSuper; ++i, wb += 210) {
        // value 128h + 32s + l: low nibble from ql[64h + 32(s%2) + l] (high nibble
        // for s >= 2), two high bits 2s of qh[32h + l]
        for (int h = 0; h < 2; ++h)
            for (int s = 0; s < 4; ++s)
                for (int l = 0; l < 32; ++l) {
                    const uint8_t ql = wb[64 * h + 32 * (s % 2) + l];
                    const int low = s < 2 ? (ql & 0x0f) : (ql >> 4);
                    const int high = (wb[128 + 32 * h + l] >> (2 * s)) & 3;
                    lv.level[128 * h + 32 * s + l] = (low | (high << 4)) - 32;
                }
        for (int j = 0; j < 16; ++j) lv.scale[j] = static_cast<int8_t>(wb[192 + j]);
        const Q8KBlock y = q8k_block(a, i);
        lanes.add_block(lv, y.qs, half_at(wb + 208) * y.d);
    }
    return lanes.finish(0.0f);
}

float dot_q2_k(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / kSuper; ++i, wb += 84) {
        const uint8_t* sc = wb;       // [16] scale | min << 4
        const uint8_t* qs = wb + 16;  // [64]
        const Q8KBlock y = q8k_block(a, i);
        int min_sum = 0;
        for (int j = 0; j < 16; ++j) min_sum += y.bsum(j) * (sc[j] >> 4);
        // value 128h + 32s + l: bits 2s of qs[32h + l]; group = value / 16
        int isum = 0;
        for (int k = 0; k < kSuper; ++k) {
            const int h = k / 128, s = (k / 32) % 4, l = k % 32;
            const int level = (qs[32 * h + l] >> (2 * s)) & 3;
            isum += (sc[k / 16] & 0x0f) * (level * y.qs[k]);
        }
        const float dall = y.d * half_at(wb + 80);
        const float dmin = y.d * half_at(wb + 82);
        sum += dall * static_cast<float>(isum) - dmin * static_cast<float>(min_sum);
    }
    return sum;
}

// TQ1_0: five trits per byte of qs (base-3 fixed point), four per byte of qh.
// Trit t of byte b: ((uint8)(b * 3^t) * 3) >> 8, minus 1.
float dot_tq1_0(int64_t n, const void* w, const void* a) {
    static constexpr std::array<uint8_t, 5> kPow3 = {1, 3, 9, 27, 81};
    auto trit = [](uint8_t byte, int t) {
        const auto shifted = static_cast<uint8_t>(byte * kPow3[t]);
        return ((static_cast<int>(shifted) * 3) >> 8) - 1;
    };
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / kSuper; ++i, wb += 54) {
        const Q8KBlock y = q8k_block(a, i);
        int isum = 0;
        // qs[0..31]: value 32t + m; qs[32..47]: value 160 + 16t + m; qh[0..3]: value 240 + 4t + m
        for (int t = 0; t < 5; ++t)
            for (int m = 0; m < 32; ++m) isum += trit(wb[m], t) * y.qs[32 * t + m];
        for (int t = 0; t < 5; ++t)
            for (int m = 0; m < 16; ++m) isum += trit(wb[32 + m], t) * y.qs[160 + 16 * t + m];
        for (int t = 0; t < 4; ++t)
            for (int m = 0; m < 4; ++m) isum += trit(wb[48 + m], t) * y.qs[240 + 4 * t + m];
        sum += static_cast<float>(isum) * (half_at(wb + 52) * y.d);
    }
    return sum;
}

// TQ2_0: value 128h + 32s + m is bits 2s of qs[32h + m], minus 1.
float dot_tq2_0(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / kSuper; ++i, wb += 66) {
        const Q8KBlock y = q8k_block(a, i);
        int isum = 0;
        for (int k = 0; k < kSuper; ++k) {
            const int code = (wb[32 * (k / 128) + k % 32] >> (2 * ((k / 32) % 4))) & 3;
            isum += (code - 1) * y.qs[k];
        }
        sum += static_cast<float>(isum) * (y.d * half_at(wb + 64));
    }
    return sum;
}

// IQ4_XS: 8 groups of 32 (IQ4_NL nibble order), 6-bit scales minus 32: low
// nibble in scales_l, two high bits 2g of scales_h.
float dot_iq4_xs(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const uint8_t*>(w);
    float sum = 0;
    for (int64_t i = 0; i < n / kSuper; ++i, wb += 136) {
        const Q8KBlock y = q8k_block(a, i);
        const float d = half_at(wb) * y.d;
        const int scales_h = quant::load_u16(wb + 2);
        for (int g = 0; g < 8; ++g) {
            const int low = (wb[4 + g / 2] >> (4 * (g % 2))) & 0x0f;
            const int scale = (low | (((scales_h >> (2 * g)) & 3) << 4)) - 32;
            const uint8_t* qs = wb + 8 + 16 * g;  // [16]
            const int8_t* q = y.qs + 32 * g;      // [32]
            int isum = 0;
            for (int j = 0; j < 16; ++j)
                isum += q[j] * kIq4Levels[qs[j] & 0x0f] + q[j + 16] * kIq4Levels[qs[j] >> 4];
            sum += (d * static_cast<float>(scale)) * static_cast<float>(isum);
        }
    }
    return sum;
}

}  // namespace ql::kernels::scalar
