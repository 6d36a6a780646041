// FP4 formats: E2M1 values with a power-of-two (MXFP4) or E4M3 (NVFP4) scale.
//
// Byte layouts (ggml-common.h):
//   MXFP4 [e:1][qs:16]        32 values, d = 2^(e - 128) (E8M0, halved)
//   NVFP4 [d:4][qs:32]        64 values in 4 groups of 16, one unsigned E4M3
//                             scale byte per group, halved
// A 4-bit code indexes the doubled E2M1 values kFp4Values; y = value * d.
// MXFP4: value j is the low nibble of qs[j] (j < 16) or the high nibble of
// qs[j - 16]. NVFP4 group g: value j of the group is the low nibble of
// qs[8g + j] (j < 8) or the high nibble of qs[8g + j - 8].
//
// Given the scale, the nearest representable value is best for every weight,
// so the searches only choose the scale: all plausible scales are tried and
// the one with the least weighted error kept.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>

#include "quant/formats.hpp"
#include "quant/fp4_scales.hpp"
#include "quant/legacy_search.hpp"

namespace ql::quant {

namespace {

// Twice the E2M1 values, by 4-bit code (bit 3 = sign).
constexpr std::array<int8_t, 16> kFp4Values = {0, 1,  2,  3,  4,  6,  8,  12,
                                               0, -1, -2, -3, -4, -6, -8, -12};

constexpr int kMxBlock = 32;
constexpr int kMxBytes = 17;
constexpr int kNvBlock = 64;
constexpr int kNvGroup = 16;
constexpr int kNvBytes = 36;

// Code of the representable value nearest to x / d (d > 0).
uint8_t nearest_fp4(float x, float d) {
    const double a = std::fabs(static_cast<double>(x)) / d;
    // Midpoints between consecutive magnitudes 0 1 2 3 4 6 8 12.
    static constexpr std::array<double, 7> kMid = {0.5, 1.5, 2.5, 3.5, 5.0, 7.0, 10.0};
    uint8_t index = 0;
    while (index < kMid.size() && a > kMid[index]) ++index;
    return static_cast<uint8_t>(index == 0 || x >= 0.0f ? index : index | 8u);
}

// Weighted error of n values at scale d with nearest codes written to codes.
double fp4_error(const float* x, const float* w, int n, float d, uint8_t* codes) {
    double err = 0;
    for (int i = 0; i < n; ++i) {
        codes[i] = d > 0 ? nearest_fp4(x[i], d) : 0;
        const float y = static_cast<float>(kFp4Values[codes[i]]) * d;  // as dequantized
        const double diff = static_cast<double>(x[i]) - y;
        err += w[i] * diff * diff;
    }
    return err;
}

// Packs n codes as low nibbles of the first half, high nibbles of the second.
void pack_halves(const uint8_t* codes, int n, uint8_t* qs) {
    for (int j = 0; j < n / 2; ++j)
        qs[j] = static_cast<uint8_t>(codes[j] | (codes[j + n / 2] << 4));
}

float max_abs(const float* x, int n) {
    float amax = 0.0f;
    for (int i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
    return amax;
}

// Largest exponent byte whose whole value range stays finite (12 * 2^124).
constexpr int kMaxE8M0 = 252;

void quantize_mxfp4_block(const float* x, const float* w, uint8_t* out) {
    const float amax = max_abs(x, kMxBlock);
    std::array<uint8_t, kMxBlock> codes{}, best_codes{};
    uint8_t best_e = 0;
    double best_err = zero_error(x, w, kMxBlock);
    if (amax > 0.0f) {
        // amax / 2^(e-128) near 12 means e - 128 near log2(amax) - 3.58.
        int exp2 = 0;
        std::frexp(amax, &exp2);  // amax in [2^(exp2-1), 2^exp2)
        const int center = exp2 - 1 - 3 + 128;
        const int last = std::clamp(center + 2, 0, kMaxE8M0);
        for (int e = std::clamp(center - 2, 0, last); e <= last; ++e) {
            const double err =
                fp4_error(x, w, kMxBlock, e8m0_half_scale(static_cast<uint8_t>(e)), codes.data());
            if (err < best_err) {
                best_err = err;
                best_e = static_cast<uint8_t>(e);
                best_codes = codes;
            }
        }
    }
    out[0] = best_e;
    pack_halves(best_codes.data(), kMxBlock, out + 1);
}

// The 126 usable E4M3 scales in increasing order (codes 1..0x7e).
const std::array<float, 127>& ue4m3_table() {
    static const auto table = [] {
        std::array<float, 127> t{};
        for (int c = 0; c < 127; ++c) t[c] = ue4m3_half_scale(static_cast<uint8_t>(c));
        return t;
    }();
    return table;
}

// One NVFP4 group of 16: returns the scale byte, writes the codes.
uint8_t quantize_nvfp4_group(const float* x, const float* block_w, uint8_t* codes) {
    const auto& scales = ue4m3_table();
    std::array<float, kNvGroup> w{};
    block_weights(block_w, kNvGroup, w.data());  // uniform if the group's weights are all 0
    const float amax = max_abs(x, kNvGroup);
    std::array<uint8_t, kNvGroup> trial{};
    std::fill(codes, codes + kNvGroup, uint8_t{0});
    uint8_t best = 0;
    double best_err = zero_error(x, w.data(), kNvGroup);
    if (!(amax > 0.0f)) return best;
    // Scales putting amax between values 4 and 24 (a factor of 6 either way of
    // the max value 12): wide enough to hold the optimum.
    const double lo = amax / 24.0, hi = amax / 4.0;
    for (int c = 1; c < 127; ++c) {
        if (scales[c] < lo && c < 126) continue;
        if (scales[c] > hi && c > 1) break;
        const double err = fp4_error(x, w.data(), kNvGroup, scales[c], trial.data());
        if (err < best_err) {
            best_err = err;
            best = static_cast<uint8_t>(c);
            std::copy(trial.begin(), trial.end(), codes);
        }
    }
    return best;
}

void quantize_nvfp4_block(const float* x, const float* w, uint8_t* out) {
    for (int g = 0; g < kNvBlock / kNvGroup; ++g) {
        std::array<uint8_t, kNvGroup> codes{};
        out[g] = quantize_nvfp4_group(x + g * kNvGroup, w + g * kNvGroup, codes.data());
        pack_halves(codes.data(), kNvGroup, out + 4 + g * (kNvGroup / 2));
    }
}

// Dequantizes one group of n values packed by pack_halves.
void unpack_fp4(const uint8_t* qs, int n, float d, float* dst) {
    for (int j = 0; j < n / 2; ++j) {
        dst[j] = static_cast<float>(kFp4Values[qs[j] & 0x0f]) * d;
        dst[j + n / 2] = static_cast<float>(kFp4Values[qs[j] >> 4]) * d;
    }
}

}  // namespace

void dequantize_mxfp4(const void* src, float* dst, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(src);
    for (int64_t b = 0; b < n / kMxBlock; ++b, block += kMxBytes, dst += kMxBlock)
        unpack_fp4(block + 1, kMxBlock, e8m0_half_scale(block[0]), dst);
}

size_t quantize_mxfp4(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                      const float* importance) {
    return for_each_block(
        src, dst, n_rows, n_per_row, importance, kMxBlock, kMxBytes,
        [](const float* x, const float* w, uint8_t* out) { quantize_mxfp4_block(x, w, out); });
}

void dequantize_nvfp4(const void* src, float* dst, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(src);
    for (int64_t b = 0; b < n / kNvBlock; ++b, block += kNvBytes) {
        for (int g = 0; g < kNvBlock / kNvGroup; ++g, dst += kNvGroup)
            unpack_fp4(block + 4 + g * (kNvGroup / 2), kNvGroup, ue4m3_half_scale(block[g]), dst);
    }
}

size_t quantize_nvfp4(const float* src, void* dst, int64_t n_rows, int64_t n_per_row,
                      const float* importance) {
    return for_each_block(
        src, dst, n_rows, n_per_row, importance, kNvBlock, kNvBytes,
        [](const float* x, const float* w, uint8_t* out) { quantize_nvfp4_block(x, w, out); });
}

}  // namespace ql::quant
