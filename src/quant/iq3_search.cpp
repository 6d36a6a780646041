// The search, in three steps per super-block:
//  1. every 32-value block gets its best free scale (several starting
//     scales, codebook points found per 4 values, least-squares refit);
//  2. the fp16 super scale is chosen among a few candidates, each judged by
//     the error of all blocks with their best 4-bit scale near the free one;
//  3. the winner is polished (exact point search, IQ3_XXS parity signs
//     re-chosen) and kept only if it beats writing zeros.
// Work happens in units of the block's largest magnitude, so huge and tiny
// inputs behave like ordinary ones; only the stored scale sees real units.
#include "quant/iq3_search.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "quant/half.hpp"

namespace ql::quant::iq3 {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The super-block in search units.
struct Problem {
    std::array<float, kSuperBlock> magnitude;    // |x| / amax
    std::array<float, kSuperBlock> target;       // magnitude; negative where stored sign != x's
    std::array<float, kSuperBlock> weight;       // search weights, largest 1
    std::array<uint8_t, kSignBytes> negative;    // stored sign bits
    std::array<uint8_t, kSignBytes> x_negative;  // signs of x
    float amax = 0;
};

struct Fit {
    float scale = 0;  // block scale in search units (0: zeros)
    double err = 0;
};

struct Choice {
    double err = kInf;
    uint16_t d_bits = 0;
    std::array<uint8_t, kSubBlocks> scale{};
    std::array<uint16_t, kGroups> point{};
};

struct Assignment {
    double xg = 0;  // sum w a g
    double gg = 0;  // sum w g g
    std::array<uint16_t, kSubBlock / 4> point{};
};

uint16_t fp16_clamped(float d) {
    constexpr float kHalfMax = 65504.0f;
    return f32_to_fp16(std::clamp(d, -kHalfMax, kHalfMax));
}

// Points of one 32-value block for block scale `db` (search units).
Assignment assign_block(const Codebook& book, const float* a, const float* w, float db) {
    Assignment r;
    const float inv = 1.0f / db;
    for (int k = 0; k < kSubBlock / 4; ++k) {
        float t[4];
        for (int i = 0; i < 4; ++i) t[i] = a[4 * k + i] * inv;
        const int p = book.best_point(t, w + 4 * k);
        r.point[k] = static_cast<uint16_t>(p);
        const auto& g = book.point(p);
        for (int i = 0; i < 4; ++i) {
            r.xg += double(w[4 * k + i]) * a[4 * k + i] * g[i];
            r.gg += double(w[4 * k + i]) * g[i] * g[i];
        }
    }
    return r;
}

double energy(const float* a, const float* w, int n) {
    double e = 0;
    for (int i = 0; i < n; ++i) e += double(w[i]) * a[i] * a[i];
    return e;
}

double assignment_error(const Codebook& book, const float* a, const float* w, float db,
                        const Assignment& as) {
    double e = 0;
    for (int k = 0; k < kSubBlock / 4; ++k) {
        const auto& g = book.point(as.point[k]);
        for (int i = 0; i < 4; ++i) {
            const double d = double(a[4 * k + i]) - double(db) * g[i];
            e += w[4 * k + i] * d * d;
        }
    }
    return e;
}

// Step 1: the best free scale of one 32-value block.
Fit fit_block(const Codebook& book, const float* a, const float* w) {
    const double zero_err = energy(a, w, kSubBlock);
    Fit best{0, zero_err};
    const float peak = *std::max_element(a, a + kSubBlock);
    if (!(peak > 0)) return best;
    auto consider = [&](float db) {
        const Assignment as = assign_block(book, a, w, db);
        if (!(as.gg > 0) || !(as.xg > 0)) return;
        const double err = zero_err - as.xg * as.xg / as.gg;
        if (err < best.err) best = {static_cast<float>(as.xg / as.gg), err};
    };
    // Where the peak lands, in codebook units: a coarse geometric sweep from
    // the lowest level to past the top, then a finer one around the winner.
    // (Twice as many points here, +-6% super scales below and an exhaustive
    // final codebook scan were 1.8x slower for under 0.5% less error.)
    constexpr int kCoarse = 8, kFine = 4;
    const float low = 0.9f * book.bottom_level(), high = 1.15f * book.top_level();
    const float step = std::pow(high / low, 1.0f / float(kCoarse - 1));
    float land = low, best_land = high;
    for (int k = 0; k < kCoarse; ++k, land *= step) {
        const double before = best.err;
        consider(peak / land);
        if (best.err < before) best_land = land;
    }
    for (int k = 0; k < kFine; ++k)
        consider(peak / (best_land * (0.88f + 0.24f * float(k) / float(kFine - 1))));
    if (best.scale > 0) consider(best.scale);
    return best;
}

// The 4-bit scale whose block scale is nearest `wanted` (search units).
int nearest_sub_scale(const Format& f, float d, float amax, float wanted) {
    int best = 0;
    float best_gap = std::numeric_limits<float>::max();
    for (int s = 0; s < 16; ++s) {
        const float gap = std::fabs(f.sub_scale(d, s) / amax - wanted);
        if (gap < best_gap) best_gap = gap, best = s;
    }
    return best;
}

// Step 2: all blocks under one candidate super scale (real units).
Choice try_super_scale(const Format& f, const Problem& pb, const Fit* fits, float d_real) {
    Choice c;
    c.d_bits = fp16_clamped(d_real);
    const float d = fp16_to_f32(c.d_bits);
    if (d == 0) return c;
    c.err = 0;
    for (int ib = 0; ib < kSubBlocks; ++ib) {
        const float* a = pb.target.data() + ib * kSubBlock;
        const float* w = pb.weight.data() + ib * kSubBlock;
        const int centre = nearest_sub_scale(f, d, pb.amax, fits[ib].scale);
        double best = kInf;
        for (int s = std::max(0, centre - 1); s <= std::min(15, centre + 1); ++s) {
            const float db = f.sub_scale(d, s) / pb.amax;
            const Assignment as = assign_block(*f.book, a, w, db);
            const double err = assignment_error(*f.book, a, w, db, as);
            if (err < best) {
                best = err;
                c.scale[ib] = static_cast<uint8_t>(s);
                std::copy(as.point.begin(), as.point.end(), c.point.begin() + ib * 8);
            }
        }
        c.err += best;
    }
    return c;
}

Problem make_problem(const Format& f, const float* x, const float* importance) {
    Problem pb;
    for (int j = 0; j < kSuperBlock; ++j) pb.amax = std::max(pb.amax, std::fabs(x[j]));
    float wmax = 0;
    for (int j = 0; j < kSuperBlock; ++j) wmax = std::max(wmax, importance ? importance[j] : 1.0f);
    for (int j = 0; j < kSuperBlock; ++j) {
        pb.magnitude[j] = pb.amax > 0 ? std::fabs(x[j]) / pb.amax : 0.0f;
        pb.target[j] = pb.magnitude[j];
        pb.weight[j] = wmax > 0 ? (importance ? importance[j] : 1.0f) / wmax : 1.0f;
    }
    for (int b = 0; b < kSignBytes; ++b) {
        uint8_t neg = 0;
        for (int i = 0; i < 8; ++i)
            if (x[8 * b + i] < 0) neg |= static_cast<uint8_t>(1u << i);
        pb.x_negative[b] = neg;
        if (f.even_signs && std::popcount(neg) % 2 != 0) {
            // Store the wrong sign on the value where it costs least (refined in step 3).
            int cheapest = 0;
            double least = kInf;
            for (int i = 0; i < 8; ++i) {
                const double cost = double(pb.weight[8 * b + i]) * pb.magnitude[8 * b + i] *
                                    pb.magnitude[8 * b + i];
                if (cost < least) least = cost, cheapest = i;
            }
            neg ^= static_cast<uint8_t>(1u << cheapest);
            pb.target[8 * b + cheapest] = -pb.target[8 * b + cheapest];
        }
        pb.negative[b] = neg;
    }
    return pb;
}

// Step 3 for IQ3_XXS: the best value to carry the wrong sign in each group
// of 8 with an odd count of negatives, for the final block scale `db`.
void choose_parity_flips(const Format& f, Problem& pb, int ib, float db) {
    const float inv = 1.0f / db;
    for (int b = ib * 4; b < ib * 4 + 4; ++b) {
        const uint8_t wanted = pb.x_negative[b];
        if (std::popcount(wanted) % 2 == 0) continue;
        const float* m = pb.magnitude.data() + 8 * b;
        const float* w = pb.weight.data() + 8 * b;
        auto group_error = [&](int half, int flip) {  // flip: index in the 8, or -1
            float t[4];
            for (int i = 0; i < 4; ++i)
                t[i] = (4 * half + i == flip ? -m[4 * half + i] : m[4 * half + i]) * inv;
            const auto& g = f.book->point(f.book->best_point(t, w + 4 * half));
            double e = 0;
            for (int i = 0; i < 4; ++i)
                e += double(w[4 * half + i]) * (t[i] - g[i]) * (t[i] - g[i]);
            return e;
        };
        const double plain[2] = {group_error(0, -1), group_error(1, -1)};
        int best = 0;
        double best_err = kInf;
        for (int k = 0; k < 8; ++k) {
            const double e = group_error(k / 4, k) + plain[1 - k / 4];
            if (e < best_err) best_err = e, best = k;
        }
        for (int i = 0; i < 8; ++i) pb.target[8 * b + i] = i == best ? -m[i] : m[i];
        pb.negative[b] = wanted ^ static_cast<uint8_t>(1u << best);
    }
}

Code polish(const Format& f, Problem& pb, const Choice& c) {
    Code code;
    code.d_bits = c.d_bits;
    code.scale = c.scale;
    const float d = fp16_to_f32(c.d_bits);
    for (int ib = 0; ib < kSubBlocks; ++ib) {
        const float db = f.sub_scale(d, c.scale[ib]) / pb.amax;
        if (f.even_signs) choose_parity_flips(f, pb, ib, db);
        const Assignment as = assign_block(*f.book, pb.target.data() + ib * kSubBlock,
                                           pb.weight.data() + ib * kSubBlock, db);
        std::copy(as.point.begin(), as.point.end(), code.point.begin() + ib * 8);
    }
    code.negative = pb.negative;
    return code;
}

// Weighted error in real units of a code (the metric: importance or uniform).
double real_error(const Format& f, const Code& c, const float* x, const float* importance) {
    std::array<float, kSuperBlock> y;
    reconstruct(f, c, y.data());
    double e = 0;
    for (int j = 0; j < kSuperBlock; ++j) {
        const double d = double(x[j]) - double(y[j]);
        e += (importance ? double(importance[j]) : 1.0) * d * d;
    }
    return e;
}

}  // namespace

Code quantize_super_block(const Format& f, const float* x, const float* importance) {
    Problem pb = make_problem(f, x, importance);
    if (pb.amax == 0) return Code{};
    std::array<Fit, kSubBlocks> fits;
    float widest = 0;
    for (int ib = 0; ib < kSubBlocks; ++ib) {
        fits[ib] = fit_block(*f.book, pb.target.data() + ib * kSubBlock,
                             pb.weight.data() + ib * kSubBlock);
        widest = std::max(widest, fits[ib].scale);
    }
    if (widest == 0) return Code{};
    Choice best;
    const float top = f.sub_scale(1.0f, 15);
    // Super scales around the one that gives the widest block scale 15.
    for (float factor : {1.0f, 0.97f, 1.03f}) {
        const Choice c = try_super_scale(f, pb, fits.data(), widest * pb.amax / top * factor);
        if (c.err < best.err) best = c;
    }
    if (best.err == kInf) return Code{};
    const Code code = polish(f, pb, best);
    double zero_err = 0;
    for (int j = 0; j < kSuperBlock; ++j)
        zero_err += (importance ? double(importance[j]) : 1.0) * double(x[j]) * double(x[j]);
    return real_error(f, code, x, importance) <= zero_err ? code : Code{};
}

void reconstruct(const Format& f, const Code& c, float* y) {
    const float d = fp16_to_f32(c.d_bits);
    for (int ib = 0; ib < kSubBlocks; ++ib) {
        const float db = f.sub_scale(d, c.scale[ib]);
        for (int k = 0; k < kSubBlock / 4; ++k) {
            const int group = ib * 8 + k;
            const auto& g = f.book->point(c.point[group]);
            for (int i = 0; i < 4; ++i) {
                const int j = group * 4 + i;
                const bool neg = (c.negative[j / 8] >> (j % 8)) & 1;
                y[j] = db * g[i] * (neg ? -1.0f : 1.0f);
            }
        }
    }
}

}  // namespace ql::quant::iq3
