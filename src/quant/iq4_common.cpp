#include "quant/iq4_common.hpp"

#include <algorithm>
#include <cmath>

#include "quant/half.hpp"

namespace ql::quant {

namespace {

// Half-way points between neighbouring levels: level i wins below kCuts[i].
constexpr std::array<double, 15> make_cuts() {
    std::array<double, 15> cuts{};
    for (int i = 0; i < 15; ++i) cuts[i] = 0.5 * (kIq4Levels[i] + kIq4Levels[i + 1]);
    return cuts;
}
constexpr std::array<double, 15> kCuts = make_cuts();

struct Moments {
    double xq = 0;  // sum w x q
    double qq = 0;  // sum w q q
};

// Codes for scale `d` (any non-zero double) and the least-squares moments.
Moments code_moments(const float* x, const double* w, double d) {
    const double inv = 1.0 / d;
    Moments m;
    for (int j = 0; j < kIq4Block; ++j) {
        const double q = kIq4Levels[nearest_iq4_level(x[j] * inv)];
        m.xq += w[j] * q * x[j];
        m.qq += w[j] * q * q;
    }
    return m;
}

double exact_error(const float* x, const double* w, double d) {
    const double inv = 1.0 / d;
    double err = 0;
    for (int j = 0; j < kIq4Block; ++j) {
        const double diff = x[j] - d * kIq4Levels[nearest_iq4_level(x[j] * inv)];
        err += w[j] * diff * diff;
    }
    return err;
}

// Every cut between levels is a multiple of 0.5, so a table over half-unit
// bins of [-128, 114) answers the nearest level exactly.
constexpr double kTableLow = -128.0, kTableHigh = 114.0;
constexpr int kTableBins = static_cast<int>(2 * (kTableHigh - kTableLow));

constexpr std::array<uint8_t, kTableBins> make_level_table() {
    std::array<uint8_t, kTableBins> table{};
    for (int b = 0; b < kTableBins; ++b) {
        const double v = kTableLow + 0.5 * b;  // the bin's lower edge decides it
        int level = 0;
        while (level < 15 && v >= kCuts[level]) ++level;
        table[b] = static_cast<uint8_t>(level);
    }
    return table;
}
constexpr std::array<uint8_t, kTableBins> kLevelTable = make_level_table();

}  // namespace

int nearest_iq4_level(double v) {
    if (!(v >= kTableLow)) return 0;  // also -Inf
    if (v >= kTableHigh) return 15;
    // (v - low) may round up to the table's end for v just below kTableHigh.
    const int bin = static_cast<int>((v - kTableLow) * 2.0);
    return kLevelTable[static_cast<size_t>(std::min(bin, kTableBins - 1))];
}

void iq4_weights(const float* importance, int n, double* w) {
    double total = 0;
    if (importance) {
        for (int j = 0; j < n; ++j) total += w[j] = importance[j];
        if (total > 0) return;
    }
    for (int j = 0; j < n; ++j) w[j] = 1.0;
}

void assign_codes(const float* x, float d, uint8_t* codes) {
    const double inv = d != 0 ? 1.0 / d : 0.0;
    for (int j = 0; j < kIq4Block; ++j)
        codes[j] = static_cast<uint8_t>(nearest_iq4_level(double(x[j]) * inv));
}

double weighted_error(const float* x, const double* w, float d) {
    const double inv = d != 0 ? 1.0 / d : 0.0;
    double err = 0;
    for (int j = 0; j < kIq4Block; ++j) {
        const float y = d * static_cast<float>(kIq4Levels[nearest_iq4_level(x[j] * inv)]);
        const double diff = double(x[j]) - double(y);
        err += w[j] * diff * diff;
    }
    return err;
}

uint16_t f32_to_fp16_clamped(float d) {
    constexpr float kHalfMax = 65504.0f;
    return f32_to_fp16(std::clamp(d, -kHalfMax, kHalfMax));
}

ScaleFit search_block_scale(const float* x, const double* w, ScaleStorage storage) {
    float amax = 0, peak = 0;  // largest magnitude and the signed value holding it
    for (int j = 0; j < kIq4Block; ++j)
        if (std::fabs(x[j]) > amax) amax = std::fabs(x[j]), peak = x[j];
    ScaleFit best;
    for (int j = 0; j < kIq4Block; ++j) best.err += w[j] * double(x[j]) * double(x[j]);
    if (amax == 0) return best;
    // Starting scales per side: the peak lands within 10 level units of an end
    // level, every second unit, each refitted once by least squares. (Every
    // unit with two refits was three times slower for under 1% less error.)
    constexpr int kSteps = 10, kStride = 2;
    for (double end : {double(kIq4Levels.front()), double(kIq4Levels.back())}) {
        for (int t = -kSteps; t <= kSteps; t += kStride) {
            double d = peak / (end + t);
            const Moments m = code_moments(x, w, d);
            if (m.qq > 0 && m.xq != 0) d = m.xq / m.qq;
            double err;
            if (storage == ScaleStorage::kFp16) {
                d = fp16_to_f32(f32_to_fp16_clamped(static_cast<float>(d)));
                if (d == 0) continue;
                err = weighted_error(x, w, static_cast<float>(d));
            } else {
                err = exact_error(x, w, d);
            }
            if (err < best.err) best = {d, err};
        }
    }
    return best;
}

}  // namespace ql::quant
