#include "quant/legacy_search.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "quant/half.hpp"

namespace ql::quant {

namespace {

constexpr int kMaxBlock = 256;  // largest block any caller passes

// Rounds v to the nearest integer in [lo, hi] (halves to even); branch-free.
inline double round_clamp(double v, double lo, double hi) {
    constexpr double kRounder = 6755399441055744.0;  // 1.5 * 2^52
    v = v > lo ? v : lo;
    v = v < hi ? v : hi;
    return (v + kRounder) - kRounder;
}

// fp16 codes next to h with the same sign (finite only), h itself first.
// Returns how many were written to out.
int half_neighbours(uint16_t h, std::array<uint16_t, 3>& out) {
    const uint16_t sign = h & 0x8000u;
    const uint16_t mag = h & 0x7fffu;
    int count = 0;
    out[count++] = h;
    if (mag > 0) out[count++] = static_cast<uint16_t>(sign | (mag - 1));
    if (mag + 1 < 0x7c00) out[count++] = static_cast<uint16_t>(sign | (mag + 1));
    return count;
}

// Weighted error of the symmetric block stored as (dh, codes).
double symmetric_error(const float* x, const float* w, int n, float dh, const int* q) {
    double err = 0;
    for (int i = 0; i < n; ++i) {
        const float y = static_cast<float>(q[i]) * dh;  // as the dequantizer computes it
        const double diff = static_cast<double>(x[i]) - y;
        err += w[i] * diff * diff;
    }
    return err;
}

// Best inverse-scale sweep for d > 0: positive values may climb `up` codes,
// negative values descend `down` codes. Returns {gain, scale}; the block
// error at that scale is zero_error - gain.
std::pair<double, double> sweep_positive(const float* x, const float* w, int n, int up, int down,
                                         std::vector<ScaleEvent>& events) {
    events.clear();
    for (int i = 0; i < n; ++i) {
        if (w[i] <= 0 || x[i] == 0) continue;
        const double ax = std::fabs(static_cast<double>(x[i]));
        const int steps = x[i] > 0 ? up : down;
        for (int k = 0; k < steps; ++k)
            events.push_back({(k + 0.5) / ax, w[i] * ax, w[i] * (2.0 * k + 1.0)});
    }
    std::sort(events.begin(), events.end(),
              [](const ScaleEvent& a, const ScaleEvent& b) { return a.inv_scale < b.inv_scale; });
    double dot = 0, norm = 0, best_gain = 0, best_scale = 0;
    for (const auto& e : events) {
        dot += e.dot_gain;
        norm += e.norm_gain;
        const double gain = dot * dot / norm;
        if (gain > best_gain) {
            best_gain = gain;
            best_scale = dot / norm;
        }
    }
    return {best_gain, best_scale};
}

// Sums of one block that do not depend on the codes.
struct BlockSums {
    double s0 = 0, sx = 0, sxx = 0;  // sum w, sum w x, sum w x^2
};

BlockSums block_sums(const float* x, const float* w, int n) {
    BlockSums b;
    for (int i = 0; i < n; ++i) {
        b.s0 += w[i];
        b.sx += w[i] * static_cast<double>(x[i]);
        b.sxx += w[i] * static_cast<double>(x[i]) * x[i];
    }
    return b;
}

// One "codes for (d, m), least squares for the codes" step of y = d*q + m,
// q = nearest((x - m) / d) in [0, qmax], in one pass (codes not stored).
// Updates d, m and returns the continuous error of the refit, or -1 when the
// codes do not determine a positive scale.
double refit_affine(const float* x, const float* w, int n, int qmax, const BlockSums& b, double& d,
                    double& m) {
    const double inv = 1.0 / d;
    double s1 = 0, s2 = 0, sxq = 0;
    for (int i = 0; i < n; ++i) {
        const double q = round_clamp((x[i] - m) * inv, 0, qmax);
        s1 += w[i] * q;
        s2 += w[i] * q * q;
        sxq += w[i] * q * x[i];
    }
    const double det = b.s0 * s2 - s1 * s1;
    if (!(det > 1e-12 * b.s0 * s2)) return -1;
    const double fd = (b.s0 * sxq - s1 * b.sx) / det;
    const double fm = (s2 * b.sx - s1 * sxq) / det;
    if (!(fd > 0 && std::isfinite(fd) && std::isfinite(fm))) return -1;
    d = fd, m = fm;
    // sum w (d q + m - x)^2 expanded in the sums.
    const double err = b.sxx + d * d * s2 + m * m * b.s0 + 2 * (d * m * s1 - d * sxq - m * b.sx);
    return std::max(err, 0.0);
}

// Error of the stored affine block (dh, mh) with nearest codes written to q.
double stored_affine_error(const float* x, const float* w, int n, int qmax, float dh, float mh,
                           int* q) {
    double err = 0;
    const double inv = dh > 0 ? 1.0 / double(dh) : 0;  // 0: every code 0
    for (int i = 0; i < n; ++i) {
        const int c = static_cast<int>(round_clamp((x[i] - double(mh)) * inv, 0, qmax));
        q[i] = c;
        const float y = static_cast<float>(c) * dh + mh;  // as the dequantizer computes it
        const double diff = static_cast<double>(x[i]) - y;
        err += w[i] * diff * diff;
    }
    return err;
}

// Tries the fp16 neighbours of d (at the nearest fp16 m), then those of m
// (at the best d), then refits the offset for the best codes and tries
// again. Updates best/q when something better is found.
void finish_affine(const float* x, const float* w, int n, int qmax, double d, double m,
                   AffineCodes& best, int* q) {
    std::array<int, kMaxBlock> codes;  // [n] scratch
    auto consider = [&](uint16_t dh, uint16_t mh) {
        const double err =
            stored_affine_error(x, w, n, qmax, fp16_to_f32(dh), fp16_to_f32(mh), codes.data());
        if (!(err < best.error)) return false;
        best = {dh, mh, err};
        std::copy(codes.begin(), codes.begin() + n, q);
        return true;
    };
    for (int round = 0; round < 2; ++round) {
        std::array<uint16_t, 3> dh{}, mh{};
        const int nd = half_neighbours(half_clamped(d), dh);
        const int nm = half_neighbours(half_clamped(m), mh);
        bool improved = false;
        uint16_t d_pick = dh[0];
        for (int a = 0; a < nd; ++a)
            if (consider(dh[a], mh[0])) improved = true, d_pick = dh[a];
        for (int b = 1; b < nm; ++b) improved = consider(d_pick, mh[b]) || improved;
        if (!improved) return;
        // Offset that is optimal for the chosen scale and codes.
        const float df = fp16_to_f32(best.d_half);
        double sw = 0, swr = 0;
        for (int i = 0; i < n; ++i) {
            sw += w[i];
            swr += w[i] * (static_cast<double>(x[i]) - static_cast<double>(q[i]) * df);
        }
        if (!(sw > 0)) return;
        d = df;
        m = swr / sw;
    }
}

// sum w x q and sum w q^2 for the codes q = nearest(x * inv_scale) in [qlo, qhi].
std::pair<double, double> code_sums(const float* x, const float* w, int n, double inv_scale,
                                    int qlo, int qhi) {
    double dot = 0, norm = 0;
    for (int i = 0; i < n; ++i) {
        const double q = round_clamp(x[i] * inv_scale, qlo, qhi);
        dot += w[i] * q * x[i];
        norm += w[i] * q * q;
    }
    return {dot, norm};
}

// Approximate least-squares scale for grids with many levels, where the exact
// sweep (n * levels events, sorted) was ~10x slower for Q4_0 / Q5_0 for 0.3%
// (plain) to 3% (importance-weighted) less error on the quant-error set: a fan of
// inverse scales that put the largest magnitude on or near the outermost
// levels of either sign, each refitted once, the best (largest dot^2 / norm)
// polished by two more rounds of "codes for the scale, scale for the codes".
double fan_signed_scale(const float* x, const float* w, int n, int qlo, int qhi) {
    double peak = 0;  // the value of largest magnitude
    for (int i = 0; i < n; ++i)
        if (std::fabs(x[i]) > std::fabs(peak)) peak = x[i];
    if (peak == 0) return 0;
    double best_gain = 0, best_d = 0;
    auto consider = [&](double inv_scale) {
        const auto [dot, norm] = code_sums(x, w, n, inv_scale, qlo, qhi);
        if (!(norm > 0)) return;
        if (dot * dot / norm > best_gain) best_gain = dot * dot / norm, best_d = dot / norm;
    };
    constexpr int kSteps = 2;
    constexpr double kStep = 0.25;
    for (int k = -kSteps; k <= kSteps; ++k) {
        consider((qlo - k * kStep) / peak);
        consider((qhi + k * kStep) / peak);
    }
    for (int round = 0; round < 2 && best_d != 0; ++round) consider(1.0 / best_d);
    return best_d;
}
}  // namespace

uint16_t half_clamped(double v) {
    return f32_to_fp16(static_cast<float>(std::clamp(v, -kHalfMax, kHalfMax)));
}

void block_weights(const float* importance, int n, float* w) {
    double sum = 0;
    if (importance) {
        for (int i = 0; i < n; ++i) {
            w[i] = importance[i];
            sum += importance[i];
        }
    }
    if (!(sum > 0)) std::fill(w, w + n, 1.0f);
}

double zero_error(const float* x, const float* w, int n) {
    double err = 0;
    for (int i = 0; i < n; ++i) err += w[i] * static_cast<double>(x[i]) * x[i];
    return err;
}

double optimal_signed_scale(const float* x, const float* w, int n, int qlo, int qhi,
                            std::vector<ScaleEvent>& events) {
    // d > 0: positive values use codes up to qhi, negative ones down to qlo.
    const auto [gain_pos, scale_pos] = sweep_positive(x, w, n, qhi, -qlo, events);
    // d < 0: mirrored, positive values use the negative codes.
    const auto [gain_neg, scale_neg] = sweep_positive(x, w, n, -qlo, qhi, events);
    return gain_neg > gain_pos ? -scale_neg : scale_pos;
}

ScaledCodes finish_symmetric(const float* x, const float* w, int n, int qlo, int qhi, double d,
                             int* q) {
    std::array<int, kMaxBlock> codes{};
    ScaledCodes best{0, zero_error(x, w, n)};
    std::fill(q, q + n, 0);
    for (int round = 0; round < 2; ++round) {
        std::array<uint16_t, 3> cand{};
        const int count = half_neighbours(half_clamped(d), cand);
        bool improved = false;
        for (int c = 0; c < count; ++c) {
            const float dh = fp16_to_f32(cand[c]);
            const double inv = dh != 0 ? 1.0 / double(dh) : 0;  // 0: every code 0
            for (int i = 0; i < n; ++i)
                codes[i] = static_cast<int>(round_clamp(x[i] * inv, qlo, qhi));
            const double err = symmetric_error(x, w, n, dh, codes.data());
            if (err < best.error) {
                best = {cand[c], err};
                std::copy(codes.begin(), codes.begin() + n, q);
                improved = true;
            }
        }
        if (!improved) break;
        // Least-squares scale for the chosen codes, then round again.
        double dot = 0, norm = 0;
        for (int i = 0; i < n; ++i) {
            dot += w[i] * static_cast<double>(x[i]) * q[i];
            norm += w[i] * static_cast<double>(q[i]) * q[i];
        }
        if (!(norm > 0)) break;
        d = dot / norm;
    }
    return best;
}

ScaledCodes quantize_symmetric(const float* x, const float* w, int n, int qlo, int qhi, int* q,
                               std::vector<ScaleEvent>& events) {
    // Few levels (ternary, 2-bit): the exact sweep is cheap. Many: the fan.
    const double d = qhi - qlo >= 15 ? fan_signed_scale(x, w, n, qlo, qhi)
                                     : optimal_signed_scale(x, w, n, qlo, qhi, events);
    return finish_symmetric(x, w, n, qlo, qhi, d, q);
}

AffineCodes quantize_affine(const float* x, const float* w, int n, int qmax, int* q) {
    // Baselines: all zeros, and a constant block at the weighted mean.
    const BlockSums sums = block_sums(x, w, n);
    AffineCodes best{0, 0, sums.sxx};
    std::fill(q, q + n, 0);
    if (sums.s0 > 0) {
        const uint16_t mean_half = half_clamped(sums.sx / sums.s0);
        std::array<int, kMaxBlock> zeros;  // [n] codes of the constant block
        const double err =
            stored_affine_error(x, w, n, qmax, 0.0f, fp16_to_f32(mean_half), zeros.data());
        if (err < best.error) best = {0, mean_half, err};
    }

    double lo = x[0], hi = x[0];
    for (int i = 1; i < n; ++i) {
        lo = std::min(lo, static_cast<double>(x[i]));
        hi = std::max(hi, static_cast<double>(x[i]));
    }
    if (!(hi > lo)) return best;

    double best_cont = INFINITY, best_d = 0, best_m = 0;
    // Starting points: scales that spread [lo, hi] over qmax-1 .. qmax+1.5
    // steps; a tenth-step grid with three refits each was 3x slower for under
    // 0.6% less error on the quant-error set.
    for (int step = -4; step <= 6; ++step) {
        double d = (hi - lo) / (qmax + 0.25 * step);
        double m = lo;
        for (int iter = 0; iter < 2; ++iter) {
            const double err = refit_affine(x, w, n, qmax, sums, d, m);
            if (err < 0) break;
            if (err < best_cont) best_cont = err, best_d = d, best_m = m;
        }
    }
    if (best_d > 0) finish_affine(x, w, n, qmax, best_d, best_m, best, q);
    return best;
}

}  // namespace ql::quant
