#include "quant/kquants_search.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "quant/half.hpp"

namespace ql::quant::kq {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kHalfMax = 65504.0;
constexpr int kPolishRounds = 1;

// Nearest integer (halves to even) of v clamped to [lo, hi]. Adding and
// removing 1.5 * 2^52 rounds in the double adder, which is much cheaper than
// a libm call in the inner loops.
double round_clamp(double v, double lo, double hi) {
    constexpr double kRounder = 6755399441055744.0;
    v = v > lo ? v : lo;  // also maps NaN to lo; both compile to min/max, no branch
    v = v < hi ? v : hi;
    return (v + kRounder) - kRounder;
}

// Real-valued fit of one sub-block: x ~ a * level - b (b == 0 without mins).
struct SubFit {
    double a = 0;
    double b = 0;
    double err = kInf;
};

// Weighted moments of one sub-block's values x and candidate levels l.
struct Moments {
    double sw = 0, sx = 0, sxx = 0;   // fixed per sub-block: sum w, sum w x, sum w x^2
    double sl = 0, sll = 0, slx = 0;  // depend on the levels: sum w l, w l^2, w l x
};

Moments value_moments(const float* x, const float* w, int n) {
    Moments m;
    for (int i = 0; i < n; ++i) {
        m.sw += w[i];
        m.sx += w[i] * double(x[i]);
        m.sxx += w[i] * double(x[i]) * x[i];
    }
    return m;
}

// Fills the level moments of `m` for levels l = round(x * mul + add) clamped
// to [lo, hi] (one pass, nothing stored).
void level_moments(const float* x, const float* w, int n, double mul, double add, int lo, int hi,
                   Moments& m) {
    double sl = 0, sll = 0, slx = 0;
    for (int i = 0; i < n; ++i) {
        const double l = round_clamp(x[i] * mul + add, lo, hi);
        const double wl = w[i] * l;
        sl += wl;
        sll += wl * l;
        slx += wl * x[i];
    }
    m.sl = sl, m.sll = sll, m.slx = slx;
}

// Weighted least squares for x ~ a * l + c over the levels behind `m`, with
// c <= 0 (an offset that only lowers values, as the format's mins do) and
// a >= 0 unless `signed_scale`. Without `with_offset`, c is 0.
SubFit solve_fit(const Moments& m, bool with_offset, bool signed_scale) {
    if (!with_offset && signed_scale) {  // the common case of the formats without mins
        const double a = m.sll > 0 ? m.slx / m.sll : 0;
        return SubFit{a, 0, std::max(m.sxx - a * m.slx, 0.0)};
    }
    double a = 0, c = 0;
    const double det = m.sw * m.sll - m.sl * m.sl;
    if (with_offset && det > 0) {
        a = (m.sw * m.slx - m.sl * m.sx) / det;
        c = (m.sll * m.sx - m.sl * m.slx) / det;
    }
    if (!with_offset || !(det > 0) || c > 0) {
        c = 0;
        a = m.sll > 0 ? m.slx / m.sll : 0;
    }
    if (!signed_scale && a < 0) {
        a = 0;
        c = with_offset && m.sw > 0 ? std::min(m.sx / m.sw, 0.0) : 0;
    }
    // sum w (a l + c - x)^2 expanded in the moments: no second pass.
    const double err =
        m.sxx + a * a * m.sll + c * c * m.sw + 2 * (a * c * m.sl - a * m.slx - c * m.sx);
    return SubFit{a, -c, std::max(err, 0.0)};
}

// Best real-valued (a, b) for one sub-block: a fan of scales that map the
// extreme value(s) near the outermost levels, then rounds of "levels for the
// fit, refit for the levels".
SubFit fit_sub_block(const Shape& sh, const float* x, const float* w) {
    const int n = sh.sub_size;
    double lo = 0, hi = 0, extreme = 0;
    for (int i = 0; i < n; ++i) {
        lo = std::min(lo, double(x[i]));
        hi = std::max(hi, double(x[i]));
        if (std::fabs(x[i]) > std::fabs(extreme)) extreme = x[i];
    }
    Moments m = value_moments(x, w, n);
    SubFit best{0, 0, m.sxx};
    if (hi == lo) return best;  // all zero
    const bool with_min = sh.has_min();
    // A coarse fan (scales half a level apart) and one polishing round: a
    // tenth-level fan with four rounds was several times slower for under
    // 0.5% less final error on the quant-error set.
    constexpr double kStep = 0.5;
    for (int k = -sh.fan_steps; k <= sh.fan_steps; ++k) {
        for (int side = 0; side < (with_min ? 1 : 2); ++side) {
            if (with_min) {  // map [lo, hi] onto [0, q_hi + delta]
                const double iscale = (sh.q_hi + k * kStep) / (hi - lo);
                level_moments(x, w, n, iscale, -lo * iscale, 0, sh.q_hi, m);
            } else {  // map the extreme value onto the lowest or the highest level
                const double target = side == 0 ? sh.q_lo - k * kStep : sh.q_hi + k * kStep;
                level_moments(x, w, n, target / extreme, 0, sh.q_lo, sh.q_hi, m);
            }
            const SubFit f = solve_fit(m, with_min, !with_min);
            if (f.err < best.err) best = f;
        }
    }
    for (int it = 0; it < kPolishRounds && best.a != 0; ++it) {
        level_moments(x, w, n, 1.0 / best.a, best.b / best.a, sh.q_lo, sh.q_hi, m);
        const SubFit f = solve_fit(m, with_min, !with_min);
        if (!(f.err < best.err)) break;
        best = f;
    }
    return best;
}

// Weighted squared error of one sub-block for integer scale s and min m under
// super-scales d, dmin; the reconstruction is computed exactly as the
// dequantizer does it (float products, no fused multiply-add). Gives up (and
// returns a value above give_up) once a chunk of 8 values has passed give_up.
double sub_block_error(const Shape& sh, const float* x, const float* w, float d, float dmin, int s,
                       int m, int8_t* q_out, double give_up = kInf) {
    const float dl = d * static_cast<float>(s);
    const float ml = dmin * static_cast<float>(m);
    const double inv = dl != 0 ? 1.0 / dl : 0;  // 0 sends every value to level 0 (clamped)
    double err = 0;
    for (int i0 = 0; i0 < sh.sub_size; i0 += 8) {
        for (int i = i0; i < i0 + 8; ++i) {
            const double l = round_clamp((x[i] + double(ml)) * inv, sh.q_lo, sh.q_hi);
            const float v = dl * static_cast<float>(l) - ml;
            const double diff = double(v) - x[i];
            err += w[i] * diff * diff;
            if (q_out) q_out[i] = static_cast<int8_t>(l);
        }
        if (err > give_up) break;  // already worse than the best candidate
    }
    return err;
}

// Floor of `ideal` clamped to [lo, hi - 1] (hi > lo), 0 for NaN: with
// floor + 1 it brackets the ideal integer.
int bracket_low(double ideal, int lo, int hi) {
    if (!(ideal == ideal)) ideal = 0;
    return static_cast<int>(std::clamp(std::floor(ideal), double(lo), hi - 1.0));
}

// The integer scale and min tried for one sub-block, with their error.
struct Pick {
    int s = 0, m = 0;
    double err = kInf;
};

// Moves `p` along one axis (ds, dm = -1, 0 or +1) while that lowers the error.
void walk(const Shape& sh, const float* x, const float* w, const Code& code, int ds, int dm,
          int m_hi, Pick& p) {
    for (;;) {
        const int s = p.s + ds, m = p.m + dm;
        if (s < sh.scale_lo || s > sh.scale_hi || m < 0 || m > m_hi) return;
        const double e = sub_block_error(sh, x, w, code.d, code.dmin, s, m, nullptr, p.err);
        if (!(e < p.err)) return;
        p = {s, m, e};
    }
}

// Chooses the integer scale and min of sub-block j for the code's d, dmin,
// writes its levels and returns its error. Tries the integers bracketing the
// real-valued fit, then walks outwards from the best one along each axis
// while that helps (after a large move of d or dmin the optimum can lie
// outside the bracket).
double choose_sub_block(const Shape& sh, const float* x, const float* w, const SubFit& fit, int j,
                        Code& code) {
    const int s_lo = bracket_low(code.d != 0 ? fit.a / code.d : 0, sh.scale_lo, sh.scale_hi);
    const int m_hi = sh.has_min() && code.dmin != 0 ? sh.min_hi : 0;
    const int m_lo = m_hi > 0 ? bracket_low(fit.b / code.dmin, 0, m_hi) : 0;
    Pick best;
    for (int s = s_lo; s <= s_lo + 1; ++s) {
        for (int m = m_lo; m <= std::min(m_lo + 1, m_hi); ++m) {
            const double e = sub_block_error(sh, x, w, code.d, code.dmin, s, m, nullptr, best.err);
            if (e < best.err) best = {s, m, e};
        }
    }
    walk(sh, x, w, code, best.s == s_lo ? -1 : 1, 0, m_hi, best);
    if (m_hi > 0) walk(sh, x, w, code, 0, best.m == m_lo ? -1 : 1, m_hi, best);
    code.scale[j] = best.s;
    code.min[j] = best.m;
    int8_t* q = code.q.data() + j * sh.sub_size;
    return sub_block_error(sh, x, w, code.d, code.dmin, best.s, best.m, q);
}

// Least-squares d, dmin for the code's integers and levels:
// minimise sum w (d*u - dmin*v - x)^2 with u = scale*q, v = min, dmin >= 0.
void refit_super_scales(const Shape& sh, const float* x, const float* w, const Code& code,
                        double& d, double& dmin) {
    double suu = 0, suv = 0, svv = 0, sux = 0, svx = 0;
    for (int i = 0; i < kSuperBlock; ++i) {
        const int j = i / sh.sub_size;
        const double u = double(code.scale[j]) * code.q[i], v = code.min[j];
        suu += w[i] * u * u;
        suv += w[i] * u * v;
        svv += w[i] * v * v;
        sux += w[i] * u * x[i];
        svx += w[i] * v * x[i];
    }
    const double det = suu * svv - suv * suv;
    d = dmin = 0;
    if (sh.has_min() && det > 1e-12 * suu * svv) {
        d = (sux * svv - svx * suv) / det;
        dmin = (sux * suv - svx * suu) / det;
    }
    if (!sh.has_min() || !(det > 1e-12 * suu * svv) || dmin < 0) {
        dmin = 0;
        d = suu > 0 ? sux / suu : 0;
    }
    if (sh.has_min() && !(d > 0)) {  // no usable scale: the mins alone
        d = 0;
        dmin = svv > 0 ? std::max(0.0, -svx / svv) : 0;
    }
}

// Alternates integer choice and super-scale refit from one starting point;
// updates `best` (and best_err) whenever a better code is found.
void descend(const Shape& sh, const float* x, const float* w, const SubFit* fits, double d0,
             double dmin0, Code& best, double& best_err) {
    Code code;
    code.d = to_half_clamped(d0);
    code.dmin = sh.has_min() ? to_half_clamped(dmin0) : 0.0f;
    double prev = kInf;
    for (int it = 0; it < sh.rounds; ++it) {
        double err = 0;
        for (int j = 0; j < sh.n_sub(); ++j)
            err += choose_sub_block(sh, x + j * sh.sub_size, w + j * sh.sub_size, fits[j], j, code);
        if (err < best_err) best_err = err, best = code;
        if (!(err < prev) || it + 1 == sh.rounds) break;
        prev = err;
        double d, dmin;
        refit_super_scales(sh, x, w, code, d, dmin);
        const float new_d = to_half_clamped(d);
        const float new_dmin = sh.has_min() ? to_half_clamped(dmin) : 0.0f;
        if (new_d == code.d && new_dmin == code.dmin) break;
        code.d = new_d;
        code.dmin = new_dmin;
    }
}

}  // namespace

float to_half_clamped(double v) {
    const double c = std::clamp(v, -kHalfMax, kHalfMax);
    return fp16_to_f32(f32_to_fp16(static_cast<float>(c)));
}

void super_block_weights(const float* importance, float* w) {
    double sum = 0;
    if (importance)
        for (int i = 0; i < kSuperBlock; ++i) sum += importance[i];
    if (!(sum > 0) || !std::isfinite(sum)) {
        std::fill(w, w + kSuperBlock, 1.0f);
        return;
    }
    const float floor_weight = static_cast<float>(1e-5 * sum / kSuperBlock);
    for (int i = 0; i < kSuperBlock; ++i) w[i] = importance[i] + floor_weight;
}

Code search_super_block(const Shape& sh, const float* x, const float* w) {
    SubFit fits[kMaxSubBlocks];
    double a_extreme = 0, b_max = 0, zero_err = 0;
    for (int j = 0; j < sh.n_sub(); ++j) {
        fits[j] = fit_sub_block(sh, x + j * sh.sub_size, w + j * sh.sub_size);
        if (std::fabs(fits[j].a) > std::fabs(a_extreme)) a_extreme = fits[j].a;
        b_max = std::max(b_max, fits[j].b);
    }
    for (int i = 0; i < kSuperBlock; ++i) zero_err += w[i] * double(x[i]) * x[i];

    Code best;  // all zeros: the fallback every search must beat
    double best_err = zero_err;
    if (a_extreme == 0 && b_max == 0) return best;
    // Starting super-scales: the largest sub-block scale lands on (or near) the
    // largest integer scale, on either sign for the signed formats.
    static constexpr double kOffsets[] = {0, -0.5, 0.5, -1, 1, -1.5, 1.5, -2};
    const int n_starts = std::clamp(sh.n_starts, 1, int(std::size(kOffsets)));
    for (int k = 0; k < n_starts; ++k) {
        const double dmin0 = sh.has_min() ? b_max / (sh.min_hi + kOffsets[k]) : 0;
        if (sh.scale_lo < 0)
            descend(sh, x, w, fits, a_extreme / (sh.scale_lo - kOffsets[k]), 0, best, best_err);
        else
            descend(sh, x, w, fits, a_extreme / (sh.scale_hi + kOffsets[k]), dmin0, best, best_err);
    }
    return best;
}

}  // namespace ql::quant::kq
