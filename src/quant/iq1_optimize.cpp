// Search for the IQ1 code of one super-block.
//
// 1. Per block, find the effective scale S = d * (2s + 1) that would be best
//    if it could take any value: scan a range of scales tied to the block's
//    largest magnitude, code the block exactly at each (nearest codeword per
//    group and the better delta sign), then refine by least squares.
// 2. The blocks must share one fp16 `d`: try values of d that put the
//    largest block scale on one of the upper odd multiples, let every block
//    pick the better of the two odd multiples around its own scale, refit d
//    by least squares and keep the candidate with the smallest total error.
// 3. Keep the all-zero code instead if it is at least as good.
#include "quant/iq1_optimize.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "quant/half.hpp"
#include "quant/iq1_grids.hpp"
#include "quant/iq1_search.hpp"

namespace ql::quant {

namespace {

constexpr int kMaxBlocks = kIq1SuperBlock / 16;  // IQ1_M has the most blocks
constexpr int kMaxGroupsPerBlock = 32 / kIq1Group;
constexpr double kHalfMax = 65504.0;
constexpr double kInf = std::numeric_limits<double>::infinity();

struct BlockCode {
    std::array<uint16_t, kMaxGroupsPerBlock> grid{};  // [groups in block]
    std::array<bool, kMaxGroupsPerBlock> negative{};  // [groups in block]
    double error = kInf;                              // weighted squared error
};

struct BlockView {
    const double* x;  // [n]
    const double* w;  // [n]
    int n;
};

// Best codeword for one group of 8 at `scale` with the delta sign given;
// returns the weighted squared error in value units.
double code_group(const double* x, const double* w, double scale, double shift, uint16_t& index) {
    std::array<double, kIq1Group> target;  // grid units
    for (int j = 0; j < kIq1Group; ++j) target[j] = x[j] / scale - shift;
    const Iq1Match m = iq1_nearest(target.data(), w);
    index = static_cast<uint16_t>(m.index);
    return m.cost * scale * scale;
}

// Best codewords and delta signs for a block at effective scale `scale` > 0.
BlockCode code_block(const BlockView& b, const Iq1Shape& shape, double scale) {
    const int groups = b.n / kIq1Group;
    BlockCode best;
    if (shape.sign_per_group) {
        best.error = 0;
        for (int g = 0; g < groups; ++g) {
            const double* xg = b.x + g * kIq1Group;
            const double* wg = b.w + g * kIq1Group;
            uint16_t plus = 0, minus = 0;
            const double e_plus = code_group(xg, wg, scale, shape.delta, plus);
            const double e_minus = code_group(xg, wg, scale, -shape.delta, minus);
            best.negative[g] = e_minus < e_plus;
            best.grid[g] = best.negative[g] ? minus : plus;
            best.error += std::min(e_plus, e_minus);
        }
        return best;
    }
    for (bool negative : {false, true}) {
        BlockCode c;
        c.error = 0;
        const double shift = negative ? -shape.delta : shape.delta;
        for (int g = 0; g < groups; ++g) {
            c.negative[g] = negative;
            c.error +=
                code_group(b.x + g * kIq1Group, b.w + g * kIq1Group, scale, shift, c.grid[g]);
        }
        if (c.error < best.error) best = c;
    }
    return best;
}

// Coded value of element j of a block, in units of the effective scale.
double coded_unit(const BlockCode& c, const Iq1Shape& shape, int j) {
    const int g = j / kIq1Group;
    const double shift = c.negative[g] ? -shape.delta : shape.delta;
    return iq1_grid_value(c.grid[g], j % kIq1Group) + shift;
}

// Least-squares scale for a block whose codewords are fixed; 0 if undefined.
double refit_block_scale(const BlockView& b, const BlockCode& c, const Iq1Shape& shape) {
    double sum_xq = 0, sum_qq = 0;
    for (int j = 0; j < b.n; ++j) {
        const double q = coded_unit(c, shape, j);
        sum_xq += b.w[j] * b.x[j] * q;
        sum_qq += b.w[j] * q * q;
    }
    return (sum_qq > 0 && sum_xq > 0) ? sum_xq / sum_qq : 0.0;
}

// Step 1: the block's best unconstrained effective scale (0 if all zero).
double ideal_block_scale(const BlockView& b, const Iq1Shape& shape) {
    double amax = 0;
    for (int j = 0; j < b.n; ++j) amax = std::max(amax, std::fabs(b.x[j]));
    if (!(amax > 0)) return 0.0;
    constexpr int kSteps = 8;
    const double top = amax / (1.0 + shape.delta);  // largest level hits amax
    double best_scale = top;
    BlockCode best = code_block(b, shape, top);
    for (int k = 1; k < kSteps; ++k) {
        const double scale = top * std::pow(0.2, static_cast<double>(k) / (kSteps - 1));
        BlockCode c = code_block(b, shape, scale);
        if (c.error < best.error) best = c, best_scale = scale;
    }
    for (int iter = 0; iter < 2; ++iter) {
        const double scale = refit_block_scale(b, best, shape);
        if (!(scale > 0)) break;
        BlockCode c = code_block(b, shape, scale);
        if (!(c.error < best.error)) break;
        best = c, best_scale = scale;
    }
    return best_scale;
}

struct SuperCode {
    double d = 0;                                // fp16-representable, > 0
    std::array<int, kMaxBlocks> s{};             // [blocks] 3-bit scales
    std::array<BlockCode, kMaxBlocks> blocks{};  // [blocks]
    double error = kInf;
};

double round_to_half(double d) {
    return fp16_to_f32(f32_to_fp16(static_cast<float>(std::min(d, kHalfMax))));
}

// Step 2: code every block with the shared scale `d` (already fp16-exact).
SuperCode code_with_d(const std::array<BlockView, kMaxBlocks>& blocks, int n_blocks,
                      const std::array<double, kMaxBlocks>& ideal, const Iq1Shape& shape,
                      double d) {
    SuperCode sc;
    sc.d = d;
    sc.error = 0;
    for (int b = 0; b < n_blocks; ++b) {
        // odd multiples 2s+1 on either side of ideal/d
        const double k = ideal[b] / d;
        const int lo = std::clamp(static_cast<int>(std::floor((k - 1) / 2)), 0, 7);
        const int hi = std::min(lo + 1, 7);
        sc.blocks[b].error = kInf;
        for (int s = lo; s <= hi; ++s) {
            BlockCode c = code_block(blocks[b], shape, d * (2 * s + 1));
            if (c.error < sc.blocks[b].error) sc.blocks[b] = c, sc.s[b] = s;
        }
        sc.error += sc.blocks[b].error;
    }
    return sc;
}

// Least-squares d for fixed block scales and codewords; 0 if undefined.
double refit_d(const std::array<BlockView, kMaxBlocks>& blocks, int n_blocks, const SuperCode& sc,
               const Iq1Shape& shape) {
    double sum_xq = 0, sum_qq = 0;
    for (int b = 0; b < n_blocks; ++b) {
        const BlockView& v = blocks[b];
        for (int j = 0; j < v.n; ++j) {
            const double q = (2 * sc.s[b] + 1) * coded_unit(sc.blocks[b], shape, j);
            sum_xq += v.w[j] * v.x[j] * q;
            sum_qq += v.w[j] * q * q;
        }
    }
    return (sum_qq > 0 && sum_xq > 0) ? sum_xq / sum_qq : 0.0;
}

Iq1Code to_code(const SuperCode& sc, int n_blocks, const Iq1Shape& shape) {
    Iq1Code code;
    code.d_fp16 = f32_to_fp16(static_cast<float>(sc.d));
    const int groups_per_block = shape.block_size / kIq1Group;
    for (int b = 0; b < n_blocks; ++b) {
        code.scale[b] = static_cast<uint8_t>(sc.s[b]);
        for (int g = 0; g < groups_per_block; ++g) {
            code.grid[b * groups_per_block + g] = sc.blocks[b].grid[g];
            code.negative_delta[b * groups_per_block + g] = sc.blocks[b].negative[g];
        }
    }
    return code;
}

}  // namespace

Iq1Code iq1_optimize(const float* x, const float* w, const Iq1Shape& shape) {
    std::array<double, kIq1SuperBlock> xd, wd;  // [256]
    double energy = 0;
    for (int j = 0; j < kIq1SuperBlock; ++j) {
        xd[j] = x[j];
        wd[j] = w[j];
        energy += wd[j] * xd[j] * xd[j];
    }
    const int n_blocks = kIq1SuperBlock / shape.block_size;
    std::array<BlockView, kMaxBlocks> blocks{};
    std::array<double, kMaxBlocks> ideal{};
    double ideal_max = 0;
    for (int b = 0; b < n_blocks; ++b) {
        blocks[b] = BlockView{xd.data() + b * shape.block_size, wd.data() + b * shape.block_size,
                              shape.block_size};
        ideal[b] = ideal_block_scale(blocks[b], shape);
        ideal_max = std::max(ideal_max, ideal[b]);
    }
    SuperCode best;
    best.error = energy;  // the all-zero code (d = 0)
    if (!(ideal_max > 0)) return Iq1Code{};
    auto consider = [&](double d_raw) {
        const double d = round_to_half(d_raw);
        if (!(d > 0)) return;
        SuperCode sc = code_with_d(blocks, n_blocks, ideal, shape, d);
        if (sc.error < best.error) best = sc;
    };
    for (double top : {15.0, 14.0, 13.0, 12.0, 11.0}) consider(ideal_max / top);
    for (int iter = 0; iter < 2 && best.d > 0; ++iter) {
        const double before = best.error;
        consider(refit_d(blocks, n_blocks, best, shape));
        if (!(best.error < before)) break;
    }
    if (!(best.d > 0)) return Iq1Code{};
    return to_code(best, n_blocks, shape);
}

}  // namespace ql::quant
