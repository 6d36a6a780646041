#include "quant/iq2_search.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <mutex>
#include <utility>

#include "quant/half.hpp"
#include "quant/iq2_grids.hpp"

namespace ql::quant::iq2 {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

int level_index(uint8_t magnitude) {
    for (int l = 0; l < 3; ++l)
        if (kLevels[l] == magnitude) return l;
    return 0;  // not reached: every grid byte is one of kLevels
}

int level_of(uint16_t packed, int j) {
    return (packed >> (2 * j)) & 3;
}

uint16_t lattice_pattern(int code) {
    uint16_t packed = 0;
    for (int j = 0; j < kGroup; ++j, code /= 3)
        packed |= static_cast<uint16_t>((code % 3) << (2 * j));
    return packed;
}

// Squared distances (grid-byte units) from one pattern to any other, split in
// two halves of 4 values: distance(p) = low[p & 255] + high[p >> 8].
struct DistanceTable {
    int low[256], high[256];

    explicit DistanceTable(uint16_t point) {
        for (int half = 0; half < 2; ++half) {
            int* table = half == 0 ? low : high;
            for (int sub = 0; sub < 256; ++sub) {
                int d2 = 0;
                for (int j = 0; j < 4; ++j) {
                    // level 3 never occurs in a pattern; clamp to stay in the table
                    const int level = std::min((sub >> (2 * j)) & 3, 2);
                    const int diff = kLevels[level] - kLevels[level_of(point, 4 * half + j)];
                    d2 += diff * diff;
                }
                table[sub] = d2;
            }
        }
    }
    int operator()(uint16_t pattern) const { return low[pattern & 255] + high[pattern >> 8]; }
};

}  // namespace

Codebook::Codebook(const uint64_t* entries, int size, bool even_sign_parity)
    : size_(size),
      even_sign_parity_(even_sign_parity),
      levels_(static_cast<size_t>(size)),
      neighbours_(static_cast<size_t>(kLatticePoints) * kCandidates) {
    for (int e = 0; e < size; ++e) {
        uint16_t packed = 0;
        for (int j = 0; j < kGroup; ++j)
            packed |= static_cast<uint16_t>(level_index(grid_byte(entries[e], j)) << (2 * j));
        levels_[static_cast<size_t>(e)] = packed;
    }
    // For each lattice point, the kCandidates entries closest to it (ties: lower
    // index), found by sorting keys distance << 16 | entry.
    std::vector<uint32_t> keys(static_cast<size_t>(size));
    for (int p = 0; p < kLatticePoints; ++p) {
        const DistanceTable distance(lattice_pattern(p));
        for (int e = 0; e < size; ++e)
            keys[static_cast<size_t>(e)] =
                static_cast<uint32_t>(distance(levels_[static_cast<size_t>(e)])) << 16 |
                static_cast<uint32_t>(e);
        std::nth_element(keys.begin(), keys.begin() + kCandidates, keys.end());
        std::sort(keys.begin(), keys.begin() + kCandidates);
        for (int k = 0; k < kCandidates; ++k)
            neighbours_[static_cast<size_t>(p) * kCandidates + k] =
                static_cast<uint16_t>(keys[static_cast<size_t>(k)] & 0xffff);
    }
}

const Codebook& codebook_iq2_xxs() {
    static std::once_flag once;
    static const Codebook* book = nullptr;
    std::call_once(once, [] { book = new Codebook(kIq2xxsGrid, 256, true); });
    return *book;
}

const Codebook& codebook_iq2_xs() {
    static std::once_flag once;
    static const Codebook* book = nullptr;
    std::call_once(once, [] { book = new Codebook(kIq2xsGrid, 512, true); });
    return *book;
}

const Codebook& codebook_iq2_s() {
    static std::once_flag once;
    static const Codebook* book = nullptr;
    std::call_once(once, [] { book = new Codebook(kIq2sGrid, 1024, false); });
    return *book;
}

// ---------------------------------------------------------------------------
// Search

namespace {

// One super-block, normalised by its largest magnitude.
struct BlockInput {
    float a[kSuperBlock];               // |x| / amax
    float w[kSuperBlock];               // search weights (>= 0)
    uint8_t neg[kGroupsPerSuperBlock];  // bit j: value j of the group is negative
};

// The best entry and signs for one group of 8 at a given step.
struct GroupFit {
    float err = 0;      // weighted squared error
    float sum_wag = 0;  // sum w * g * a (g negated where the sign was flipped)
    float sum_wgg = 0;  // sum w * g * g
    uint16_t entry = 0;
    uint8_t signs = 0;
};

int nearest_level(float a, float step) {
    return a < 16.5f * step ? 0 : (a < 34.0f * step ? 1 : 2);
}

GroupFit fit_group(const Codebook& book, const float* a, const float* w, uint8_t neg, float step) {
    float cost[kGroup][3];  // cost[j][l]: error of value j at level l, sign kept
    float flip[kGroup][3];  // flip[j][l]: extra error when value j's sign is flipped
    int lattice = 0;
    for (int j = kGroup - 1; j >= 0; --j) {
        for (int l = 0; l < 3; ++l) {
            const float r = step * static_cast<float>(kLevels[l]);
            const float diff = r - a[j];
            cost[j][l] = w[j] * diff * diff;
            flip[j][l] = 4.0f * w[j] * r * a[j];
        }
        lattice = lattice * 3 + nearest_level(a[j], step);
    }
    const bool odd = book.even_sign_parity() && (std::popcount(neg) & 1) != 0;
    const uint16_t* cand = book.candidates(lattice);
    float best = kInf;
    int best_k = 0, best_flip = odd ? 0 : -1;
    for (int k = 0; k < Codebook::kCandidates; ++k) {
        const uint16_t pattern = book.levels(cand[k]);
        float err = 0;
        for (int j = 0; j < kGroup; ++j) err += cost[j][level_of(pattern, j)];
        int flip_j = -1;
        if (odd) {
            float cheapest = kInf;
            for (int j = 0; j < kGroup; ++j) {
                const float f = flip[j][level_of(pattern, j)];
                if (f < cheapest) cheapest = f, flip_j = j;
            }
            err += cheapest;
        }
        if (err < best) best = err, best_k = k, best_flip = flip_j;
    }
    GroupFit fit;
    fit.err = best;
    fit.entry = cand[best_k];
    fit.signs = static_cast<uint8_t>(neg ^ (best_flip >= 0 ? 1u << best_flip : 0u));
    const uint16_t pattern = book.levels(fit.entry);
    for (int j = 0; j < kGroup; ++j) {
        const float g = static_cast<float>(kLevels[level_of(pattern, j)]);
        const float wg = w[j] * g;
        fit.sum_wag += j == best_flip ? -wg * a[j] : wg * a[j];
        fit.sum_wgg += wg * g;
    }
    return fit;
}

// Fits groups [first, first + count) at one step; returns the summed error.
float fit_groups(const Codebook& book, const BlockInput& in, int first, int count, float step,
                 GroupFit* fits) {
    float err = 0;
    for (int g = first; g < first + count; ++g) {
        const int o = g * kGroup;
        fits[g - first] = fit_group(book, in.a + o, in.w + o, in.neg[g], step);
        err += fits[g - first].err;
    }
    return err;
}

// The best step (per grid-byte unit, unconstrained by the 4-bit code) for
// groups [first, first + count): scan steps that put the largest magnitude
// near the top level, refit each by least squares, polish the best.
float free_step(const Codebook& book, const BlockInput& in, int first, int count) {
    float amax = 0, sum_wa2 = 0;
    for (int i = first * kGroup; i < (first + count) * kGroup; ++i) {
        amax = std::max(amax, in.a[i]);
        sum_wa2 += in.w[i] * in.a[i] * in.a[i];
    }
    if (amax <= 0) return 0;
    GroupFit fits[kSuperBlock / kGroup];
    float best_err = kInf, best_step = amax / 43.0f;
    auto try_step = [&](float step) {
        fit_groups(book, in, first, count, step, fits);
        float sum_wag = 0, sum_wgg = 0;
        for (int g = 0; g < count; ++g) sum_wag += fits[g].sum_wag, sum_wgg += fits[g].sum_wgg;
        if (!(sum_wag > 0 && sum_wgg > 0)) return false;
        const float err = sum_wa2 - sum_wag * sum_wag / sum_wgg;
        if (!(err < best_err)) return false;
        best_err = err;
        best_step = sum_wag / sum_wgg;
        return true;
    };
    // Largest magnitude mapped to ~ each level (flat blocks; IQ2_XXS has no
    // all-25 or all-43 entry), then around the top level. (A step of 2 here
    // and seven super scales below, 3% apart, were 1.5x slower for under 0.5%
    // less error on the quant-error set.)
    for (float r : {8.0f, 12.5f, 17.0f, 21.0f, 25.0f}) try_step(amax / r);
    for (int r = 26; r <= 52; r += 6) try_step(amax / static_cast<float>(r));
    for (int polish = 0; polish < 2 && try_step(best_step); ++polish) {
    }
    return best_step;
}

// Search weights. With importance: the importance itself, normalised to the
// block's largest weight: exactly the error being judged. Without (or when the
// block's importance is all zero): uniform, which minimises the plain RMSE
// (magnitude-based weights measured 5-20% worse on the quant-error set).
void make_weights(const float* importance, BlockInput& in) {
    double imp_max = 0;
    if (importance)
        for (int i = 0; i < kSuperBlock; ++i) imp_max = std::max(imp_max, double(importance[i]));
    for (int i = 0; i < kSuperBlock; ++i)
        in.w[i] = imp_max > 0 ? static_cast<float>(double(importance[i]) / imp_max) : 1.0f;
}

// fp16 super-block scale nearest to `d` (clamped to the fp16 range, and at
// least the smallest positive fp16 so that tiny blocks still get a candidate).
uint16_t fp16_scale(double d) {
    const uint16_t bits = f32_to_fp16(static_cast<float>(std::min(d, 65504.0)));
    return bits == 0 ? uint16_t{1} : bits;
}

struct ScaleTrial {
    float err = kInf;
    SuperBlockCode code;
};

// Chooses, for a fixed super-block scale `dn` (normalised), each sub-block's
// code among those around its free step, and the groups at that code.
// Stops early (returning what it has) once the error exceeds `bound`.
void try_scale(const Codebook& book, int subblock, const BlockInput& in, const float* free_steps,
               float dn, float bound, ScaleTrial& trial) {
    const int groups_per_sub = subblock / kGroup;
    const int n_sub = kSuperBlock / subblock;
    GroupFit fits[kSuperBlock / kGroup], best_fits[kSuperBlock / kGroup];
    trial.err = 0;
    for (int b = 0; b < n_sub && trial.err <= bound; ++b) {
        // Code whose step equals the free step; clamped before the integer
        // conversion (d may be clamped to the fp16 range, making it huge).
        const float ideal = std::clamp((8.0f * free_steps[b] / dn - 1.0f) * 0.5f, -2.0f, 17.0f);
        const int base = static_cast<int>(std::floor(ideal));
        const int lo = std::clamp(base - 1, 0, kMaxCode), hi = std::clamp(base + 2, 0, kMaxCode);
        float best = kInf;
        for (int c = lo; c <= hi; ++c) {
            const float step = dn * (0.5f + static_cast<float>(c)) * 0.25f;
            const float err = fit_groups(book, in, b * groups_per_sub, groups_per_sub, step, fits);
            if (err < best) {
                best = err;
                trial.code.code[b] = static_cast<uint8_t>(c);
                std::copy(fits, fits + groups_per_sub, best_fits);
            }
        }
        trial.err += best;
        for (int g = 0; g < groups_per_sub; ++g) {
            trial.code.entry[b * groups_per_sub + g] = best_fits[g].entry;
            trial.code.signs[b * groups_per_sub + g] = best_fits[g].signs;
        }
    }
}

// Least-squares super-block scale for the chosen codes, entries and signs;
// tried (with the groups refitted) if it rounds to a new fp16 value.
void refine_scale(const Codebook& book, int subblock, const BlockInput& in, const float* free_steps,
                  double amax, ScaleTrial& best) {
    const int groups_per_sub = subblock / kGroup;
    double sum_xr = 0, sum_rr = 0;  // r: reconstruction for d = 1
    for (int g = 0; g < kGroupsPerSuperBlock; ++g) {
        const float unit = (0.5f + static_cast<float>(best.code.code[g / groups_per_sub])) * 0.25f;
        const uint16_t pattern = book.levels(best.code.entry[g]);
        for (int j = 0; j < kGroup; ++j) {
            const int i = g * kGroup + j;
            const double r = unit * kLevels[level_of(pattern, j)];
            const bool flipped = (((best.code.signs[g] ^ in.neg[g]) >> j) & 1) != 0;
            sum_xr += in.w[i] * r * (flipped ? -in.a[i] : in.a[i]);
            sum_rr += in.w[i] * r * r;
        }
    }
    if (!(sum_xr > 0 && sum_rr > 0)) return;
    const uint16_t bits = fp16_scale(sum_xr / sum_rr * amax);
    if (bits == best.code.d_fp16) return;
    const float dn = static_cast<float>(double(fp16_to_f32(bits)) / amax);
    if (!(dn <= 2.0f)) return;
    ScaleTrial trial;
    try_scale(book, subblock, in, free_steps, dn, best.err, trial);
    if (trial.err < best.err) {
        best = trial;
        best.code.d_fp16 = bits;
    }
}

}  // namespace

void quantize_superblock(const Codebook& book, int subblock, const float* x,
                         const float* importance, SuperBlockCode& out) {
    out = SuperBlockCode{};
    double amax = 0;
    for (int i = 0; i < kSuperBlock; ++i) amax = std::max(amax, std::fabs(double(x[i])));
    if (!(amax > 0)) return;

    BlockInput in;
    for (int g = 0; g < kGroupsPerSuperBlock; ++g) {
        in.neg[g] = 0;
        for (int j = 0; j < kGroup; ++j) {
            const int i = g * kGroup + j;
            in.a[i] = static_cast<float>(std::fabs(double(x[i])) / amax);
            if (x[i] < 0) in.neg[g] |= static_cast<uint8_t>(1u << j);
        }
    }
    make_weights(importance, in);

    const int n_sub = kSuperBlock / subblock;
    float free_steps[kSuperBlock / 16];  // [n_sub]
    float max_step = 0;
    for (int b = 0; b < n_sub; ++b) {
        free_steps[b] = free_step(book, in, b * subblock / kGroup, subblock / kGroup);
        max_step = std::max(max_step, free_steps[b]);
    }
    float zero_err = 0;  // error of writing zeros: the bar every candidate must beat
    for (int i = 0; i < kSuperBlock; ++i) zero_err += in.w[i] * in.a[i] * in.a[i];
    if (!(max_step > 0)) return;

    // Super scales tried around the one the widest block asks for.
    static const float kScaleFactors[] = {1.0f, 0.96f, 0.92f, 0.88f, 1.04f};
    ScaleTrial best, trial;
    best.err = zero_err;
    uint16_t tried[std::size(kScaleFactors)] = {};
    int n_tried = 0;
    for (float factor : kScaleFactors) {
        const uint16_t bits = fp16_scale(8.0 * max_step / 31.0 * factor * amax);
        if (std::find(tried, tried + n_tried, bits) != tried + n_tried) continue;
        tried[n_tried++] = bits;
        const float dn = static_cast<float>(double(fp16_to_f32(bits)) / amax);
        if (!(dn <= 2.0f)) continue;  // smallest magnitude > 2 x amax: worse than zeros
        try_scale(book, subblock, in, free_steps, dn, best.err, trial);
        if (trial.err < best.err) {
            best = trial;
            best.code.d_fp16 = bits;
        }
    }
    if (best.code.d_fp16 != 0) {
        refine_scale(book, subblock, in, free_steps, amax, best);
        out = best.code;
    }
}

}  // namespace ql::quant::iq2
