#include "quant/kquants_search.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "quant/half.hpp"

namespace ql::quant::kq {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kHalfMax = 65504.0;
constexpr int kMaxIterations = 6;

// Nearest integer (halves to even) of v clamped to [lo, hi]. Adding and
// removing 1.5 * 2^52 rounds in the double adder, which is much cheaper than
// a libm call in the inner loops.
int round_clamp(double v, int lo, int hi) {
    if (!(v > lo)) return lo;  // also catches NaN
    if (!(v < hi)) return hi;
    constexpr double kRounder = 6755399441055744.0;
    return static_cast<int>((v + kRounder) - kRounder);
}

// Real-valued fit of one sub-block: x ~ a * level - b (b == 0 without mins).
struct SubFit {
    double a = 0;
    double b = 0;
    double err = kInf;
};

// Weighted least squares for x ~ a * l + c over fixed levels l, with c <= 0
// (an offset that only lowers values, as the format's mins do) and a >= 0
// unless `signed_scale`. Without `with_offset`, c is 0.
SubFit fit_levels(const float* x, const float* w, const int* l, int n, bool with_offset,
                  bool signed_scale) {
    double sw = 0, sl = 0, sll = 0, sx = 0, slx = 0;
    for (int i = 0; i < n; ++i) {
        sw += w[i];
        sl += w[i] * l[i];
        sll += w[i] * l[i] * l[i];
        sx += w[i] * x[i];
        slx += w[i] * l[i] * double(x[i]);
    }
    double a = 0, c = 0;
    const double det = sw * sll - sl * sl;
    if (with_offset && det > 0) {
        a = (sw * slx - sl * sx) / det;
        c = (sll * sx - sl * slx) / det;
    }
    if (!with_offset || !(det > 0) || c > 0) {
        c = 0;
        a = sll > 0 ? slx / sll : 0;
    }
    if (!signed_scale && a < 0) {
        a = 0;
        c = with_offset && sw > 0 ? std::min(sx / sw, 0.0) : 0;
    }
    SubFit fit{a, -c, 0};
    for (int i = 0; i < n; ++i) {
        const double diff = a * l[i] + c - x[i];
        fit.err += w[i] * diff * diff;
    }
    return fit;
}

// Levels for x under the real-valued fit (a, b), written to l.
void levels_for(const Shape& sh, const float* x, const SubFit& f, int* l) {
    for (int i = 0; i < sh.sub_size; ++i)
        l[i] = f.a != 0 ? round_clamp((x[i] + f.b) / f.a, sh.q_lo, sh.q_hi) : 0;
}

// Improves a fit by alternating level assignment and least squares.
SubFit polish_fit(const Shape& sh, const float* x, const float* w, SubFit best) {
    int l[32];  // [sub_size] levels
    for (int it = 0; it < 4; ++it) {
        levels_for(sh, x, best, l);
        SubFit f = fit_levels(x, w, l, sh.sub_size, sh.has_min(), !sh.has_min());
        if (!(f.err < best.err)) break;
        best = f;
    }
    return best;
}

// Best real-valued (a, b) for one sub-block, trying a fan of scales that map
// the extreme value(s) near the outermost levels.
SubFit fit_sub_block(const Shape& sh, const float* x, const float* w) {
    const int n = sh.sub_size;
    double lo = 0, hi = 0, extreme = 0;
    for (int i = 0; i < n; ++i) {
        lo = std::min(lo, double(x[i]));
        hi = std::max(hi, double(x[i]));
        if (std::fabs(x[i]) > std::fabs(extreme)) extreme = x[i];
    }
    SubFit best{0, 0, 0};
    for (int i = 0; i < n; ++i) best.err += w[i] * double(x[i]) * x[i];
    if (hi == lo) return best;  // all zero
    int l[32];                  // [sub_size] candidate levels
    constexpr int kSteps = 10;
    constexpr double kStep = 0.1;
    for (int k = -kSteps; k <= kSteps; ++k) {
        for (int side = 0; side < (sh.has_min() ? 1 : 2); ++side) {
            if (sh.has_min()) {  // map [lo, hi] onto [0, q_hi + delta]
                const double iscale = (sh.q_hi + k * kStep) / (hi - lo);
                for (int i = 0; i < n; ++i) l[i] = round_clamp((x[i] - lo) * iscale, 0, sh.q_hi);
            } else {  // map the extreme value onto the lowest or the highest level
                const double target = side == 0 ? sh.q_lo - k * kStep : sh.q_hi + k * kStep;
                const double iscale = target / extreme;
                for (int i = 0; i < n; ++i) l[i] = round_clamp(x[i] * iscale, sh.q_lo, sh.q_hi);
            }
            SubFit f = fit_levels(x, w, l, n, sh.has_min(), !sh.has_min());
            if (f.err < best.err) best = f;
        }
    }
    return polish_fit(sh, x, w, best);
}

// Weighted squared error of one sub-block for integer scale s and min m under
// super-scales d, dmin; the reconstruction is computed exactly as the
// dequantizer does it (float products, no fused multiply-add).
double sub_block_error(const Shape& sh, const float* x, const float* w, float d, float dmin, int s,
                       int m, int8_t* q_out, double give_up = kInf) {
    const float dl = d * static_cast<float>(s);
    const float ml = dmin * static_cast<float>(m);
    const double inv = dl != 0 ? 1.0 / dl : 0;
    const int zero_level = std::clamp(0, sh.q_lo, sh.q_hi);
    double err = 0;
    for (int i = 0; i < sh.sub_size; ++i) {
        const int l =
            dl != 0 ? round_clamp((x[i] + double(ml)) * inv, sh.q_lo, sh.q_hi) : zero_level;
        const float v = dl * static_cast<float>(l) - ml;
        const double diff = double(v) - x[i];
        err += w[i] * diff * diff;
        if (q_out) q_out[i] = static_cast<int8_t>(l);
        if (err > give_up) return err;  // already worse than the best candidate
    }
    return err;
}

// Integers [from, to] around `ideal`: `radius` on each side of its floor and
// ceiling, clipped to [lo, hi] (never empty).
void int_window(double ideal, int radius, int lo, int hi, int& from, int& to) {
    if (!(ideal == ideal)) ideal = 0;
    const double base = std::clamp(std::floor(ideal), lo - 1.0, double(hi));
    from = std::max(lo, static_cast<int>(base) - radius);
    to = std::min(hi, static_cast<int>(base) + 1 + radius);
}

// Chooses the integer scale and min of sub-block j for the code's d, dmin
// (keeping the current ones if nothing tried beats them), writes its levels
// and returns its error.
double choose_sub_block(const Shape& sh, const float* x, const float* w, const SubFit& fit, int j,
                        Code& code) {
    int s_from, s_to, m_from = 0, m_to = 0;
    int_window(code.d != 0 ? fit.a / code.d : 0, sh.radius, sh.scale_lo, sh.scale_hi, s_from, s_to);
    if (sh.has_min() && code.dmin != 0)
        int_window(fit.b / code.dmin, sh.radius, 0, sh.min_hi, m_from, m_to);
    int best_s = code.scale[j], best_m = code.min[j];
    double best = sub_block_error(sh, x, w, code.d, code.dmin, best_s, best_m, nullptr);
    for (int s = s_from; s <= s_to; ++s) {
        for (int m = m_from; m <= m_to; ++m) {
            const double e = sub_block_error(sh, x, w, code.d, code.dmin, s, m, nullptr, best);
            if (e < best) best = e, best_s = s, best_m = m;
        }
    }
    // Then walk to the best neighbour while that helps: after a large move of
    // d or dmin the optimum can lie outside the window.
    const int m_hi = sh.has_min() && code.dmin != 0 ? sh.min_hi : 0;
    for (bool moved = true; moved;) {
        moved = false;
        const int s0 = best_s, m0 = best_m;
        for (int s = std::max(sh.scale_lo, s0 - 1); s <= std::min(sh.scale_hi, s0 + 1); ++s) {
            for (int m = std::max(0, m0 - 1); m <= std::min(m_hi, m0 + 1); ++m) {
                if (s == s0 && m == m0) continue;
                const double e = sub_block_error(sh, x, w, code.d, code.dmin, s, m, nullptr, best);
                if (e < best) best = e, best_s = s, best_m = m, moved = true;
            }
        }
    }
    code.scale[j] = best_s;
    code.min[j] = best_m;
    int8_t* q = code.q.data() + j * sh.sub_size;
    return sub_block_error(sh, x, w, code.d, code.dmin, best_s, best_m, q);
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
    for (int it = 0; it < kMaxIterations; ++it) {
        double err = 0;
        for (int j = 0; j < sh.n_sub(); ++j)
            err += choose_sub_block(sh, x + j * sh.sub_size, w + j * sh.sub_size, fits[j], j, code);
        if (err < best_err) best_err = err, best = code;
        if (!(err < prev)) break;
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
        descend(sh, x, w, fits, a_extreme / (sh.scale_hi + kOffsets[k]), dmin0, best, best_err);
        if (sh.scale_lo < 0)
            descend(sh, x, w, fits, a_extreme / (sh.scale_lo - kOffsets[k]), 0, best, best_err);
    }
    return best;
}

}  // namespace ql::quant::kq
